"""In Chromium: demo deploys DataInsight Pro, renames a field, deploys again, rolls back and checks drift;
alice never sees a Deploy button and gets 403 on the deploy page."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from designer.demo import load_demo
from designer.models import DataField
from designer.services import fields, locks
from designer.services.deploy import schema_name

from ..deploy.conftest import drop_schema_and_kept

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def browser(playwright_browser):
    """The session's Chromium (tests/e2e/conftest.py): one Playwright per test process."""
    return playwright_browser


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(username)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_demo_deploys_from_the_browser_and_alice_cannot(browser, live_server, request, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test's own ORM calls run beside Playwright's loop
    project, _ = load_demo(force=True)
    schema = schema_name(project)
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)
    request.addfinalizer(lambda: _drop(schema))
    page = browser.new_page()
    try:
        login(page, live_server.url, "alice")
        page.goto(f"{live_server.url}{project.get_absolute_url()}")
        assert page.get_by_role("link", name="Deploy").count() == 0
        response = page.goto(f"{live_server.url}/projects/{project.slug}/deploy/")
        assert response.status == 403
        page.context.clear_cookies()

        login(page, live_server.url, "demo")
        page.goto(f"{live_server.url}{project.get_absolute_url()}")
        page.get_by_role("link", name="Deploy").click()
        assert page.get_by_role("table", name="Statements").is_visible()
        page.get_by_role("button", name="Deploy").click()
        page.wait_for_url(re.compile(r"/deploy/runs/1/$"))
        assert page.get_by_text("Verified: the database matches the intended schema").is_visible()

        full_name = DataField.objects.get(table__project=project, table__table_name="users", field_name="full_name")
        with locks.holding([], actor=project.owner, reason="test: the owner renames a column"):
            fields.update_field(full_name, actor=project.owner, field_name="display_name")
        page.get_by_role("link", name="Back to deploy").click()
        assert page.get_by_text('RENAME COLUMN "full_name" TO "display_name"').is_visible()
        page.get_by_role("button", name="Deploy").click()
        page.wait_for_url(re.compile(r"/deploy/runs/2/$"))
        assert page.get_by_text("Verified").is_visible()

        page.get_by_role("link", name="Back to deploy").click()
        page.get_by_role("button", name="Roll back").click()
        page.wait_for_url(re.compile(r"/deploy/runs/3/$"))
        assert page.get_by_text("Verified").is_visible()
        page.get_by_role("link", name="Back to deploy").click()
        page.get_by_role("button", name="Check drift").click()
        page.get_by_text("No drift: the database matches the last deployed version.").wait_for()
    except Exception:
        Path("var").mkdir(exist_ok=True)
        page.screenshot(path="var/e2e-deploy-failure.png", full_page=True)
        raise
    finally:
        connections.close_all()  # ORM calls beside Playwright's loop get their own connection; close it here


def _drop(schema: str) -> None:
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)
