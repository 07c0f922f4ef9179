"""Two real daphne processes on the real Redis behave as one: locks and changes made through A are seen live on B."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import pytest
import websockets
from django.db import connection

from designer.services import tables
from tests import servers

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _redis():
    """Without Redis the two processes cannot share events: skipped when ``REDIS_URL`` is unset (the in-memory
    layer is one process by design); a set ``REDIS_URL`` that does not answer fails at once instead of timing out."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL=redis://…: two server processes share events only through Redis")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at REDIS_URL={url} does not answer: {exc}", pytrace=False)


async def _events_until(ws, name: str, timeout: float) -> tuple[dict, list[dict]]:
    """Read events until ``name`` arrives; returns it and everything read before it."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        if event["event"] == name:
            return event, seen
        seen.append(event)


def test_locks_and_changes_made_through_server_a_reach_a_client_on_server_b_and_expiry_is_told_once(
    project, owner, editor, viewer, tmp_path
):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock_url = f"/projects/{project.slug}/tables/{table.pk}/lock/"
    env = {
        "CHANNELS_PREFIX": f"tw-test-{uuid.uuid4().hex[:8]}",
        "LOCK_TTL_OPTIMISTIC": "2",
        "LOCK_TTL_PESSIMISTIC": "60",
        "LOCK_SWEEP_INTERVAL": "0.5",
    }
    editor_http = servers.Browserless(servers.login_session(editor))
    viewer_session, owner_session = servers.login_session(viewer), servers.login_session(owner)
    database = connection.settings_dict["NAME"]

    with servers.daphnes(2, database, log_dir=tmp_path, extra_env=env) as (server_a, server_b):

        async def scenario():
            path = f"/ws/projects/{project.pk}/"
            async with (
                websockets.connect(
                    server_b.ws + path,
                    origin=server_b.http,
                    additional_headers={"Cookie": f"sessionid={viewer_session}"},
                ) as on_b,
                websockets.connect(
                    server_a.ws + path,
                    origin=server_a.http,
                    additional_headers={"Cookie": f"sessionid={owner_session}"},
                ) as on_a,
            ):
                # presence crosses processes: the viewer on B learns the owner on A joined
                joined, _ = await _events_until(on_b, "presence.joined", 5)
                while joined["user"] != "olivia":
                    joined, _ = await _events_until(on_b, "presence.joined", 5)

                started = time.monotonic()
                status, lock = await asyncio.to_thread(
                    editor_http.post, server_a.http + lock_url, {"lock_type": "pessimistic", "reason": "splitting it"}
                )
                assert status == 200, lock
                assert lock["holder"] == "eddie" and lock["token"]
                acquired, _ = await _events_until(on_b, "lock.acquired", 2)
                assert time.monotonic() - started < 2
                assert acquired["table"] == "invoices" and acquired["holder"] == "eddie"
                assert acquired["lock_type"] == "pessimistic" and acquired["reason"] == "splitting it"
                assert "token" not in acquired

                # a second editor asking through B is told who holds it until when
                status, refused = await asyncio.to_thread(
                    servers.Browserless(owner_session).post, server_b.http + lock_url
                )
                assert status == 423 and refused["holder"] == "eddie"

                # an edit through A redraws the table for the client on B
                status, _ = await asyncio.to_thread(
                    editor_http.post,
                    f"{server_a.http}/projects/{project.slug}/tables/{table.pk}/fields/",
                    {"field_name": "id", "data_type": "integer", "lock_token": lock["token"], "base_revision": 1},
                    {"HX-Request": "true"},
                )
                assert status == 200
                changed, _ = await _events_until(on_b, "schema.changed", 2)
                assert changed["table"] == "invoices" and changed["by"] == "eddie" and changed["revision"] == 2

                # the release through A frees it for the client on B
                status, released = await asyncio.to_thread(
                    editor_http.post, server_a.http + lock_url + "release/", {"lock_token": lock["token"]}
                )
                assert status == 200 and released == {"released": True}
                freed, _ = await _events_until(on_b, "lock.released", 2)
                assert freed["table"] == "invoices" and freed["holder"] == "eddie"

                # a short (optimistic) lock through A ...
                status, lock = await asyncio.to_thread(editor_http.post, server_a.http + lock_url)
                assert status == 200 and lock["lock_type"] == "optimistic"
                await _events_until(on_b, "lock.acquired", 2)

                # nobody renews: both servers sweep, the clients hear lock.expired exactly once, within TTL + 5 s
                expired_b, _ = await _events_until(on_b, "lock.expired", 2 + 5)
                expired_a, _ = await _events_until(on_a, "lock.expired", 2)
                assert expired_b["holder"] == expired_a["holder"] == "eddie"
                for ws in (on_a, on_b):
                    with pytest.raises(TimeoutError):
                        while True:
                            extra = json.loads(await asyncio.wait_for(ws.recv(), 2))
                            assert extra["event"] != "lock.expired", "expired broadcast twice"

        asyncio.run(scenario())
