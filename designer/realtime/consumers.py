"""The project websocket: ``/ws/projects/<id>/``. Login and membership are checked on connect.

On connect the socket joins the project's group, records its presence (a ``Presence`` row, so every server
process sees the same list), gets a ``sync`` event with the active locks and who is here, and is announced to
the others (``presence.joined``). Everything else arrives through :mod:`designer.realtime.events` broadcasts.
The browser pings every 30 s (``{"event": "ping"}``), which keeps its presence fresh; the sweep removes the
presence of sockets whose server died.

The tab also says which editor lock it holds (``{"event": "holding", "token": "<lock token>"}``, sent when it
takes one and again whenever its socket opens). When the socket closes, those locks still active and optimistic
are released (``locks.release_left_behind``): the tab is gone, and its own ``sendBeacon`` release on
``pagehide`` is best effort (a tab closed while its page is busy never sends it). Each lock change reaches the
others at once instead of when the lease runs out.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from designer.models import Presence, Project, TableLock
from designer.services.locks import release_left_behind
from designer.services.permissions import role_of

from . import events

log = logging.getLogger(__name__)

#: Close codes the browser can tell apart (4000-4999 are the application's).
NOT_LOGGED_IN, NOT_A_MEMBER = 4401, 4403
#: The most lock tokens one socket remembers (a tab holds one editor lock at a time; it may have held others).
MAX_HELD = 32


def _join(project_id, user) -> Presence | None:
    """Record the socket's presence if ``user`` is a member of the project (None when not)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None or role_of(project, user) is None:
        return None
    return Presence.objects.create(project=project, user=user, seen_at=timezone.now())


def _snapshot(project_id) -> tuple[list[TableLock], list[Presence]]:
    """The project's active locks and who is here: read only once the socket is in the group (see connect)."""
    now = timezone.now()
    active = list(
        TableLock.objects.select_related("user", "table").filter(
            table__project_id=project_id, released_at__isnull=True, expires_at__gt=now
        )
    )
    here = list(Presence.objects.select_related("user").filter(project_id=project_id).order_by("connected_at"))
    return active, here


def _leave(conn) -> None:
    Presence.objects.filter(pk=conn).delete()


def _seen(conn) -> None:
    Presence.objects.filter(pk=conn).update(seen_at=timezone.now())


class ProjectConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    held: dict[str, None]  # lock tokens the tab said it holds, oldest first

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_LOGGED_IN)
            return
        project_id = self.scope["url_route"]["kwargs"]["project_id"]
        mine = await database_sync_to_async(_join)(project_id, user)
        if mine is None:
            await self.close(code=NOT_A_MEMBER)
            return
        self.user, self.conn, self.held = user, mine.pk, {}
        self.group = events.project_group(project_id)
        # Join the group first, then read the snapshot: an event committed after the read is then delivered
        # (after ``sync``: messages wait until connect returns), one committed before it is in the snapshot.
        # One committed in between may arrive twice (in the snapshot and as an event); the browser applies
        # events idempotently, so that is harmless, unlike a missed ``lock.released``.
        await self.channel_layer.group_add(self.group, self.channel_name)
        active, here = await database_sync_to_async(_snapshot)(project_id)
        await self.accept()
        await self.send_json(events.sync(active, here))
        await self.channel_layer.group_send(
            self.group, events.message(events.presence("joined", user=user, conn=self.conn))
        )

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        if self.held:  # the tab is gone: its editor locks go back now (its own beacon may never come)
            try:
                await database_sync_to_async(release_left_behind)(self.user, list(self.held))
            except Exception:  # noqa: BLE001 - the socket still leaves; expiry frees the lock then
                log.exception("releasing the locks of a closed tab failed")
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await database_sync_to_async(_leave)(self.conn)
        await self.channel_layer.group_send(
            self.group, events.message(events.presence("left", user=self.user, conn=self.conn))
        )

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or self.group is None:
            return
        if content.get("event") == "ping":
            await database_sync_to_async(_seen)(self.conn)
            await self.send_json({"event": "pong"})
        elif content.get("event") == "holding" and isinstance(content.get("token"), str):
            self.held.pop(content["token"], None)
            self.held[content["token"][:64]] = None
            while len(self.held) > MAX_HELD:
                self.held.pop(next(iter(self.held)))

    async def dispatch(self, message: dict) -> None:
        """Broadcasts go straight to the socket.

        Channels' own dispatch first closes stale database connections in a worker thread (one thread hop per
        message, serialised through one thread per process); forwarding an event touches no database, and with
        100 sockets per process that hop was most of the broadcast latency (bench/lock_broadcast.py).
        """
        if message.get("type") == events.MESSAGE_TYPE:
            await self.tw_event(message)
        else:
            await super().dispatch(message)

    async def tw_event(self, message: dict) -> None:
        await self.send(text_data=message.get("text") or await self.encode_json(message["event"]))
