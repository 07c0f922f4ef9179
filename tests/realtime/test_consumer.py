"""The project websocket: who may connect, and what they see as locks, presence and the schema change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from designer.models import Presence
from designer.realtime import sweeper
from designer.realtime.consumers import NOT_A_MEMBER, NOT_LOGGED_IN
from designer.services import fields, locks, tables

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_sweeper")]


async def next_event(communicator, name: str | None = None, timeout: float = 3.0) -> dict:
    """The next event; when ``name`` is given, skip the connect chatter (sync, presence) before it."""
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        if name is None or event["event"] == name:
            return event
        if event["event"] != "sync" and not event["event"].startswith("presence."):
            raise AssertionError(f"expected {name}, got {event}")


async def test_anonymous_visitors_are_refused(project, open_socket):
    connected, code = await open_socket(project)
    assert not connected and code == NOT_LOGGED_IN


async def test_non_members_are_refused(project, outsider, open_socket):
    connected, code = await open_socket(project, outsider)
    assert not connected and code == NOT_A_MEMBER


async def test_a_foreign_origin_is_refused(project, editor, open_socket):
    connected, _ = await open_socket(project, editor, origin=b"http://evil.example")
    assert not connected


async def test_viewer_sees_lock_events_in_order(project, owner, viewer, open_socket):
    table = await sync_to_async(tables.create_table)(project, actor=owner, table_name="invoices")
    connected, ws = await open_socket(project, viewer)
    assert connected
    assert (await next_event(ws))["event"] == "sync"
    joined = await next_event(ws, "presence.joined")
    assert joined["user"] == "vera"

    lock = await sync_to_async(locks.acquire)(table, actor=owner)
    await sync_to_async(locks.renew)(table, actor=owner, lock_token=lock.lock_token)
    await sync_to_async(fields.create_field)(
        table, actor=owner, field_name="id", data_type="integer", lock_token=lock.lock_token, base_revision=1
    )
    await sync_to_async(locks.release)(table, actor=owner, lock_token=lock.lock_token)

    acquired = await next_event(ws, "lock.acquired")
    assert acquired["table"] == "invoices" and acquired["holder"] == "olivia" and acquired["lock_type"] == "optimistic"
    assert "token" not in acquired and str(lock.lock_token) not in str(acquired)
    assert 110 <= acquired["ttl"] <= 120
    assert (await next_event(ws, "lock.renewed"))["holder"] == "olivia"
    changed = await next_event(ws, "schema.changed")
    assert changed["table"] == "invoices" and changed["revision"] == 2 and changed["by"] == "olivia"
    assert (await next_event(ws, "lock.released"))["table"] == "invoices"
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_new_socket_gets_the_active_locks_on_connect(project, owner, editor, open_socket):
    table = await sync_to_async(tables.create_table)(project, actor=owner, table_name="invoices")
    await sync_to_async(locks.acquire)(table, actor=owner)
    connected, ws = await open_socket(project, editor)
    sync = await next_event(ws)
    assert sync["event"] == "sync"
    assert [(lock["table"], lock["holder"]) for lock in sync["locks"]] == [("invoices", "olivia")]
    await ws.disconnect()


async def test_a_lock_taken_while_the_socket_connects_is_not_missed(project, owner, editor, open_socket, monkeypatch):
    """The socket joins the group before it reads the snapshot: a lock that changes right after the read (while
    connect is still running) arrives as an event after ``sync``; one from before the read is in ``sync``."""
    from designer.realtime import consumers

    before = await sync_to_async(tables.create_table)(project, actor=owner, table_name="before")
    after = await sync_to_async(tables.create_table)(project, actor=owner, table_name="after")
    read = consumers._snapshot

    def snapshot_then_someone_locks(project_id):
        locks.acquire(before, actor=owner)
        taken = read(project_id)
        locks.acquire(after, actor=owner)  # committed (and broadcast) after the read, before connect returns
        return taken

    monkeypatch.setattr(consumers, "_snapshot", snapshot_then_someone_locks)
    connected, ws = await open_socket(project, editor)
    assert connected
    sync = await next_event(ws)
    assert sync["event"] == "sync" and [lock["table"] for lock in sync["locks"]] == ["before"]
    seen = set()
    while "after" not in seen:
        event = await next_event(ws, "lock.acquired")
        seen.add(event["table"])  # "before" may come again as an event too: harmless, the page is idempotent
    await ws.disconnect()


async def test_former_holder_is_told_live_when_an_owner_forces_their_lock(project, owner, editor, open_socket):
    table = await sync_to_async(tables.create_table)(project, actor=owner, table_name="invoices")
    connected, ws = await open_socket(project, editor)
    await sync_to_async(locks.acquire)(table, actor=editor)
    assert (await next_event(ws, "lock.acquired"))["holder"] == "eddie"
    await sync_to_async(locks.force_release)(table, actor=owner, reason="needed for the release")
    forced = await next_event(ws, "lock.forced")
    assert forced["holder"] == "eddie" and forced["by"] == "olivia" and forced["why"] == "needed for the release"
    await ws.disconnect()


async def test_a_closed_tabs_editor_lock_goes_back_when_its_socket_closes_a_restructuring_lock_stays(
    project, owner, editor, open_socket
):
    """The tab's own release (a beacon on pagehide) may never be sent; its socket's close is certain."""
    from designer.models import TableLock

    invoices = await sync_to_async(tables.create_table)(project, actor=owner, table_name="invoices")
    payments = await sync_to_async(tables.create_table)(project, actor=owner, table_name="payments")
    _, watcher = await open_socket(project, owner)
    _, tab = await open_socket(project, editor)
    short = await sync_to_async(locks.acquire)(invoices, actor=editor, from_tab=True)
    long = await sync_to_async(locks.acquire)(payments, actor=editor, lock_type="pessimistic", reason="splitting it")
    await tab.send_json_to({"event": "holding", "token": str(short.lock_token)})
    await tab.send_json_to({"event": "holding", "token": str(long.lock_token)})
    await tab.send_json_to({"event": "holding", "token": "not a token"})
    await tab.send_json_to({"event": "ping"})  # answered after the messages before it: they have been read
    while (await tab.receive_json_from(timeout=3))["event"] != "pong":
        pass
    for _ in range(2):
        await next_event(watcher, "lock.acquired")

    await tab.disconnect()
    released = await next_event(watcher, "lock.released")
    assert (released["table"], released["holder"]) == ("invoices", "eddie")
    assert (await next_event(watcher, "presence.left"))["user"] == "eddie"
    assert await watcher.receive_nothing(timeout=0.3)
    still = await sync_to_async(list)(TableLock.objects.filter(released_at__isnull=True).values_list("lock_type"))
    assert still == [("pessimistic",)], "a restructuring lock outlives the tab"
    await watcher.disconnect()


async def test_presence_lists_who_is_here_and_who_left(project, owner, editor, open_socket):
    _, alice = await open_socket(project, owner)
    assert [p["user"] for p in (await next_event(alice))["presence"]] == ["olivia"]
    _, bob = await open_socket(project, editor)
    assert [p["user"] for p in (await next_event(bob))["presence"]] == ["olivia", "eddie"]
    assert (await next_event(alice, "presence.joined"))["user"] == "olivia"  # her own announcement
    assert (await next_event(alice, "presence.joined"))["user"] == "eddie"
    await bob.disconnect()
    left = await next_event(alice, "presence.left")
    assert left["user"] == "eddie"
    await alice.disconnect()
    assert await sync_to_async(Presence.objects.filter(project=project).count)() == 0


async def test_presence_of_a_socket_whose_server_died_is_pruned(project, owner, editor, open_socket):
    from designer.services.presence import prune_presence

    stale = await sync_to_async(Presence.objects.create)(
        project=project, user=editor, seen_at=timezone.now() - timedelta(minutes=5)
    )
    _, alice = await open_socket(project, owner)
    here = (await next_event(alice))["presence"]
    assert {p["user"] for p in here} == {"olivia", "eddie"}
    assert await sync_to_async(prune_presence)() == 1
    left = await next_event(alice, "presence.left")
    assert left["user"] == "eddie" and left["conn"] == str(stale.pk)
    assert await sync_to_async(prune_presence)() == 0
    await alice.disconnect()


async def test_sweeper_in_the_server_frees_an_expired_lock_and_says_so_once(
    project, owner, editor, open_socket, settings
):
    settings.LOCK_SWEEP_IN_ASGI = True
    settings.LOCK_SWEEP_INTERVAL = 0.2
    table = await sync_to_async(tables.create_table)(project, actor=owner, table_name="invoices")
    _, ws = await open_socket(project, editor)
    try:
        await sync_to_async(locks.acquire)(table, actor=owner, ttl=1)
        await next_event(ws, "lock.acquired")
        expired = await next_event(ws, "lock.expired", timeout=1 + 5)
        assert expired["holder"] == "olivia"
        assert await ws.receive_nothing(timeout=1.0)  # once, not on every sweep
        assert await sync_to_async(locks.active_lock)(table) is None
    finally:
        await ws.disconnect()
        task = sweeper._tasks.pop(id(asyncio.get_running_loop()), None)
        if task:
            task.cancel()


async def test_schema_changed_names_the_tab_it_came_from_so_the_users_other_tab_refreshes(project, owner, open_socket):
    """The page skips only the events its own tab caused (``origin``), not those of the same user's other tab."""
    from django.test import Client
    from django.urls import reverse

    table = await sync_to_async(tables.create_table)(project, actor=owner, table_name="invoices")
    _, ws = await open_socket(project, owner)

    def edit_from_a_tab(tab: str) -> int:
        client = Client()
        client.force_login(owner)
        token = client.post(reverse("designer:lock-acquire", args=[project.slug, table.pk])).json()["token"]
        response = client.post(
            reverse("designer:field-create", args=[project.slug, table.pk]),
            {"field_name": "id", "data_type": "integer", "lock_token": token, "base_revision": 1},
            headers={"HX-Request": "true", "X-Tablewright-Tab": tab},
        )
        return response.status_code

    assert await sync_to_async(edit_from_a_tab)("tab-1") == 200
    changed = await ws.receive_json_from(timeout=3)
    while changed["event"] != "schema.changed":
        changed = await ws.receive_json_from(timeout=3)
    assert changed["table"] == "invoices" and changed["by"] == "olivia" and changed["origin"] == "tab-1"
    await ws.disconnect()
