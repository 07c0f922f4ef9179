"""The websocket protocol: group names and event shapes. Nothing else knows them.

One group per project. Every event is a JSON object with an ``event`` key:

- ``lock.acquired|renewed|released|expired|forced``: ``table_id``, ``table``, ``holder``, ``holder_id``,
  ``lock_type``, ``reason``, ``expires_at`` (ISO 8601), ``ttl`` (seconds left); ``forced`` adds ``by`` and
  ``why``. Lock tokens are never broadcast.
- ``schema.changed``: ``table_id`` (null: the whole design), ``table``, ``what`` (schema, layout, created, replaced,
  deleted), ``revision``, ``by``.
- ``presence.joined|left``: ``user``, ``user_id``, ``conn`` (one browser tab).
- ``sync``: sent to one socket on connect: ``locks`` (lock.acquired payloads of the active locks) and
  ``presence`` (presence.joined payloads of the open sockets, its own included).
- ``deploy.*``: ``deploy.progress|finished`` with whatever the deploy service reports.

Every broadcast also carries ``origin``: the id of the browser tab whose request caused it (the page sends it as
the ``X-Tablewright-Tab`` header, :class:`designer.realtime.middleware.TabOriginMiddleware` keeps it for the
request), or null. A tab skips the ``schema.changed`` it caused itself — not those of the same user's other tabs.

Broadcasts from sync code go out after the surrounding transaction commits (``transaction.on_commit``), through
``channel_layer.group_send``: ``async_to_sync`` for the in-memory layer, one warm event-loop thread per process
for Redis (see ``_Sender``). A broken channel layer is logged, never fails the write. Bulk writes (a deploy's
critical locks and their release, its Draft → Active move) send the very same per-table events, in order, through
one commit hook and one hand-off to the sender (``broadcast_many``, ``locks_changed``, ``tables_changed``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import uuid
from contextvars import ContextVar
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

#: ``type`` of the channel-layer message; the consumer's ``tw_event`` handler forwards ``event`` to the browser.
MESSAGE_TYPE = "tw.event"
LOCK_EVENTS = ("acquired", "renewed", "released", "expired", "forced")


def project_group(project_id) -> str:
    """The channel-layer group of a project's websockets."""
    return f"project.{uuid.UUID(str(project_id)).hex}"


def message(event: dict) -> dict:
    """The channel-layer message: the event, serialised once for every socket that forwards it."""
    return {"type": MESSAGE_TYPE, "event": event, "text": json.dumps(event)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def lock_payload(lock, kind: str = "acquired") -> dict:
    """What clients learn about a lock (never its token)."""
    seconds = max(0, int((lock.expires_at - timezone.now()).total_seconds())) if kind in ("acquired", "renewed") else 0
    return {
        "event": f"lock.{kind}",
        "table_id": str(lock.table_id),
        "table": lock.table.table_name,
        "holder": lock.user.get_username(),
        "holder_id": lock.user_id,
        "lock_type": lock.lock_type,
        "reason": lock.reason,
        "expires_at": _iso(lock.expires_at),
        "ttl": seconds,
    }


class _Sender:
    """One event loop thread per process that publishes broadcasts from sync code.

    ``async_to_sync`` in a thread without a loop would build a fresh loop, channel-layer client and Redis
    connection for every broadcast; this keeps one warm. Sends are submitted in commit order and awaited, so a
    client sees a project's events in the order their transactions committed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or not self._loop.is_running():
                loop = asyncio.new_event_loop()
                started = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(started.set)
                    loop.run_forever()

                threading.Thread(target=run, name="tablewright-broadcast", daemon=True).start()
                started.wait(5)
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def send(self, group: str, payload: dict, timeout: float = 5.0) -> None:
        layer = get_channel_layer()
        if isinstance(layer, InMemoryChannelLayer):  # its queues belong to the server's loop: send from there
            async_to_sync(layer.group_send)(group, payload)
            return
        asyncio.run_coroutine_threadsafe(layer.group_send(group, payload), self.loop()).result(timeout)

    def send_many(self, group: str, payloads: list[dict], timeout: float = 5.0) -> None:
        """Several messages to one group, in order, with one hand-off to the loop (not one per message)."""
        layer = get_channel_layer()

        async def send_all() -> None:
            for payload in payloads:
                await layer.group_send(group, payload)

        if isinstance(layer, InMemoryChannelLayer):
            async_to_sync(send_all)()
            return
        asyncio.run_coroutine_threadsafe(send_all(), self.loop()).result(timeout + len(payloads) / 100)


_sender = _Sender()


def send_now(project_id, event: dict) -> None:
    """Publish ``event`` to the project's group right away (from sync code; ``broadcast`` waits for commit)."""
    group = project_group(project_id)
    try:
        _sender.send(group, message(event))
    except Exception:  # noqa: BLE001 - a broadcast must never undo or fail a committed write
        log.exception("broadcast of %s to %s failed", event.get("event"), group)


def send_many_now(project_id, batch: list[dict]) -> None:
    """Publish several events to the project's group right away, in order (see :func:`broadcast_many`)."""
    group = project_group(project_id)
    try:
        _sender.send_many(group, [message(event) for event in batch])
    except Exception:  # noqa: BLE001 - a broadcast must never undo or fail a committed write
        log.exception("broadcast of %d events (%s…) to %s failed", len(batch), batch[0].get("event"), group)


#: The browser tab the current request comes from (``X-Tablewright-Tab``), set by ``TabOriginMiddleware``.
TAB_HEADER = "X-Tablewright-Tab"
origin: ContextVar[str | None] = ContextVar("tablewright_origin", default=None)
_TAB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def clean_tab(value: str | None) -> str | None:
    """A tab id as the page sends it (letters, digits, ``-``, ``_``; at most 64), else None."""
    return value if value and _TAB_ID.match(value) else None


def broadcast(project_id, event: dict) -> None:
    """Send ``event`` to everyone watching the project, once the current transaction has committed."""
    event.setdefault("origin", origin.get())
    transaction.on_commit(lambda: send_now(project_id, event))


def broadcast_many(project_id, batch: list[dict]) -> None:
    """Like :func:`broadcast` for each event of ``batch`` (the same events, in order, after the commit), with one
    commit hook and one hand-off to the sender for all of them: a deploy's hundreds of lock and schema events."""
    if not batch:
        return
    tab = origin.get()
    for event in batch:
        event.setdefault("origin", tab)
    transaction.on_commit(lambda: send_many_now(project_id, batch))


def locks_changed(kind: str, locks: list) -> None:
    """``lock.<kind>`` for each lock (one event per table, as :func:`lock_changed` sends), broadcast together."""
    if kind not in LOCK_EVENTS or kind == "forced":
        raise ValueError(f"unknown bulk lock event {kind!r}")
    by_project: dict = {}
    for lock in locks:
        by_project.setdefault(lock.table.project_id, []).append(lock_payload(lock, kind))
    for project_id, batch in by_project.items():
        broadcast_many(project_id, batch)


def lock_changed(kind: str, lock, *, by=None, reason: str = "") -> None:
    if kind not in LOCK_EVENTS:
        raise ValueError(f"unknown lock event {kind!r}")
    event = lock_payload(lock, kind)
    if kind == "forced":
        event["by"] = by.get_username() if by is not None else None
        event["why"] = reason
    broadcast(lock.table.project_id, event)


def _schema_payload(table, what: str, by) -> dict:
    return {
        "event": "schema.changed",
        "table_id": str(table.pk) if table is not None else None,
        "table": table.table_name if table is not None else None,
        "what": what,
        "revision": table.revision if table is not None else None,
        "by": by.get_username() if getattr(by, "is_authenticated", False) else None,
    }


def schema_changed(project_id, *, table=None, what: str = "schema", by=None) -> None:
    """A table (or, without ``table``, the whole design) changed: viewers refresh it."""
    broadcast(project_id, _schema_payload(table, what, by))


def tables_changed(project_id, tables: list, *, what: str = "schema", by=None) -> None:
    """``schema.changed`` for each table (one event per table, as :func:`schema_changed` sends), together."""
    broadcast_many(project_id, [_schema_payload(table, what, by) for table in tables])


def presence(kind: str, *, user, conn) -> dict:
    if kind not in ("joined", "left"):
        raise ValueError(f"unknown presence event {kind!r}")
    return {"event": f"presence.{kind}", "user": user.get_username(), "user_id": user.pk, "conn": str(conn)}


def presence_left(project_id, *, user, conn) -> None:
    """A socket vanished without closing (its server died): the sweep tells the others."""
    broadcast(project_id, presence("left", user=user, conn=conn))


def sync(locks: list, here: list) -> dict:
    """Sent to one socket on connect: the active locks and who is here (``Presence`` rows)."""
    return {
        "event": "sync",
        "locks": [lock_payload(lock) for lock in locks],
        "presence": [presence("joined", user=p.user, conn=p.pk) for p in here],
    }


def deploy(project_id, kind: str, **data) -> None:
    """Room for the deploy service: ``deploy.progress`` / ``deploy.finished``."""
    broadcast(project_id, {"event": f"deploy.{kind}", **data})
