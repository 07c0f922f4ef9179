from __future__ import annotations

import json

import pytest

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def hx_events(response) -> dict:
    return json.loads(response.get("HX-Trigger") or "{}")


def url(project, *parts: object) -> str:
    return "/projects/" + project.slug + "/" + "/".join(str(p) for p in parts)
