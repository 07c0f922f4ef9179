"""API-test fixtures: keys for the shared users (owner olivia, editor eddie, viewer vera, outsider oscar) and a
client that speaks JSON with ``X-API-Key``.

    def test_x(api, key_for, project):
        key = key_for(owner)
        status, body = api.post(f"/v1/public/{project.slug}/tables", {...}, key=key)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict

    def __iter__(self):  # status, body = api.get(...)
        return iter((self.status, self.body))


class ApiClient:
    def __init__(self) -> None:
        self.client = Client()

    def call(self, method: str, path: str, body=None, *, key: str | None = None, headers: dict | None = None):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        if key is not None:
            extra["HTTP_X_API_KEY"] = key
        data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
        response = getattr(self.client, method)(path, data=data, content_type="application/json", **extra)
        try:
            parsed = json.loads(response.content or b"{}")
        except ValueError:
            parsed = {"_not_json": response.content.decode(errors="replace")}
        return Answer(response.status_code, parsed, dict(response.headers))

    def get(self, path, **kw):
        return self.call("get", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("post", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("put", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("patch", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("delete", path, body, **kw)


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def key_for():
    """``key_for(user, projects=(), read_only=False)`` -> the raw key."""
    from designer.api import keys

    def make(user, *, projects=(), read_only: bool = False, name: str = "test key") -> str:
        return keys.create_key(user, name=name, projects=projects, read_only=read_only)[1]

    return make


@pytest.fixture(autouse=True)
def _generous_limits(settings, request):
    """Tests not about rate limits get room; rate-limit tests set their own (``settings.API_RATE_LIMITS``). Counts
    are per key and every test makes new keys, so nothing carries over between tests (the cache is not cleared:
    with ``REDIS_URL`` it is the Redis the channel layer uses)."""
    if request.node.get_closest_marker("rate_limits") is None:
        settings.API_RATE_LIMITS = {"schema_updates": "10000/hour", "migrations": "10000/hour",
                                    "performance": "10000/minute"}  # fmt: skip


COMPLIANCE_EVENTS = {
    "table_name": "compliance_events",
    "description": "Stores compliance event records for audit trail",
    "schema": {
        "fields": {
            "event_type": {"type": "string", "required": True},
            "agent_id": {"type": "string", "required": True},
            "payload": {"type": "json", "required": False},
            "timestamp": {"type": "timestamp", "required": True},
        },
        "indexes": ["event_type", "agent_id"],
    },
}
