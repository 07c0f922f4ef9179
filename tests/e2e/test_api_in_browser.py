"""A script and a person at the same design: what the API writes appears in an open designer without a reload,
a table someone is editing in the designer refuses the API's write with 423, and /v1/docs works in the browser
under the app's strict Content Security Policy."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from designer.api import keys
from designer.services import fields, locks, projects, tables
from tests.api.conftest import COMPLIANCE_EVENTS

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

LIVE = 2000  # ms


def call(base: str, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def _open_designer(page, base: str, slug: str) -> None:
    page.goto(f"{base}/projects/{slug}/")
    expect(page.locator("#collab")).to_have_attribute("data-connected", "1", timeout=5000)
    page.evaluate("window.__sameDocument = true")


def test_a_table_created_through_the_api_appears_in_the_open_designer(page, live_server_url, login):
    alice = login("alice")
    project = projects.create_project(actor=alice, name="DataInsight Pro")
    _open_designer(page, live_server_url, project.slug)
    raw = keys.create_key(alice, name="ci", projects=[project])[1]

    status, body, _ = call(live_server_url, "POST", f"/v1/public/{project.slug}/tables", raw, COMPLIANCE_EVENTS)
    assert status == 201, body
    box = page.locator('#canvas g[data-table="compliance_events"]')
    expect(box).to_be_visible(timeout=LIVE)
    expect(box).to_contain_text("event_type")
    expect(page.locator("#table-list")).to_contain_text("compliance_events")

    status, body, _ = call(
        live_server_url, "POST", f"/v1/public/{project.slug}/tables/compliance_events/columns", raw,
        {"name": "severity", "type": "string", "max_length": 20},
    )  # fmt: skip
    assert status == 201, body
    expect(box).to_contain_text("severity", timeout=LIVE)
    assert page.evaluate("window.__sameDocument") is True, "no reload"
    assert page.js_errors == []


def test_a_table_open_in_the_designer_refuses_the_api_write_with_423(page, live_server_url, login, make_user):
    alice = login("alice")
    bob = make_user("bob")
    project = projects.create_project(actor=alice, name="Locked shop")
    projects.set_member(project, actor=alice, username="bob", role="editor")
    orders = tables.create_table(project, actor=alice, table_name="orders")
    with locks.holding([orders], actor=alice, reason="setup"):
        fields.create_field(orders, actor=alice, field_name="id", data_type="integer", primary_key=True)
    _open_designer(page, live_server_url, project.slug)
    page.locator("#table-list [data-select-table]", has_text="orders").click()
    expect(page.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=LIVE)

    raw = keys.create_key(bob, name="bob's script")[1]
    status, body, _ = call(
        live_server_url,
        "POST",
        f"/v1/public/{project.slug}/tables/orders/columns",
        raw,
        {"name": "note", "type": "text"},
    )
    assert status == 423, body
    assert body["error_code"] == "TABLE_LOCKED"
    assert body["holder"] == "alice" and body["expires_at"]
    assert "alice" in body["detail"]
    assert list(orders.fields.values_list("field_name", flat=True)) == ["id"]

    # alice closes her panel: the lock goes back and the same write goes through
    page.locator("#table-panel [data-panel-close]").click()
    expect(page.locator('#canvas g[data-table="orders"] .lock-badge')).not_to_have_text("Editing (you)", timeout=LIVE)
    status, body, _ = call(
        live_server_url,
        "POST",
        f"/v1/public/{project.slug}/tables/orders/columns",
        raw,
        {"name": "note", "type": "text"},
    )
    assert status == 201, body
    expect(page.locator('#canvas g[data-table="orders"]')).to_contain_text("note", timeout=LIVE)


def test_the_api_docs_render_from_vendored_assets_under_the_csp(page, live_server_url):
    assets: list[str] = []
    page.on("request", lambda request: assets.append(request.url))
    page.goto(f"{live_server_url}/v1/docs")
    expect(page.get_by_text("Tablewright API").first).to_be_visible(timeout=10000)
    expect(page.get_by_text("Create a table with its schema").first).to_be_visible()
    assert all(url.startswith(live_server_url) for url in assets), [
        u for u in assets if not u.startswith(live_server_url)
    ]
    assert page.js_errors == []


def test_a_key_made_on_the_api_keys_page_is_shown_once_works_and_stops_when_revoked(page, live_server_url, login):
    alice = login("alice")
    project = projects.create_project(actor=alice, name="Keyed shop")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Key name").fill("ci pipeline")
    page.get_by_role("button", name="Create key").click()
    shown = page.get_by_label("Your new API key")
    expect(shown).to_have_value(re.compile(r"^tw_[0-9a-f]{8}_"), timeout=LIVE)
    raw = shown.input_value()
    assert call(live_server_url, "GET", f"/v1/public/{project.slug}/tables", raw)[0] == 200

    page.reload()
    expect(page.get_by_label("Your new API key")).to_have_count(0)  # shown only that once
    row = page.locator(f'#key-list tr[data-key="{raw[:11]}"]')
    expect(row).to_contain_text("ci pipeline")
    assert raw not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke ci pipeline").click()
    expect(page.locator(f'#key-list tr[data-key="{raw[:11]}"]')).to_contain_text("revoked", timeout=LIVE)
    status, body, _ = call(live_server_url, "GET", f"/v1/public/{project.slug}/tables", raw)
    assert status == 401 and body["error_code"] == "INVALID_API_KEY"
    assert page.js_errors == []
