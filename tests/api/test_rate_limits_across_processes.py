"""Seed 000's rate limit is per key, not per server process: two real daphne processes sharing Redis count together,
so the 11th schema update in the hour is refused whichever process it reaches."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection

from designer.api import keys
from tests import servers

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _redis():
    """Without Redis each process counts on its own (the in-memory cache is one process by design): skipped when
    ``REDIS_URL`` is unset; a set ``REDIS_URL`` that does not answer fails at once."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL=redis://…: two server processes share rate-limit counts only through Redis")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at REDIS_URL={url} does not answer: {exc}", pytrace=False)


def _call(server: servers.Server, method: str, path: str, key: str, body: dict | None = None):
    request = urllib.request.Request(
        server.http + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), exc.headers


def _table(name: str) -> dict:
    return {"table_name": name, "schema": {"fields": {"label": {"type": "string", "required": True}}}}


def _outside_the_last_minute_of_the_hour() -> None:
    """The windows are aligned to the clock: 12 requests must fall in one hour, so never start in its last minute."""
    left = 3600 - time.time() % 3600
    if left < 60:
        time.sleep(left + 1)


def test_the_eleventh_schema_update_in_the_hour_is_refused_by_either_server_process(project, owner, tmp_path):
    key = keys.create_key(owner, name="ci pipeline", projects=[project])[1]
    env = {"CHANNELS_PREFIX": f"tw-test-{uuid.uuid4().hex[:8]}", "API_RATE_SCHEMA_UPDATES": "10/hour"}
    tables_path = f"/v1/public/{project.slug}/tables"

    with servers.daphnes(2, connection.settings_dict["NAME"], log_dir=tmp_path, extra_env=env) as pair:
        _outside_the_last_minute_of_the_hour()
        for n in range(10):
            server = pair[n % 2]
            status, body, headers = _call(server, "POST", tables_path, key, _table(f"events_{n}"))
            assert status == 201, (n, body)
            assert headers["X-RateLimit-Limit"] == "10"
            assert headers["X-RateLimit-Remaining"] == str(9 - n), f"update {n + 1} on port {server.port}"

        resets = set()
        for server in pair:  # the 11th on A, the 12th on B: both refused, nothing written
            status, body, headers = _call(server, "POST", tables_path, key, _table(f"late_{server.port}"))
            assert status == 429, body
            assert body["error_code"] == "RATE_LIMITED"
            assert "10 per hour" in body["detail"]
            assert headers["X-RateLimit-Remaining"] == "0"
            retry = int(headers["Retry-After"])
            assert 1 <= retry <= 3600
            resets.add(int(headers["X-RateLimit-Reset"]))
        assert len(resets) == 1 and resets.pop() > time.time()

        # reads are not schema updates: still answered, and they show the ten tables and not the refused ones
        status, body, _ = _call(pair[1], "GET", tables_path, key)
        assert status == 200
        assert sorted(t["table_name"] for t in body["tables"]) == [f"events_{n}" for n in range(10)]

        # the count is the key's: another key of the same user still has its ten
        other = keys.create_key(owner, name="second pipeline", projects=[project])[1]
        status, body, headers = _call(pair[0], "POST", tables_path, other, _table("other_key_table"))
        assert status == 201, body
        assert headers["X-RateLimit-Remaining"] == "9"
