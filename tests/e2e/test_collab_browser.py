"""Two people, two browsers, two server processes: locks, read-only panels and edits show up live."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from django.db import connection

from designer.services import fields, projects, tables
from tests import servers

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium():
    if not shutil.which(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    return CHROMIUM


def test_alice_and_bob_see_each_others_locks_and_edits_live(make_user, locked, chromium, tmp_path, request):
    from playwright.sync_api import expect, sync_playwright

    alice, bob = make_user("alice"), make_user("bob")
    project = projects.create_project(actor=alice, name="Live shop")
    projects.set_member(project, actor=alice, username="bob", role="editor")
    orders = tables.create_table(project, actor=alice, table_name="orders")
    with locked(orders, alice) as held:
        fields.create_field(
            orders, actor=alice, field_name="id", data_type="integer", primary_key=True, **held.args(orders)
        )
    sessions = {"alice": servers.login_session(alice), "bob": servers.login_session(bob)}
    env = {"CHANNELS_PREFIX": f"tw-e2e-{uuid.uuid4().hex[:8]}"}
    artifacts = Path(os.environ.get("E2E_ARTIFACTS", tmp_path))

    with (
        servers.daphnes(2, connection.settings_dict["NAME"], log_dir=tmp_path, extra_env=env) as (server_a, server_b),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        pages = {}
        for name, server in (("alice", server_a), ("bob", server_b)):  # alice on one process, bob on the other
            context = browser.new_context()
            context.add_cookies([{"name": "sessionid", "value": sessions[name], "url": server.http}])
            page = context.new_page()
            page.goto(f"{server.http}/projects/{project.slug}/")
            expect(page.locator("#collab")).to_have_attribute("data-connected", "1", timeout=5000)
            pages[name] = page
        a, b = pages["alice"], pages["bob"]
        try:
            # both see each other in the presence list
            expect(a.get_by_role("list", name="People viewing this project")).to_contain_text("bob", timeout=2000)
            expect(b.get_by_role("list", name="People viewing this project")).to_contain_text("alice", timeout=2000)

            # alice opens orders: she holds the lock, bob sees it on the box within 2 s without reloading
            a.get_by_role("button", name="Open orders").click()
            expect(a.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=2000)
            expect(a.get_by_label("Field name")).to_be_enabled()
            bob_box = b.locator('[data-table="orders"]')
            expect(bob_box.locator("[data-lock-badge]")).to_have_text("Locked by alice", timeout=2000)

            # bob opens it too: read-only panel, "Locked by alice" and a countdown
            b.get_by_role("button", name="Open orders").click()
            banner = b.locator("[data-lock-banner]")
            expect(banner).to_contain_text("Locked by alice", timeout=2000)
            expect(banner).to_contain_text("frees in 1:")
            expect(b.get_by_label("Field name")).to_be_disabled()

            # alice closes her panel: bob sees the table free and his panel becomes editable
            a.get_by_role("button", name="Close").click()
            expect(bob_box.locator("[data-lock-badge]")).not_to_have_text("Locked by alice", timeout=2000)
            expect(b.get_by_label("Field name")).to_be_enabled(timeout=2000)
            expect(banner).to_contain_text("You are editing")
            expect(a.locator('[data-table="orders"] [data-lock-badge]')).to_have_text("Locked by bob", timeout=2000)

            # bob adds a field: it appears on alice's page live
            b.get_by_label("Field name").fill("note")
            b.get_by_role("button", name="Add field").click()
            expect(b.locator("#table-panel")).to_contain_text("2 fields", timeout=2000)
            expect(a.locator('[data-table="orders"]')).to_contain_text("note", timeout=2000)

            # alice (owner) breaks bob's lock from her panel: bob is told live and his panel turns read-only
            a.get_by_role("button", name="Open orders").click()
            expect(a.locator("[data-lock-banner]")).to_contain_text("Locked by bob", timeout=2000)
            a.once("dialog", lambda dialog: dialog.accept())
            a.get_by_role("button", name="Break lock").click()
            expect(b.locator("#lock-errors")).to_contain_text("Your lock was broken by alice", timeout=2000)
            expect(b.get_by_label("Field name")).to_be_disabled()
            expect(a.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=2000)
            expect(b.locator("[data-lock-banner]")).to_contain_text("Locked by alice", timeout=2000)

            # alice closes her tab: the lock is given back (sendBeacon), bob's open panel takes it
            a.close(run_before_unload=True)
            expect(bob_box.locator("[data-lock-badge]")).to_have_text("Editing (you)", timeout=2000)
            expect(b.get_by_label("Field name")).to_be_enabled(timeout=2000)
            expect(b.get_by_role("list", name="People viewing this project")).not_to_contain_text("alice", timeout=2000)
        except Exception:
            for name, page in pages.items():
                if not page.is_closed():
                    page.screenshot(path=str(artifacts / f"{request.node.name}-{name}.png"), full_page=True)
            raise
        finally:
            browser.close()

    assert list(orders.fields.order_by("sort_order").values_list("field_name", flat=True)) == ["id", "note"]
