"""Real ASGI servers (daphne) for tests and benchmarks: free port, same settings, sessions and HTTP helpers."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """Resident memory of the server process (KiB)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def start_daphne(
    database_name: str, *, log_dir: Path, extra_env: dict | None = None, app: str = "config.asgi:application"
) -> Server:
    """A daphne process serving ``app`` (default ``config.asgi``) on a free port, against ``database_name``;
    waits until it answers."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database_name}"
        ),
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    port = free_port()
    log = log_dir / f"daphne-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = Server(port, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"{server.http}/healthz", timeout=2).read()
            return server
        except urllib.error.HTTPError:
            return server  # it answers (health may report a degraded dependency)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"daphne did not start in 30 s:\n{log.read_text()}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def daphnes(count: int, database_name: str, *, log_dir: Path, extra_env: dict | None = None):
    servers: list[Server] = []
    try:
        for _ in range(count):
            servers.append(start_daphne(database_name, log_dir=log_dir, extra_env=extra_env))
        yield servers
    finally:
        for server in servers:
            stop(server)


def login_session(user) -> str:
    """A session id for ``user`` (saved in the database the servers share)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@dataclass
class Browserless:
    """Just enough of a browser for HTTP posts to a real server: session cookie + CSRF token."""

    session: str
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session}; csrftoken={self.csrf}"

    def post(self, url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
        """POST a form; the answer as JSON, or ``{"html": text}`` when it is not JSON (an htmx fragment)."""
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(data or {}).encode(),
            headers={"Cookie": self.cookie, "X-CSRFToken": self.csrf, **(headers or {})},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, _body(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _body(exc.read())


def _body(raw: bytes) -> dict:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {"html": raw.decode(errors="replace")}
