"""/healthz, settings from the environment, and the compose file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_reports_every_dependency_without_login(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "deploy_database"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_is_503_when_the_deploy_database_is_down(client, db, settings):
    settings.DEPLOY_DATABASE_URL = "postgres://postgres@127.0.0.1:1/nowhere"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    check = response.json()["checks"]["deploy_database"]
    assert check["ok"] is False and "error" in check


def test_healthz_is_503_when_redis_is_down(client, db, settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client.get(reverse("healthz"))
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["ok"] is False


def _run_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_start_without_secret_key_fails_with_a_clear_message():
    result = _run_check({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_start_without_secret_key_works(tmp_path):
    result = _run_check({"DEBUG": "1", "TABLEWRIGHT_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dev-secret-key").exists()


def test_settings_follow_the_environment(tmp_path):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.DEPLOY_DATABASE_URL, s.ALLOWED_HOSTS, s.DEBUG]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEPLOY_DATABASE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "s",
            "TABLEWRIGHT_VAR_DIR": str(tmp_path),
            "ALLOWED_HOSTS": "a.example,b.example",
            "DEBUG": "0",
        }
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    import json

    engine, layer, deploy, hosts, debug = json.loads(out.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert layer == "channels.layers.InMemoryChannelLayer"
    assert deploy.startswith("sqlite:///") and str(tmp_path) in deploy
    assert hosts == ["a.example", "b.example"] and debug is False
    env.update({"REDIS_URL": "redis://127.0.0.1:6379/0", "DATABASE_URL": "postgres://u@h:5432/d"})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    engine, layer, *_ = json.loads(out.stdout)
    assert engine == "django.db.backends.postgresql"
    assert layer == "channels_redis.pubsub.RedisPubSubChannelLayer"


def _docker_compose() -> str:
    """Debian's docker-compose (it validates the file without a Docker engine). Missing, the test skips — except
    with ``REQUIRE_POSTGRES=1`` (or ``CI=true``), where nothing may skip for a missing service tool: it fails."""
    found = shutil.which("docker-compose")
    if found:
        return found
    if os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true":
        pytest.fail("docker-compose is missing: install Debian's docker-compose package to validate docker-compose.yml")
    pytest.skip("needs Debian's docker-compose to validate the file (CI installs it)")


def test_docker_compose_file_is_valid():
    compose = _docker_compose()
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    services = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config", "--services"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {"db", "redis", "web"} <= set(services)


def test_pages_forbid_inline_and_foreign_scripts(client, owner, project):
    client.force_login(owner)
    response = client.get(f"/projects/{project.slug}/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "<script>" not in response.content.decode()  # no inline script the policy would block


def test_a_missing_docker_compose_fails_where_services_are_required_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="docker-compose is missing"):
        _docker_compose()
    monkeypatch.delenv("REQUIRE_POSTGRES")
    with pytest.raises(pytest.skip.Exception):
        _docker_compose()


def test_healthz_is_503_when_the_app_database_is_down(tmp_path):
    """A real server process whose DATABASE_URL points at a closed port: the database check fails, the rest pass."""
    code = (
        "import django, json; django.setup(); from django.test import Client;"
        "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "s",
            "ALLOWED_HOSTS": "testserver",
            "TABLEWRIGHT_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
            "DEPLOY_DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    import json

    status, body = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert "OperationalError" in body["checks"]["database"]["error"]
    assert body["checks"]["channel_layer"]["ok"] and body["checks"]["deploy_database"]["ok"]


def test_logout_ends_the_session(client, db, make_user):
    user = make_user("lou")
    client.force_login(user)
    assert client.get(reverse("designer:project-list")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    after = client.get(reverse("designer:project-list"))
    assert after.status_code == 302 and reverse("login") in after["Location"]


def test_the_asgi_server_tunes_the_garbage_collector_for_big_diagrams():
    import gc

    import config.asgi  # noqa: F401  (the server's entry point tunes the collector once the app is loaded)
    from config.runtime import GC_GEN0_THRESHOLD

    assert gc.get_threshold()[0] == GC_GEN0_THRESHOLD
    assert gc.get_freeze_count() > 0
