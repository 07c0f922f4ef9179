"""Deploying a design built through the services to real PostgreSQL: runs, failures, locks, rollback, drift."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from designer.introspect.postgresql import introspect
from designer.models import DataTable, DeployRun, SchemaVersion, TableLock
from designer.services import deploy as deploy_service
from designer.services import fields
from designer.services.deploy import DeployRefused, schema_name

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def sql(project, query, *params):
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"SET search_path = {schema_name(project)}")
        cur = conn.execute(query, params or None)
        return cur.fetchall() if cur.description else None


def test_deployer_deploys_the_shop_and_the_database_matches_the_design(live_shop, deployer):
    project = live_shop["project"]
    run = deploy_service.deploy(project, actor=deployer, message="first")
    assert run.status == "succeeded", run.error or run.verification
    assert run.verification == [] and run.duration_ms is not None
    assert "CREATE TABLE" in run.sql and run.to_version.version_number == 1
    assert set(DataTable.objects.filter(project=project).values_list("status", flat=True)) == {"active"}
    live = introspect(settings.DEPLOY_DATABASE_URL, schema_name(project))
    assert sorted(t["table_name"] for t in live["tables"]) == ["customers", "orders"]
    assert deploy_service.drift(project) == []
    assert not TableLock.objects.filter(released_at__isnull=True).exists(), "critical locks are released"
    assert TableLock.objects.filter(lock_type="critical").count() == 2


def test_rename_is_deployed_as_a_rename_and_the_data_survives_rollback(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    sql(project, "INSERT INTO customers (id, email) VALUES (1, 'a@x'), (2, 'b@x')")
    email = live_shop["customers"].fields.get(field_name="email")
    fields.update_field(email, actor=deployer, field_name="email_address")
    p = deploy_service.plan(project)
    assert [s.sql for s in p.forward] == [
        'ALTER TABLE "shop"."customers" RENAME COLUMN "email" TO "email_address";',
        'ALTER TABLE "shop"."customers" RENAME CONSTRAINT "customers_email_key" TO "customers_email_address_key";',
    ]
    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "succeeded"
    assert sql(project, "SELECT email_address FROM customers ORDER BY id") == [("a@x",), ("b@x",)]
    back = deploy_service.rollback(project, actor=deployer)
    assert back.status == "succeeded", back.error or back.verification
    assert sql(project, "SELECT email FROM customers ORDER BY id") == [("a@x",), ("b@x",)]
    assert deploy_service.drift(project) == []
    assert deploy_service.deployed_version(project) == run.from_version


def test_dropped_field_is_kept_aside_restored_by_rollback_and_purged_on_request(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    sql(project, "INSERT INTO customers (id, email) VALUES (1, 'a@x')")
    sql(project, "INSERT INTO orders (id, customer_id, total) VALUES (10, 1, 5.5)")
    fields.delete_field(live_shop["orders"].fields.get(field_name="total"), actor=deployer)
    p = deploy_service.plan(project)
    assert p.destructive
    assert any("hides 1 values" in w for w in p.warnings)
    with pytest.raises(ValidationError, match="Type the project name"):
        deploy_service.deploy(project, actor=deployer, confirm_name="nope")
    run = deploy_service.deploy(project, actor=deployer, confirm_name=project.name)
    assert run.status == "succeeded"
    kept = deploy_service.kept_objects(project)
    assert [(k["table"], k["column"]) for k in kept] == [("orders", f"total__kept_d{run.number}")]
    deploy_service.rollback(project, actor=deployer)
    assert sql(project, "SELECT total FROM orders") == [(pytest.approx(5.5),)]
    # deploy the drop again and purge it for good
    run = deploy_service.deploy(project, actor=deployer, confirm_name=project.name)
    assert deploy_service.purge(project, actor=deployer) == [f"column orders.total__kept_d{run.number}"]
    assert deploy_service.kept_objects(project) == []
    with pytest.raises(DeployRefused, match=f"Deploy #{run.number} dropped data that has since been purged"):
        deploy_service.rollback(project, actor=deployer)


def test_a_failing_statement_leaves_the_target_unchanged_and_the_run_failed(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    sql(project, "INSERT INTO customers (id, email) VALUES (1, 'a@x')")
    sql(project, "INSERT INTO orders (id, customer_id, total) VALUES (10, 1, NULL)")
    before = introspect(settings.DEPLOY_DATABASE_URL, schema_name(project))
    total = live_shop["orders"].fields.get(field_name="total")
    fields.update_field(total, actor=deployer, is_required=True)
    fields.create_field(live_shop["customers"], actor=deployer, field_name="nickname", data_type="text")
    p = deploy_service.plan(project)
    assert any("has 1 NULLs" in w for w in p.warnings)
    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "failed"
    assert "null" in run.error.lower() and "SET NOT NULL" in run.failed_statement
    assert introspect(settings.DEPLOY_DATABASE_URL, schema_name(project)) == before
    assert deploy_service.deployed_version(project).version_number == 1
    total.refresh_from_db()
    assert total.is_required, "the design is untouched"


def test_two_deploys_at_once_one_runs_one_is_refused(live_shop, deployer):
    project = live_shop["project"]
    refused = []

    def second_deploy_while_first_runs(run, done, total):
        if not refused:
            with pytest.raises(DeployRefused, match="Another deploy of 'Shop' to prod is running") as exc:
                deploy_service.deploy(project, actor=deployer)
            refused.append(str(exc.value))

    run = deploy_service.deploy(project, actor=deployer, progress=second_deploy_while_first_runs)
    assert run.status == "succeeded" and len(refused) == 1
    assert DeployRun.objects.filter(project=project).count() == 1


def test_users_without_the_permission_cannot_deploy_roll_back_or_purge(live_shop, owner, editor):
    project = live_shop["project"]
    for action in (deploy_service.deploy, deploy_service.rollback, deploy_service.purge):
        for user in (owner, editor):
            with pytest.raises(PermissionDenied, match="Can deploy"):
                action(project, actor=user)
    assert not DeployRun.objects.exists()


def test_a_table_locked_by_someone_else_blocks_the_deploy(live_shop, deployer, editor):
    from datetime import timedelta

    from django.utils import timezone

    project = live_shop["project"]
    now = timezone.now()
    TableLock.objects.create(
        table=live_shop["orders"], user=editor, locked_at=now, expires_at=now + timedelta(minutes=5)
    )
    with pytest.raises(DeployRefused, match="Table orders is locked by eddie"):
        deploy_service.deploy(project, actor=deployer)
    assert not DeployRun.objects.exists()
    assert TableLock.objects.filter(released_at__isnull=True).count() == 1, "only the editor's own lock"


def test_drift_reports_changes_made_outside_tablewright(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    sql(project, "ALTER TABLE orders ADD COLUMN note text")
    sql(project, "CREATE TABLE audit (id int)")
    sql(project, "ALTER TABLE customers ALTER COLUMN email DROP NOT NULL")
    report = deploy_service.drift(project)
    assert "table audit is in the database but not in the last deployed version" in report
    assert "field orders.note is in the database but not in the last deployed version" in report
    assert any(r.startswith("field customers.email: required is True") for r in report)


def test_every_deploy_creates_a_version_with_its_changes(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    live_shop["orders"].refresh_from_db()
    fields.create_field(live_shop["orders"], actor=deployer, field_name="placed_at", data_type="timestamptz")
    deploy_service.deploy(project, actor=deployer)
    versions = list(SchemaVersion.objects.filter(project=project).order_by("version_number"))
    assert [v.version_number for v in versions] == [1, 2]
    assert versions[1].parent_version == versions[0]
    summaries = [c["summary"] for c in versions[1].changes]
    assert "Add field orders.placed_at (timestamptz)" in summaries
    assert "Change table customers: status draft → active" in summaries, "the first deploy activated the tables"
    # orders was edited after that deploy, so it went back to Draft (seed 002: Any → Draft for modifications)
    # and this version holds it as Draft again; this deploy makes it Active once more.
    assert not any(s.startswith("Change table orders: status") for s in summaries)
    live_shop["orders"].refresh_from_db()
    assert live_shop["orders"].status == "active"


def test_many_to_many_deploys_its_junction_table_with_two_foreign_keys(live_shop, deployer):
    from designer.services import relationships, tables

    project = live_shop["project"]
    tags = tables.create_table(project, actor=deployer, table_name="tags")
    tag_id = fields.create_field(tags, actor=deployer, field_name="id", data_type="integer", primary_key=True)
    customer_id = live_shop["customers"].fields.get(field_name="id")
    relationships.create_relationship(
        project,
        actor=deployer,
        source_field=str(customer_id.pk),
        target_field=str(tag_id.pk),
        relationship_type="many_to_many",
        on_delete="cascade",
    )
    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "succeeded", run.error or run.verification
    live = introspect(settings.DEPLOY_DATABASE_URL, schema_name(project))
    junction = next(t for t in live["tables"] if t["table_name"] == "customers_tags")
    assert len(junction["primary_key"]["fields"]) == 2
    fks = [r for r in live["relationships"] if r["target_table"] == junction["id"]]
    assert len(fks) == 2 and {r["on_delete"] for r in fks} == {"cascade"}


def test_a_view_created_by_hand_in_the_deployed_schema_is_drift(live_shop, deployer, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    assert deploy_service.drift(project) == []
    sql(project, "CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 100")
    report = deploy_service.drift(project)
    assert len(report) == 1 and report[0].startswith("added outside Tablewright: view big_orders")
    with pytest.raises(CommandError) as exc:
        call_command("drift", project.slug)
    assert exc.value.returncode == 1 and "added outside Tablewright: view big_orders" in capsys.readouterr().out


def test_objects_present_at_deploy_time_are_not_drift_until_they_go(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    sql(project, "CREATE SEQUENCE invoice_numbers")
    live_shop["orders"].refresh_from_db()
    fields.create_field(live_shop["orders"], actor=deployer, field_name="note", data_type="text")
    run = deploy_service.deploy(project, actor=deployer)
    assert any(w.startswith("sequence invoice_numbers") for w in run.live_warnings)
    assert deploy_service.drift(project) == [], "the sequence was there when the last deploy looked"
    sql(project, "DROP SEQUENCE invoice_numbers")
    assert [r.split(":")[0] for r in deploy_service.drift(project)] == ["removed outside Tablewright"]


def test_the_plan_counts_duplicates_under_a_new_unique(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    sql(project, "INSERT INTO customers (id, email) VALUES (1, 'a@x'), (2, 'b@x')")
    sql(project, "INSERT INTO orders (id, customer_id) VALUES (1, 1), (2, 1), (3, 1), (4, 2), (5, 2)")
    live_shop["orders"].refresh_from_db()
    fields.update_field(live_shop["orders"].fields.get(field_name="customer_id"), actor=deployer, is_unique=True)
    p = deploy_service.plan(project)
    unique = next(s for s in p.forward if "UNIQUE" in s.sql)
    assert unique.figures["duplicates"] == 3, "two extra rows for customer 1, one for customer 2"
    assert "orders (customer_id) has 3 duplicate rows: unique fails." in p.warnings
    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "failed" and "UNIQUE" in run.failed_statement
