"""Helpers to open real project websockets (full ASGI app, session cookie, real channel layer)."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client


@pytest.fixture
def session_cookie():
    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    return cookie


@pytest.fixture
def open_socket(session_cookie):
    """``await open_socket(project, user)`` → (connected, communicator or close code)."""
    from config.asgi import application

    opened = []

    async def open_(project, user=None, *, origin: bytes = b"http://127.0.0.1"):
        headers = [(b"origin", origin)]
        if user is not None:
            from asgiref.sync import sync_to_async

            value = await sync_to_async(session_cookie)(user)
            headers.append((b"cookie", f"sessionid={value}".encode()))
        communicator = WebsocketCommunicator(application, f"/ws/projects/{project.pk}/", headers=headers)
        connected, code = await communicator.connect(timeout=5)
        opened.append(communicator)
        return connected, communicator if connected else code

    yield open_


@pytest.fixture
def no_sweeper(settings):
    settings.LOCK_SWEEP_IN_ASGI = False
