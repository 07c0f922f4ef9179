"""In Chromium: demo deploys DataInsight Pro, renames a field, deploys again, rolls back and checks drift;
alice never sees a Deploy button and gets 403 on the deploy page."""

from __future__ import annotations

import re

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from designer.demo import load_demo
from designer.models import DataField
from designer.services.deploy import schema_name
from tests.pg_scratch import drop_schema_and_kept

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def test_demo_deploys_from_the_browser_and_alice_cannot(page, live_server_url, login, request):
    project, _ = load_demo(force=True)
    schema = schema_name(project)
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)
    request.addfinalizer(lambda: _drop(schema))
    users = get_user_model().objects

    login(user=users.get(username="alice"))
    page.goto(f"{live_server_url}{project.get_absolute_url()}")
    assert page.get_by_role("link", name="Deploy").count() == 0
    response = page.goto(f"{live_server_url}/projects/{project.slug}/deploy/")
    assert response.status == 403
    page.context.clear_cookies()

    login(user=users.get(username="demo"))
    page.goto(f"{live_server_url}{project.get_absolute_url()}")
    page.get_by_role("link", name="Deploy").click()
    assert page.get_by_role("table", name="Statements").is_visible()
    page.get_by_role("button", name="Deploy").click()
    page.wait_for_url(re.compile(r"/deploy/runs/1/$"))
    assert page.get_by_text("Verified: the database matches the intended schema").is_visible()

    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {schema}.users (email, password_hash, full_name) VALUES ('ada@example.com', 'x', 'Ada L')"
        )

    # demo renames users.full_name in the designer's panel
    page.goto(f"{live_server_url}{project.get_absolute_url()}")
    page.locator("#table-list [data-select-table]", has_text="users").click()
    page.locator('#table-panel[data-table="users"]').wait_for()
    page.get_by_role("button", name="Edit full_name").click()
    form = page.get_by_role("form", name="Edit field full_name")
    expect(form.get_by_label("Field name")).to_be_enabled()
    form.get_by_label("Field name").fill("display_name")
    form.get_by_role("button", name="Save").click()
    page.locator('#fields-section li[data-field="display_name"]').wait_for()
    assert DataField.objects.filter(
        table__project=project, table__table_name="users", field_name="display_name"
    ).exists()

    page.get_by_role("link", name="Deploy").click()
    assert page.get_by_text('RENAME COLUMN "full_name" TO "display_name"').is_visible()
    assert page.get_by_text("ADD COLUMN").count() == 0 and page.get_by_text("DROP COLUMN").count() == 0
    page.get_by_role("button", name="Deploy").click()
    page.wait_for_url(re.compile(r"/deploy/runs/2/$"))
    assert page.get_by_text("Verified").is_visible()
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        rows = conn.execute(f"SELECT email, display_name FROM {schema}.users").fetchall()
    assert rows == [("ada@example.com", "Ada L")], "the rename kept the data"

    page.get_by_role("link", name="Back to deploy").click()
    page.get_by_role("link", name="Review rollback").click()
    expect(page.get_by_role("table", name="Rollback statements")).to_contain_text(
        'RENAME COLUMN "display_name" TO "full_name"'
    )
    page.get_by_role("button", name="Roll back").click()
    page.wait_for_url(re.compile(r"/deploy/runs/3/$"))
    assert page.get_by_text("Verified").is_visible()
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        assert conn.execute(f"SELECT full_name FROM {schema}.users").fetchall() == [("Ada L",)]
    page.get_by_role("link", name="Back to deploy").click()
    page.get_by_role("button", name="Check drift").click()
    page.get_by_text("No drift: the database matches the last deployed version.").wait_for()


def _drop(schema: str) -> None:
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)
