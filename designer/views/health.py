"""GET /healthz: the state of the app database, the channel layer and the deploy database."""

from __future__ import annotations

import asyncio
import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from designer.services.deploy_target import check_deploy_database


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        status = {"ok": True, **(detail or {})}
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure
        status = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    status["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return status


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _channel_layer() -> dict:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    message = {"type": "health.ping", "nonce": uuid.uuid4().hex}

    async def roundtrip():
        # One event loop for the whole round trip: the Redis pub/sub layer keeps its channels per loop.
        channel = await layer.new_channel()
        await layer.send(channel, message)
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    received = async_to_sync(roundtrip)()
    if received.get("nonce") != message["nonce"]:
        raise RuntimeError("channel layer returned a different message")
    return {"backend": type(layer).__name__}


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _timed(_database),
        "channel_layer": _timed(_channel_layer),
        "deploy_database": _timed(check_deploy_database),
    }
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
