"""Browser-test fixtures: a real daphne server in a subprocess on the test database, and Chromium.

Reusable by any e2e test::

    def test_something(page, live_server_url, login, make_user): ...

``asgi_server`` (module) runs ``daphne config.asgi:application`` (HTTP and websockets) against the test
database, so tests must commit their data: ``live_server_url`` pulls in ``transactional_db``. Chromium is
Debian's (``CHROMIUM_PATH``, default ``/usr/bin/chromium``); when it is missing the tests skip, or fail
with ``REQUIRE_BROWSER=1``. A failing test leaves a full-page screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port

# Playwright's sync API runs an event loop in this thread; the tests' ORM calls are still plain sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _missing(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "e2e" in item.nodeid.split("/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="module")
def playwright_browser():
    """Chromium for one test module. Not for the whole session: sync Playwright keeps an asyncio loop running in
    this thread while it is open, and the async tests collected after the browser tests (tests/realtime) need
    the thread free."""
    if not os.path.exists(CHROMIUM):
        _missing(f"Chromium not found at {CHROMIUM}; install Debian's chromium or set CHROMIUM_PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class AsgiServer:
    url: str
    process: subprocess.Popen
    log: Path


def _database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        _missing("browser tests need PostgreSQL (the server process must see the test database)")
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def asgi_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """daphne serving the app on a free port against the (already created) test database.

    One per test module, stopped when the module ends: its in-process lock sweeper would otherwise keep freeing
    expired locks in the test database under the tests that come after the browser tests (tests/services)."""
    port = free_port()
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "e2e-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status in (200, 503):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"daphne did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    yield AsgiServer(url=url, process=process, log=log)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def live_server_url(asgi_server, transactional_db):
    """The server's base URL; data the test creates is committed, so the server sees it.

    Browser contexts depend on it, so they close before the test database is emptied; then the server gets a
    moment to finish what their closing started (a websocket's disconnect gives its locks back): emptying the
    tables while it still writes deadlocks."""
    yield asgi_server.url
    _wait_until_server_is_quiet()


def _wait_until_server_is_quiet(timeout: float = 10) -> None:
    from django.db import connection

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state IN ('active', 'idle in transaction')"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


@pytest.fixture
def browser_context(playwright_browser, request, live_server_url):
    context = playwright_browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, request):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed and not page.is_closed():  # a test may close its page itself
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    elif blocked:
        pytest.fail("The page broke its Content Security Policy:\n" + "\n".join(blocked), pytrace=False)


@pytest.fixture
def login(page, live_server_url, make_user):
    """Log in through the real login form as a (new) user; returns the user."""

    def do(username: str = "pat", user=None):
        user = user or make_user(username)
        page.goto(f"{live_server_url}/accounts/login/")
        page.get_by_label("User name").fill(user.username)
        page.get_by_label("Password").fill(user.username)
        page.get_by_role("button", name=re.compile("log in", re.I)).click()
        page.wait_for_url(f"{live_server_url}/")
        return user

    return do


def wait_until(page, expression: str, timeout: float = 15000) -> None:
    """Wait until ``expression`` (JavaScript) is truthy in the page.

    Playwright's ``wait_for_function`` compiles its argument inside the page, which the Content Security Policy
    forbids (no eval); ``page.evaluate`` goes through the devtools protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(50)
