"""Lock expiry inside the ASGI process: one asyncio task per server process and event loop.

It starts when the process handles its first request of any kind (HTTP or websocket, :class:`SweepInProcess`
wraps the whole ASGI app in ``config/asgi.py``), so locks taken over plain HTTP expire even when no websocket
was ever opened. ``LOCK_SWEEP_IN_ASGI=0`` turns it off (then run ``manage.py expire_locks --loop``).

Every process may sweep: :func:`designer.services.locks.expire_locks` claims each expired lock in the database,
so ``lock.expired`` goes out once however many processes run. ``manage.py expire_locks --loop`` does the same
as a separate process (docker-compose's ``expirer`` service).
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

log = logging.getLogger(__name__)
_tasks: dict[int, asyncio.Task] = {}


def interval() -> float:
    return float(getattr(settings, "LOCK_SWEEP_INTERVAL", 1.0))


def sweep_once() -> int:
    """Expire locks and drop the presence of dead sockets; returns how many locks expired."""
    from designer.services.locks import expire_locks
    from designer.services.presence import prune_presence

    prune_presence()
    return len(expire_locks())


async def _run() -> None:
    while True:
        try:
            await database_sync_to_async(sweep_once)()
        except Exception:  # noqa: BLE001 - keep sweeping; the database may be back next time
            log.exception("lock expiry sweep failed")
        await asyncio.sleep(interval())


def ensure_running() -> asyncio.Task:
    """Start the sweep in the running event loop unless it already runs there."""
    loop = asyncio.get_running_loop()
    task = _tasks.get(id(loop))
    if task is None or task.done():
        task = _tasks[id(loop)] = loop.create_task(_run(), name="tablewright-lock-sweeper")
    return task


class SweepInProcess:
    """ASGI middleware: make sure the sweep runs in this process once it handles any request.

    Daphne implements no ``lifespan`` startup event, so the first HTTP request or websocket is the earliest
    moment with a running event loop. ``LOCK_SWEEP_IN_ASGI`` is read on every request (tests flip it).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and getattr(settings, "LOCK_SWEEP_IN_ASGI", True):
            ensure_running()
        return await self.app(scope, receive, send)
