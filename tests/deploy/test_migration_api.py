"""``GET …/migration`` over the API: the SQL from what is deployed to a version (or the design), its undo and
its impact — the Deploy page's own plan, with the lock level, rewrite/scan, risk and live row counts."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings

from designer.services import deploy as deploy_service
from designer.services import fields, versions
from tests.pg_scratch import deploy_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployed_shop(live_shop, deployer):
    """The shop deployed to PostgreSQL, with three orders in it."""
    deploy_url()
    project = live_shop["project"]
    run = deploy_service.deploy(project, actor=deployer, message="first")
    assert run.status == "succeeded", run.error
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{run.target_schema}"')
        conn.execute("INSERT INTO customers (id, email) VALUES (1, 'a@x')")
        conn.execute("INSERT INTO orders (id, customer_id) VALUES (1, 1), (2, 1), (3, 1)")
    return live_shop


def test_migration_of_a_table_gives_its_sql_undo_and_live_impact(api, key_for, deployed_shop, owner):
    project, orders = deployed_shop["project"], deployed_shop["orders"]
    fields.create_field(orders, actor=owner, field_name="channel", data_type="text", is_required=True)
    fields.create_field(deployed_shop["customers"], actor=owner, field_name="nickname", data_type="text")
    answer = api.get(f"/v1/public/{project.slug}/tables/orders/migration", key=key_for(owner))
    assert answer.status == 200, answer.body
    body = answer.body
    assert body["from_version"] is not None and body["target_version"] is None
    assert 'ADD COLUMN "channel" text NOT NULL' in body["migration_sql"]
    assert "nickname" not in body["migration_sql"], "only the statements on orders"
    assert 'RENAME COLUMN "channel" TO "channel__kept_' in body["reverse_sql"], "the undo keeps the data aside"
    impact = body["estimated_impact"]
    (statement,) = [s for s in impact["statements"] if "channel" in s["sql"]]
    assert statement["lock"] == "ACCESS EXCLUSIVE" and statement["table"] == "orders"
    assert impact["tables"]["orders"]["rows"] == 3
    assert any("orders has 3 rows" in w for w in impact["warnings"])
    # the same plan the Deploy page shows
    page_plan = deploy_service.plan(project)
    assert all(s["sql"] in page_plan.sql for s in impact["statements"])
    assert impact["risk"] == page_plan.risk


def test_migration_to_a_saved_version_and_of_the_whole_project(api, key_for, deployed_shop, owner):
    project = deployed_shop["project"]
    deployed = deploy_service.deployed_version(project)
    fields.create_field(deployed_shop["customers"], actor=owner, field_name="nickname", data_type="text")
    later = versions.save_version(project, actor=owner, message="nickname")
    key = key_for(owner)
    to_deployed = api.get(f"/v1/public/{project.slug}/migration?target_version={deployed.version_number}", key=key)
    assert to_deployed.status == 200, to_deployed.body
    assert to_deployed.body["migration_sql"] == "" and to_deployed.body["estimated_impact"]["statements"] == []
    to_later = api.get(f"/v1/public/{project.slug}/migration?target_version={later.version_number}", key=key)
    assert 'ADD COLUMN "nickname"' in to_later.body["migration_sql"]
    assert to_later.body["estimated_impact"]["summary"]
    missing = api.get(f"/v1/public/{project.slug}/migration?target_version=99", key=key)
    assert missing.status == 404 and missing.body["error_code"] == "VERSION_NOT_FOUND"
    assert f"versions 1…{later.version_number}" in missing.body["detail"]


def test_migration_when_the_deploy_database_is_down_says_so(api, key_for, shop, owner, settings):
    settings.DEPLOY_DATABASE_URL = "postgres://postgres@127.0.0.1:1/nowhere"
    answer = api.get(f"/v1/public/{shop['project'].slug}/migration", key=key_for(owner))
    assert answer.status == 503, answer.body
    assert answer.body["error_code"] == "DEPLOY_TARGET_UNAVAILABLE"
    assert "DEPLOY_DATABASE_URL" in answer.body["detail"]


@pytest.mark.rate_limits
def test_the_sixth_migration_in_an_hour_is_rate_limited(api, key_for, shop, owner, settings, tmp_path):
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "migrations": "5/hour"}
    settings.DEPLOY_DATABASE_URL = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    key = key_for(owner)
    answers = [api.get(f"/v1/public/{shop['project'].slug}/migration", key=key) for _ in range(6)]
    assert [a.status for a in answers] == [200] * 5 + [429]
    assert answers[4].headers["X-RateLimit-Remaining"] == "0"
    assert answers[5].body["error_code"] == "RATE_LIMITED" and int(answers[5].headers["Retry-After"]) > 0


def test_a_deployed_table_shows_its_live_rows_and_is_soft_deleted_with_its_data_kept(
    api,
    key_for,
    deployed_shop,
    owner,
    deployer,
):
    project, key = deployed_shop["project"], key_for(owner)
    listed = {
        t["table_name"]: t["row_count"] for t in api.get(f"/v1/public/{project.slug}/tables", key=key).body["tables"]
    }
    assert listed == {"customers": 1, "orders": 3}
    gone = api.delete(f"/v1/public/{project.slug}/tables/orders", key=key)
    assert gone.status == 200, gone.body
    assert gone.body["soft"] is True and gone.body["deleted"] is True
    assert api.get(f"/v1/public/{project.slug}/tables", key=key).body["total"] == 1
    assert api.get(f"/v1/public/{project.slug}/tables/orders", key=key).body["row_count"] == 3, "data still there"
    plan = api.get(f"/v1/public/{project.slug}/migration", key=key).body
    assert plan["estimated_impact"]["destructive"] is True
    assert any("hides 3 rows" in w for w in plan["estimated_impact"]["warnings"])
