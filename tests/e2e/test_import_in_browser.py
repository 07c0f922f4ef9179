"""In Chromium: a new user imports Chinook from their PostgreSQL through the import page and lands on
the project with all eleven tables; a broken DBML paste shows its line beside the text box."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.pg_scratch import deploy_url, scratch  # noqa: F401 - fixture
from tests.test_import_sql import CHINOOK

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e"


@pytest.fixture
def page(live_server, settings, make_user, request, playwright_browser):
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (REQUIRE_BROWSER=1)")
        pytest.skip("needs Chromium")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    make_user("nina", password="a-long-password-42")
    context = playwright_browser.new_context()  # the session's Chromium (tests/e2e/conftest.py)
    tab = context.new_page()
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.get_by_label("User name").fill("nina")
    tab.get_by_label("Password").fill("a-long-password-42")
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(f"{live_server.url}/")
    yield tab
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()


def test_new_user_imports_chinook_from_postgresql_in_under_a_minute(page, scratch, live_server):  # noqa: F811
    schema = scratch.schema()
    scratch.run(schema, CHINOOK.read_text(encoding="utf-8"))
    started = time.monotonic()
    page.get_by_role("link", name="Import a schema").click()
    page.get_by_label("Live PostgreSQL database").check()
    page.get_by_label("Database URL (live PostgreSQL)").fill(deploy_url())
    page.get_by_label("Schema", exact=True).fill(schema)
    page.get_by_role("button", name="Preview import").click()
    preview = page.get_by_role("table", name="Tables to import")
    preview.wait_for()
    assert preview.locator("[data-table]").count() == 11
    assert page.get_by_text("Not imported (0)").is_visible()
    page.get_by_label("Project name").last.fill("Chinook")
    page.get_by_role("button", name="Import 11 tables").click()
    page.wait_for_url(f"{live_server.url}/projects/chinook/")
    assert page.locator("[data-table]").count() == 11
    assert page.locator('[data-table="playlist_track"]').is_visible()
    elapsed = time.monotonic() - started
    print(f"Chinook live import through the browser: {elapsed:.1f} s (the issue's bar: under a minute)")


def test_broken_dbml_shows_the_line_beside_the_text(page):
    page.get_by_role("link", name="Import a schema").click()
    page.get_by_label("DBML (dbdiagram.io)").check()
    page.get_by_label("Schema text").fill("Table users {\n  id int [pk\n}\n")
    page.get_by_role("button", name="Preview import").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Line 3, column 1: Expected ']'" in alert.inner_text()
    assert page.get_by_label("Schema text").input_value() == "Table users {\n  id int [pk\n}\n"
