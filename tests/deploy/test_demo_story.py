"""The story of the issue: as demo, deploy DataInsight Pro from the browser, see plan and result, rename a
field and deploy again (a rename, data kept), roll back, Check drift is clean — while alice cannot deploy."""

from __future__ import annotations

import html

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from designer.demo import load_demo
from designer.models import DataField, DeployRun
from designer.services import fields, locks
from designer.services.deploy import schema_name

from .conftest import drop_schema_and_kept

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_demo_deploys_renames_rolls_back_and_alice_cannot(client, clean_target):
    project, _ = load_demo(force=True)
    clean_target(project)
    schema = schema_name(project)
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)
    users = get_user_model().objects
    alice = users.get(username="alice")
    client.force_login(alice)
    for name in ("deploy", "deploy-drift", "deploy-progress"):
        assert client.get(reverse(f"designer:{name}", args=[project.slug])).status_code == 403
    assert client.post(reverse("designer:deploy-run", args=[project.slug])).status_code == 403
    assert "Deploy</a>" not in client.get(project.get_absolute_url()).content.decode()

    client.force_login(users.get(username="demo"))
    assert "Deploy</a>" in client.get(project.get_absolute_url()).content.decode()
    page = client.get(reverse("designer:deploy", args=[project.slug])).content.decode()
    assert "CREATE TABLE" in page and "analyses_quality_score_range" in page
    response = client.post(reverse("designer:deploy-run", args=[project.slug]), {"message": "first"}, follow=True)
    result = response.content.decode()
    assert "Verified: the database matches the intended schema" in result, html.unescape(result)[:3000]

    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {schema}.users (email, password_hash, full_name) VALUES ('ada@example.com', 'x', 'Ada')"
        )
    full_name = DataField.objects.get(table__project=project, table__table_name="users", field_name="full_name")
    with locks.holding([], actor=users.get(username="demo"), reason="test: the demo owner renames a column"):
        fields.update_field(full_name, actor=users.get(username="demo"), field_name="display_name")
    page = html.unescape(client.get(reverse("designer:deploy", args=[project.slug])).content.decode())
    assert 'RENAME COLUMN "full_name" TO "display_name"' in page and "ADD COLUMN" not in page
    client.post(reverse("designer:deploy-run", args=[project.slug]))
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        assert conn.execute(f"SELECT display_name FROM {schema}.users").fetchall() == [("Ada",)]

    response = client.post(reverse("designer:deploy-rollback", args=[project.slug]), follow=True)
    assert "Verified" in response.content.decode()
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        assert conn.execute(f"SELECT full_name FROM {schema}.users").fetchall() == [("Ada",)]
    drift = client.get(reverse("designer:deploy-drift", args=[project.slug])).content.decode()
    assert "No drift" in drift
    assert [r.status for r in DeployRun.objects.filter(project=project).order_by("number")] == ["succeeded"] * 3
