"""With DEPLOY_DATABASE_URL=sqlite:///…, each project deploys into its own SQLite file, with the same
guarantees: one transaction, convergence, rollback with data, drift, refusal of a concurrent deploy."""

from __future__ import annotations

import sqlite3

import pytest

from designer.models import DeployRun
from designer.services import deploy as deploy_service
from designer.services import fields
from designer.services.deploy import DeployRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite_target(settings, tmp_path):
    settings.DEPLOY_DATABASE_URL = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    return tmp_path


def test_shop_deploys_to_its_own_sqlite_file_renames_and_rolls_back(sqlite_target, shop, deployer):
    project = shop["project"]
    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "succeeded", run.error or run.verification
    db = sqlite3.connect(sqlite_target / "projects" / "shop.sqlite3")
    db.execute("INSERT INTO customers (id, email) VALUES (1, 'a@x')")
    db.execute("INSERT INTO orders (id, customer_id, total) VALUES (5, 1, 2.5)")
    db.commit()

    fields.update_field(shop["customers"].fields.get(field_name="email"), actor=deployer, field_name="mail")
    fields.delete_field(shop["orders"].fields.get(field_name="total"), actor=deployer)
    p = deploy_service.plan(project)
    # a unique field's constraint is renamed with it, which SQLite can only do by rebuilding the table:
    # the rows are copied column by column, matched by stable id, so the rename keeps the values
    assert 'INSERT INTO "customers" (rowid, "id", "mail") SELECT rowid, "id", "email"' in p.sql
    run = deploy_service.deploy(project, actor=deployer, confirm_name="Shop")
    assert run.status == "succeeded", run.error or run.verification
    assert db.execute("SELECT mail FROM customers").fetchall() == [("a@x",)]
    kept = [k["table"] for k in deploy_service.kept_objects(project)]
    assert kept == [f"customers__kept_d{run.number}", f"orders__kept_d{run.number}"], "old copies kept for rollback"

    back = deploy_service.rollback(project, actor=deployer)
    assert back.status == "succeeded", back.error or back.verification
    assert db.execute("SELECT email FROM customers").fetchall() == [("a@x",)]
    assert db.execute("SELECT id, total FROM orders").fetchall() == [(5, 2.5)]
    assert deploy_service.drift(project) == []
    db.execute("CREATE TABLE audit (id integer)")
    db.commit()
    assert deploy_service.drift(project) == ["table audit is in the database but not in the last deployed version"]


def test_sqlite_failure_applies_nothing_and_a_second_deploy_is_refused(sqlite_target, shop, deployer):
    project = shop["project"]

    def concurrent(run, done, total):
        if done == 1:
            with pytest.raises(DeployRefused, match="Another deploy"):
                deploy_service.deploy(project, actor=deployer)

    deploy_service.deploy(project, actor=deployer, progress=concurrent)
    db = sqlite3.connect(sqlite_target / "projects" / "shop.sqlite3")
    db.execute("INSERT INTO customers (id, email) VALUES (1, 'a@x')")
    db.execute("INSERT INTO orders (id, customer_id, total) VALUES (5, 1, NULL)")
    db.commit()
    schema_before = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    shop["orders"].refresh_from_db()
    fields.update_field(shop["orders"].fields.get(field_name="total"), actor=deployer, is_required=True)
    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "failed" and "NOT NULL" in run.error and run.failed_statement.startswith("INSERT INTO")
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema_before
    assert DeployRun.objects.filter(project=project, status="succeeded").count() == 1


def test_dropping_a_field_on_sqlite_is_destructive_and_needs_the_typed_name(sqlite_target, shop, deployer):
    from django.core.exceptions import ValidationError

    project = shop["project"]
    deploy_service.deploy(project, actor=deployer)
    db = sqlite3.connect(sqlite_target / "projects" / "shop.sqlite3")
    db.execute("INSERT INTO customers (id, email) VALUES (1, 'a@x')")
    db.execute("INSERT INTO orders (id, customer_id, total) VALUES (5, 1, 2.5), (6, 1, NULL)")
    db.commit()
    shop["orders"].refresh_from_db()
    fields.delete_field(shop["orders"].fields.get(field_name="total"), actor=deployer)
    p = deploy_service.plan(project)
    rebuild = next(s for s in p.forward if s.sql.startswith('INSERT INTO "orders"'))
    assert rebuild.risk == "destructive" and p.destructive
    assert rebuild.figures["non_nulls"] == 1
    assert "Dropping orders.total hides 1 values (kept aside until purged)." in p.warnings[0]
    for typed in (None, "", "shop"):
        with pytest.raises(ValidationError, match="Type the project name"):
            deploy_service.deploy(project, actor=deployer, confirm_name=typed)
    assert DeployRun.objects.filter(project=project).count() == 1
    assert deploy_service.deploy(project, actor=deployer, confirm_name="Shop").status == "succeeded"


def test_making_a_field_required_on_sqlite_shows_its_nulls(sqlite_target, shop, deployer):
    project = shop["project"]
    deploy_service.deploy(project, actor=deployer)
    db = sqlite3.connect(sqlite_target / "projects" / "shop.sqlite3")
    db.execute("INSERT INTO customers (id, email) VALUES (1, 'a@x')")
    db.execute("INSERT INTO orders (id, customer_id, total) VALUES (5, 1, NULL), (6, 1, NULL)")
    db.commit()
    shop["orders"].refresh_from_db()
    fields.update_field(shop["orders"].fields.get(field_name="total"), actor=deployer, is_required=True)
    p = deploy_service.plan(project)
    rebuild = next(s for s in p.forward if s.sql.startswith('INSERT INTO "orders"'))
    assert rebuild.figures["nulls"] == 2 and rebuild.risk == "blocking"
    assert any("orders.total has 2 NULLs: making it required will fail" in w for w in p.warnings)
