"""A server process frees expired locks even when nobody ever opened a websocket on it (locks taken over HTTP)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.utils import timezone

from designer.models import TableLock
from designer.services import tables
from tests import servers

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _lock_over_http(server, project, table, user) -> dict:
    status, lock = servers.Browserless(servers.login_session(user)).post(
        f"{server.http}/projects/{project.slug}/tables/{table.pk}/lock/"
    )
    assert status == 200, lock
    return lock


def _released_within(table, seconds: float) -> TableLock | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lock = TableLock.objects.filter(table=table).order_by("-locked_at").first()
        if lock is not None and lock.released_at is not None:
            return lock
        time.sleep(0.2)
    return None


def test_a_lock_taken_over_http_only_expires_with_no_websocket_open(project, owner, editor, tmp_path):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    env = {"LOCK_TTL_OPTIMISTIC": "2", "LOCK_SWEEP_INTERVAL": "0.5", "LOCK_SWEEP_IN_ASGI": "1"}
    with servers.daphnes(1, connection.settings_dict["NAME"], log_dir=tmp_path, extra_env=env) as (server,):
        _lock_over_http(server, project, table, editor)
        released = _released_within(table, 2 + 5)
    assert released is not None, "the lock was not freed within TTL + 5 s by a server that saw only HTTP"
    assert released.release_reason == "expired"


def test_lock_sweep_in_asgi_off_leaves_expiry_to_the_expire_locks_command(project, owner, editor, tmp_path):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    env = {"LOCK_TTL_OPTIMISTIC": "1", "LOCK_SWEEP_INTERVAL": "0.2", "LOCK_SWEEP_IN_ASGI": "0"}
    with servers.daphnes(1, connection.settings_dict["NAME"], log_dir=tmp_path, extra_env=env) as (server,):
        _lock_over_http(server, project, table, editor)
        assert _released_within(table, 1 + 2) is None  # the server does not sweep
    lock = TableLock.objects.get(table=table)
    assert lock.released_at is None and lock.expires_at < timezone.now()
