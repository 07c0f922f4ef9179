"""Seed 004's seeders per environment over the API and ``manage.py seed``: sample rows PostgreSQL's own
constraints accept, exactly those removed by clear (a hand-inserted row stays), refused where not allowed."""

from __future__ import annotations

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.pg_scratch import deploy_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _url(project, rest: str) -> str:
    return f"/v1/public/{project.slug}/{rest}"


def _count(schema: str, table: str) -> int:
    with psycopg.connect(deploy_url()) as conn:
        return conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]


def test_dev_is_seeded_reported_and_cleared_leaving_the_users_own_row(api, key_for, live_shop, deployer):
    project = live_shop["project"]
    key = key_for(deployer)
    assert api.post(_url(project, "migrations/run"), {"environment": "dev"}, key=key).status == 201
    project.refresh_from_db()
    schema = f"{project.deploy_schema}_dev"
    with psycopg.connect(deploy_url(), autocommit=True) as conn:
        conn.execute(f'INSERT INTO "{schema}".customers (id, email) VALUES (-1, %s)', ("mine@example.com",))

    seeded = api.post(_url(project, "seeders/run"), {"environment": "dev", "rows_per_table": 50, "seed": 7}, key=key)
    assert seeded.status == 201, seeded.body
    assert seeded.body["counts"] == {"customers": 50, "orders": 50} and seeded.body["total"] == 100
    assert _count(schema, "customers") == 51
    status = api.get(_url(project, "seeders/status?environment=dev"), key=key).body
    assert status["tables"]["customers"] == {"deployed": True, "rows": 51, "seeded": 50, "user": 1}

    cleared = api.post(_url(project, "seeders/clear"), {"environment": "dev"}, key=key)
    assert cleared.status == 200 and cleared.body["total"] == 100
    assert _count(schema, "customers") == 1 and _count(schema, "orders") == 0
    with psycopg.connect(deploy_url()) as conn:
        assert conn.execute(f'SELECT email FROM "{schema}".customers').fetchone()[0] == "mine@example.com"


def test_prod_refuses_sample_data_and_an_undeployed_environment_says_deploy_first(api, key_for, live_shop, deployer):
    project = live_shop["project"]
    key = key_for(deployer)
    assert api.post(_url(project, "migrations/run"), {"environment": "prod"}, key=key).status == 201
    refused = api.post(_url(project, "seeders/run"), {"environment": "prod"}, key=key)
    assert refused.status == 403 and "not allowed in prod" in refused.body["detail"]
    early = api.post(_url(project, "seeders/run"), {"environment": "staging"}, key=key)
    assert early.status == 409 and "Nothing is deployed in staging" in early.body["detail"]
    unknown = api.post(_url(project, "seeders/run"), {"environment": "dev", "tables": ["nope"]}, key=key)
    assert unknown.status == 409 or unknown.status == 422


def test_manage_py_seed_fills_dev_and_clears_it_again(live_shop, deployer, capsys):
    from designer.services import deploy as deploy_service

    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer, environment="dev")
    call_command("seed", project.slug, "--env", "dev", "--rows", "20")
    assert "Seeded 40 rows into dev" in capsys.readouterr().out
    project.refresh_from_db()
    assert _count(f"{project.deploy_schema}_dev", "orders") == 20
    call_command("seed", project.slug, "--env", "dev", "--clear")
    assert _count(f"{project.deploy_schema}_dev", "orders") == 0
    with pytest.raises(CommandError, match="not allowed in prod"):
        call_command("seed", project.slug, "--env", "prod")
