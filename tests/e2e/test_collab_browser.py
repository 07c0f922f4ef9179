"""Two people in two browsers on the designer page: locks, read-only panels, presence and edits show up live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from designer.services import fields, projects, tables

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

LIVE = 2000  # ms: every lock change must be visible to the other person within 2 s, without reloading


def _open_designer(page, base: str, slug: str):
    page.goto(f"{base}/projects/{slug}/")
    expect(page.locator("#collab")).to_have_attribute("data-connected", "1", timeout=5000)
    return page


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(username)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.wait_for_url(f"{base}/")


def _open_table(page, name: str) -> None:
    page.locator("#table-list [data-select-table]", has_text=name).click()
    page.locator(f'#table-panel[data-table="{name}"]').wait_for()


def _field_name(page):
    return page.get_by_role("form", name="Add field").get_by_label("Field name")


def _shop_shared_with_bob(alice, make_user, locked, name: str):
    """alice's project with an ``orders`` table (an ``id`` key), bob an editor of it."""
    make_user("bob")
    project = projects.create_project(actor=alice, name=name)
    projects.set_member(project, actor=alice, username="bob", role="editor")
    orders = tables.create_table(project, actor=alice, table_name="orders")
    with locked([orders], alice):
        fields.create_field(orders, actor=alice, field_name="id", data_type="integer", primary_key=True)
    return project, orders


def test_alice_and_bob_see_each_others_locks_and_edits_live(
    page, live_server_url, login, make_user, locked, playwright_browser
):
    alice = login("alice")
    project, orders = _shop_shared_with_bob(alice, make_user, locked, "Live shop")

    bob_context = playwright_browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        b = bob_context.new_page()
        bob_errors: list[str] = []
        b.on("pageerror", lambda exc: bob_errors.append(str(exc)))
        _log_in(b, live_server_url, "bob")
        a = _open_designer(page, live_server_url, project.slug)
        _open_designer(b, live_server_url, project.slug)

        # both see each other in the presence list
        expect(a.get_by_role("list", name="People viewing this project")).to_contain_text("bob", timeout=LIVE)
        expect(b.get_by_role("list", name="People viewing this project")).to_contain_text("alice", timeout=LIVE)

        # alice opens orders: she holds the lock; bob sees it on the box within 2 s without reloading
        _open_table(a, "orders")
        expect(a.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=LIVE)
        expect(_field_name(a)).to_be_enabled()
        bob_badge = b.locator('#canvas g[data-table="orders"] .lock-badge')
        expect(bob_badge).to_have_text("Locked by alice", timeout=LIVE)

        # bob opens it too: a read-only panel saying "Locked by alice" with a live countdown
        _open_table(b, "orders")
        banner = b.locator("[data-lock-banner]")
        expect(banner).to_contain_text("Locked by alice", timeout=LIVE)
        expect(banner).to_contain_text(re.compile(r"frees in \d:\d\d"))
        first = banner.text_content()
        expect(banner).not_to_have_text(first, timeout=3000)  # the countdown moves
        expect(_field_name(b)).to_be_disabled()
        expect(b.get_by_role("button", name="Break lock")).to_be_hidden()  # bob is no owner
        expect(a.get_by_role("button", name="Release lock")).to_be_hidden()  # alice's lock goes back on close

        # alice locks it for restructuring: a reason is required (said beside the input), bob sees what it is for
        restructure = a.get_by_role("form", name="Lock for restructuring")
        restructure.get_by_role("button", name="Lock for restructuring").click()
        expect(restructure).to_contain_text("Say why you lock this table", timeout=LIVE)
        restructure.get_by_label("Reason").fill("splitting it")
        restructure.get_by_role("button", name="Lock for restructuring").click()
        expect(a.locator("[data-lock-banner]")).to_contain_text("restructuring lock (splitting it)", timeout=LIVE)
        expect(banner).to_contain_text("Locked by alice for restructuring", timeout=LIVE)
        expect(banner).to_contain_text("splitting it")
        expect(bob_badge).to_have_text("Locked by alice (restructuring)")
        # closing her panel keeps a restructuring lock (only an editor's short lock goes back on close)
        a.locator("#table-panel [data-panel-close]").click()
        a.wait_for_timeout(1000)
        expect(bob_badge).to_have_text("Locked by alice (restructuring)")
        expect(_field_name(b)).to_be_disabled()
        b.locator("#table-panel [data-panel-close]").click()
        # she gives it back explicitly from the panel and goes on editing under a short lock
        _open_table(a, "orders")
        a.get_by_role("button", name="Release lock").click()
        expect(a.locator("[data-lock-banner]")).to_contain_text("You are editing this table.", timeout=LIVE)
        expect(bob_badge).to_have_text("Locked by alice", timeout=LIVE)
        _open_table(b, "orders")
        expect(banner).to_contain_text("Locked by alice · read only", timeout=LIVE)

        # alice closes her panel: bob sees the table free and his panel becomes editable
        a.locator("#table-panel [data-panel-close]").click()
        expect(bob_badge).not_to_have_text("Locked by alice", timeout=LIVE)
        expect(_field_name(b)).to_be_enabled(timeout=LIVE)
        expect(banner).to_contain_text("You are editing")
        expect(a.locator('#canvas g[data-table="orders"] .lock-badge')).to_have_text("Locked by bob", timeout=LIVE)

        # bob adds a field: it appears on alice's diagram live
        _field_name(b).fill("note")
        b.get_by_role("form", name="Add field").get_by_role("button", name="Add field").click()
        b.locator('#fields-section li[data-field="note"]').wait_for()
        expect(a.locator('#canvas g[data-table="orders"]')).to_contain_text("note", timeout=LIVE)

        # alice (owner) breaks bob's lock from her panel: bob is told live and his panel turns read-only
        _open_table(a, "orders")
        expect(a.locator("[data-lock-banner]")).to_contain_text("Locked by bob", timeout=LIVE)
        a.once("dialog", lambda dialog: dialog.accept())
        a.get_by_role("button", name="Break lock").click()
        expect(b.locator("#lock-errors")).to_contain_text("Your lock was broken by alice", timeout=LIVE)
        expect(_field_name(b)).to_be_disabled()
        expect(a.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=LIVE)
        expect(_field_name(a)).to_be_enabled()
        expect(banner).to_contain_text("Locked by alice", timeout=LIVE)

        # alice closes her tab: the lock is given back (sendBeacon) and bob's open panel takes it
        a.close(run_before_unload=True)
        expect(bob_badge).to_have_text("Editing (you)", timeout=LIVE)
        expect(_field_name(b)).to_be_enabled(timeout=LIVE)
        expect(b.get_by_role("list", name="People viewing this project")).not_to_contain_text("alice", timeout=LIVE)
        assert page.js_errors == [] and bob_errors == []
    finally:
        bob_context.close()

    assert list(orders.fields.order_by("sort_order").values_list("field_name", flat=True)) == ["id", "note"]


def test_a_tab_closed_while_its_page_is_busy_still_gives_its_lock_back_live(
    page, live_server_url, login, make_user, locked, playwright_browser
):
    """A closing tab's own release (sendBeacon on pagehide) never goes out when Chromium kills a page that is too
    busy to run its pagehide in time (a loaded machine: issue 4's flaky close); its socket's close frees the lock."""
    alice = login("alice")
    project, orders = _shop_shared_with_bob(alice, make_user, locked, "Busy shop")
    bob_context = playwright_browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        b = bob_context.new_page()
        _log_in(b, live_server_url, "bob")
        a = _open_designer(page, live_server_url, project.slug)
        _open_designer(b, live_server_url, project.slug)
        _open_table(a, "orders")
        expect(a.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=LIVE)
        _open_table(b, "orders")
        expect(b.locator("[data-lock-banner]")).to_contain_text("Locked by alice", timeout=LIVE)

        a.evaluate("setTimeout(() => { const until = Date.now() + 4000; while (Date.now() < until); }, 0)")
        a.close(run_before_unload=True)
        expect(b.locator('#canvas g[data-table="orders"] .lock-badge')).to_have_text("Editing (you)", timeout=LIVE)
        expect(_field_name(b)).to_be_enabled(timeout=LIVE)
    finally:
        bob_context.close()


def test_one_person_in_two_tabs_sees_their_own_edits_and_keeps_working_when_one_tab_closes(
    page, browser_context, live_server_url, login, locked
):
    alice = login("alice")
    project = projects.create_project(actor=alice, name="Two tabs")
    orders = tables.create_table(project, actor=alice, table_name="orders")
    with locked([orders], alice):
        fields.create_field(orders, actor=alice, field_name="id", data_type="integer", primary_key=True)
    first = _open_designer(page, live_server_url, project.slug)
    second = browser_context.new_page()
    second_errors: list[str] = []
    second.on("pageerror", lambda exc: second_errors.append(str(exc)))
    _open_designer(second, live_server_url, project.slug)

    # the first tab edits orders; the second shows it read-only, as open in another tab of hers
    _open_table(first, "orders")
    expect(first.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=LIVE)
    _open_table(second, "orders")
    expect(second.locator("[data-lock-banner]")).to_contain_text(
        "Open for editing in another tab of yours", timeout=LIVE
    )
    expect(_field_name(second)).to_be_disabled()

    # her edit in the first tab redraws the second tab's diagram and panel (it is not skipped as "her own")
    _field_name(first).fill("note")
    first.get_by_role("form", name="Add field").get_by_role("button", name="Add field").click()
    first.locator('#fields-section li[data-field="note"]').wait_for()
    expect(second.locator('#canvas g[data-table="orders"]')).to_contain_text("note", timeout=LIVE)
    expect(second.locator('#fields-section li[data-field="note"]')).to_be_visible(timeout=LIVE)

    # closing the first tab gives its lock back; the second tab takes it and goes on editing
    first.close(run_before_unload=True)
    expect(second.locator("[data-lock-banner]")).to_contain_text("You are editing", timeout=LIVE)
    expect(_field_name(second)).to_be_enabled(timeout=LIVE)
    _field_name(second).fill("memo")
    second.get_by_role("form", name="Add field").get_by_role("button", name="Add field").click()
    second.locator('#fields-section li[data-field="memo"]').wait_for()
    assert page.js_errors == [] and second_errors == []
    assert list(orders.fields.order_by("sort_order").values_list("field_name", flat=True)) == ["id", "note", "memo"]
