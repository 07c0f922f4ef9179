"""Canvas smoothness in Chromium: load time and frame times for 30 and 1,000 tables (about 20 fields each).

Starts daphne on a throwaway test database, opens the designer in Debian's Chromium and measures, with
real mouse and wheel input: time from navigation to the first painted (culled) frame, and the frame
intervals (median / p95, 16.7 ms = 60 fps) while panning and wheel-zooming at Fit and at full detail, and
while dragging a table. The 30-table project is the baseline measured in the same run.

    DATABASE_URL=postgres://... SECRET_KEY=bench .venv/bin/python bench/designer_canvas.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402

from tests.e2e.conftest import CHROMIUM_ARGS as ARGS  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
START = """() => { window.__ts = []; let last = performance.now(); window.__run = true;
  function f(now) { window.__ts.push(now - last); last = now; if (window.__run) requestAnimationFrame(f); }
  requestAnimationFrame(f); }"""
STOP = "() => { window.__run = false; return window.__ts.slice(2); }"


def stats(ts: list[float]) -> str:
    ts = sorted(ts)
    return f"median {ts[len(ts) // 2]:5.1f} ms  p95 {ts[int(len(ts) * 0.95)]:6.1f} ms"


def measure(page, base: str, slug: str) -> dict[str, str]:
    out = {}
    start = time.perf_counter()
    page.goto(f"{base}/projects/{slug}/")
    page.wait_for_function(
        "document.getElementById('canvas') && !document.getElementById('canvas').classList.contains('loading')",
        timeout=120000,
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    out["load"] = f"{time.perf_counter() - start:5.2f} s to first painted frame"
    box = page.locator("#canvas").bounding_box()
    cx, cy = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6

    def pan() -> str:
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.evaluate(START)
        for i in range(40):
            page.mouse.move(cx - i * 6, cy - i * 3)
        ts = page.evaluate(STOP)
        page.mouse.up()
        return stats(ts)

    def wheel() -> str:
        page.mouse.move(cx, cy)
        page.evaluate(START)
        for i in range(30):
            page.mouse.wheel(0, -40 if i < 15 else 40)
        return stats(page.evaluate(STOP))

    out["pan at Fit"], out["wheel at Fit"] = pan(), wheel()
    page.evaluate("() => window.tablewright.fit()")
    while float(page.locator("#zoom-level").inner_text().rstrip("%")) < 80:
        page.get_by_role("button", name="Zoom in").click()
    page.wait_for_timeout(500)
    out["pan at 100%"], out["wheel at 100%"] = pan(), wheel()
    target = page.locator("#canvas g.tbl:not(.culled) rect.box").first.bounding_box()
    page.mouse.move(target["x"] + 30, target["y"] + 10)
    page.mouse.down()
    page.evaluate(START)
    for i in range(30):
        page.mouse.move(target["x"] + 30 + i * 5, target["y"] + 10 + i * 3)
    out["drag a table"] = stats(page.evaluate(STOP))
    page.mouse.up()
    return out


def main() -> None:
    from playwright.sync_api import sync_playwright

    from designer.sample import generated_snapshot
    from designer.services.snapshots import import_snapshot

    runner = DiscoverRunner(verbosity=0, interactive=False)
    old = runner.setup_databases()
    server = None
    try:
        db = settings.DATABASES["default"]
        url = f"postgres://{db.get('USER') or ''}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
        user = get_user_model().objects.create_user("bench", password="bench")
        slugs = {n: import_snapshot(generated_snapshot(n), actor=user, name=f"Canvas {n}").slug for n in (30, 1000)}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECURE_COOKIES": "0", "ALLOWED_HOSTS": "127.0.0.1"}
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("User name").fill("bench")
            page.get_by_label("Password").fill("bench")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base}/")
            results = {n: measure(page, base, slug) for n, slug in slugs.items()}
            browser.close()
        print("designer canvas in Chromium (software rendering, 1500x900), frame interval 16.7 ms = 60 fps")
        for key in results[30]:
            print(f"  {key:<14} 30 tables: {results[30][key]:<34} 1,000 tables: {results[1000][key]}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
