"""The project websocket: ``/ws/projects/<id>/``. Login and membership are checked on connect.

On connect the socket joins the project's group, gets a ``sync`` event with the active locks, and announces
itself (``presence.joined``); every socket already there answers the newcomer directly with its own
``presence.joined``, so presence needs no shared store and works across server processes. Everything else
arrives through :mod:`designer.realtime.events` broadcasts.
"""

from __future__ import annotations

import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from designer.models import Project, TableLock
from designer.services.permissions import role_of

from . import events, sweeper

#: Close codes the browser can tell apart (4000-4999 are the application's).
NOT_LOGGED_IN, NOT_A_MEMBER = 4401, 4403


def _is_member(project_id, user) -> bool:
    project = Project.objects.filter(pk=project_id).first()
    return project is not None and role_of(project, user) is not None


def _active_locks(project_id) -> list[TableLock]:
    return list(
        TableLock.objects.select_related("user", "table").filter(
            table__project_id=project_id, released_at__isnull=True, expires_at__gt=timezone.now()
        )
    )


class ProjectConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_LOGGED_IN)
            return
        project_id = self.scope["url_route"]["kwargs"]["project_id"]
        if not await database_sync_to_async(_is_member)(project_id, user):
            await self.close(code=NOT_A_MEMBER)
            return
        self.user = user
        self.conn = uuid.uuid4().hex[:12]
        self.group = events.project_group(project_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(events.sync(await database_sync_to_async(_active_locks)(project_id)))
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "tw.presence",
                "event": events.presence("joined", user=user, conn=self.conn),
                "reply_to": self.channel_name,
            },
        )
        if getattr(settings, "LOCK_SWEEP_IN_ASGI", True):
            sweeper.ensure_running()

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.channel_layer.group_send(
            self.group, {"type": "tw.event", "event": events.presence("left", user=self.user, conn=self.conn)}
        )

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("event") == "ping":
            await self.send_json({"event": "pong"})

    async def tw_event(self, message: dict) -> None:
        await self.send_json(message["event"])

    async def tw_presence(self, message: dict) -> None:
        """Someone joined: show them here, and tell them we are here too."""
        await self.send_json(message["event"])
        if message["reply_to"] != self.channel_name:
            await self.channel_layer.send(
                message["reply_to"],
                {"type": "tw.event", "event": events.presence("joined", user=self.user, conn=self.conn)},
            )
