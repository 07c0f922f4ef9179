"""Where projects deploy: one schema (SQLite: one file) per project that no other project can share, never the
app's own database, and only what Tablewright itself kept aside is listed and purged."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from designer.models import DeployRun, Project, SchemaVersion
from designer.services import deploy as deploy_service
from designer.services import fields, projects, tables
from designer.services.deploy import DeployRefused, schema_name
from tests.pg_scratch import drop_schema_and_kept

pytestmark = pytest.mark.django_db


def _project_with_a_table(owner, name: str, *, slug: str | None = None) -> Project:
    project = projects.create_project(actor=owner, name=name, slug=slug)
    items = tables.create_table(project, actor=owner, table_name="items")
    fields.create_field(items, actor=owner, field_name="id", data_type="integer", primary_key=True)
    return project


@pytest.fixture
def pg_projects():
    """Projects whose deploy schemas are dropped after the test."""
    made: list[Project] = []
    yield made.append
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        for project in made:
            project.refresh_from_db()
            if project.deploy_schema:
                drop_schema_and_kept(conn, project.deploy_schema)


def _pg_tables(schema: str) -> list[str]:
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,)
        ).fetchall()
    return [name for (name,) in rows]


@pytest.mark.postgres
def test_my_shop_and_my_underscore_shop_deploy_into_different_schemas(owner, deployer, pg_projects):
    dashed = _project_with_a_table(deployer, "my-shop")
    underscored = _project_with_a_table(deployer, "my_shop")
    assert (dashed.slug, underscored.slug) == ("my-shop", "my_shop")
    for project in (dashed, underscored):
        pg_projects(project)
        run = deploy_service.deploy(project, actor=deployer)
        assert run.status == "succeeded", run.error or run.verification
    dashed.refresh_from_db()
    underscored.refresh_from_db()
    assert underscored.deploy_schema == "my_shop", "a slug that is already an identifier is used as it is"
    assert dashed.deploy_schema.startswith("my_shop_") and dashed.deploy_schema != underscored.deploy_schema
    assert _pg_tables(dashed.deploy_schema) == ["items"] and _pg_tables(underscored.deploy_schema) == ["items"]
    assert DeployRun.objects.get(project=dashed).target_schema == dashed.deploy_schema


@pytest.mark.postgres
def test_two_long_names_cut_alike_deploy_into_different_schemas(owner, deployer, pg_projects):
    stem = "a-very-long-project-name-for-the-warehouse"
    first = _project_with_a_table(deployer, f"{stem}-north")
    second = _project_with_a_table(deployer, f"{stem}-south")
    for project in (first, second):
        pg_projects(project)
        assert deploy_service.deploy(project, actor=deployer).status == "succeeded"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.deploy_schema != second.deploy_schema
    assert len(first.deploy_schema) <= 63 and len(second.deploy_schema) <= 63


def test_the_database_refuses_two_projects_with_one_schema(owner):
    a = projects.create_project(actor=owner, name="Alpha")
    b = projects.create_project(actor=owner, name="Beta")
    Project.objects.filter(pk=a.pk).update(deploy_schema="shared")
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=b.pk).update(deploy_schema="shared")


def test_a_slug_already_taken_as_another_projects_schema_gets_a_suffix(owner):
    taken = projects.create_project(actor=owner, name="Other")
    Project.objects.filter(pk=taken.pk).update(deploy_schema="shop")
    shop = projects.create_project(actor=owner, name="Shop")
    assert schema_name(shop).startswith("shop_") and schema_name(shop) != "shop"


def test_a_slug_that_looks_like_a_kept_schema_never_is_one(owner):
    project = projects.create_project(actor=owner, name="Shop kept d2", slug="shop_kept_d2")
    assert schema_name(project) != "shop_kept_d2" and schema_name(project).startswith("shop_kept_d2_")


def test_the_schema_stays_with_the_project_when_its_slug_changes(owner, deployer, settings, tmp_path):
    settings.DEPLOY_DATABASE_URL = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    project = _project_with_a_table(deployer, "Shop")
    assert deploy_service.deploy(project, actor=deployer).status == "succeeded"
    Project.objects.filter(pk=project.pk).update(slug="shop-renamed")
    assert schema_name(Project.objects.get(pk=project.pk)) == "shop"


@pytest.mark.postgres
def test_shop_lists_and_purges_only_what_its_own_deploys_kept_aside(owner, deployer, pg_projects):
    shop = _project_with_a_table(deployer, "Shop")
    neighbour = _project_with_a_table(deployer, "Shop kept 2024")
    lookalike = _project_with_a_table(deployer, "Shop kept d3")
    for project in (shop, neighbour, lookalike):
        pg_projects(project)
        assert deploy_service.deploy(project, actor=deployer).status == "succeeded"
    shop.refresh_from_db()
    neighbour.refresh_from_db()
    lookalike.refresh_from_db()
    assert neighbour.deploy_schema.startswith("shop_kept_2024") and lookalike.deploy_schema.startswith("shop_kept_d3")
    assert deploy_service.kept_objects(shop) == []
    assert deploy_service.purge(shop, actor=deployer) == []
    assert _pg_tables(neighbour.deploy_schema) == ["items"] and _pg_tables(lookalike.deploy_schema) == ["items"]

    items = shop.tables.get(table_name="items")
    for status in ("deprecated", "deleted"):  # a deployed table is soft-deleted; the deploy drops it
        tables.transition_table(items, actor=deployer, status=status)
    run = deploy_service.deploy(shop, actor=deployer, confirm_name="Shop")
    assert run.status == "succeeded", run.error or run.verification
    kept = deploy_service.kept_objects(shop)
    assert [(k["kind"], k["schema"], k["table"]) for k in kept] == [("table", f"shop_kept_d{run.number}", "items")]
    assert deploy_service.purge(shop, actor=deployer) == [f"table shop_kept_d{run.number}.items"]
    assert _pg_tables(neighbour.deploy_schema) == ["items"] and _pg_tables(lookalike.deploy_schema) == ["items"]


@pytest.fixture
def sqlite_target(settings, tmp_path):
    settings.DEPLOY_DATABASE_URL = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    return tmp_path


def test_a_project_named_like_the_app_database_gets_its_own_file(sqlite_target, settings, owner, deployer):
    settings.DATABASE_URL = f"sqlite:///{sqlite_target / 'tablewright.sqlite3'}"
    project = _project_with_a_table(deployer, "Tablewright")
    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "succeeded", run.error or run.verification
    assert (sqlite_target / "projects" / "tablewright.sqlite3").exists()
    assert not (sqlite_target / "tablewright.sqlite3").exists(), "the app's file is never touched"


def test_a_deploy_into_the_app_database_file_is_refused(sqlite_target, settings, owner, deployer):
    app_db = sqlite_target / "projects" / "tablewright.sqlite3"
    app_db.parent.mkdir()
    sqlite3.connect(app_db).execute("CREATE TABLE django_migrations (id integer)").connection.commit()
    settings.DATABASE_URL = f"sqlite:///{app_db}"
    project = _project_with_a_table(deployer, "Tablewright")
    with pytest.raises(DeployRefused, match="is the app's own database"):
        deploy_service.deploy(project, actor=deployer)
    assert sqlite3.connect(app_db).execute("SELECT name FROM sqlite_master").fetchall() == [("django_migrations",)]
    assert not DeployRun.objects.exists()


@pytest.mark.postgres
def test_a_failed_deploy_records_no_version_but_its_run_names_both_hashes(live_shop, deployer):
    project = live_shop["project"]
    first = deploy_service.deploy(project, actor=deployer)
    assert first.to_version.version_number == 1 and first.to_hash == first.to_version.schema_hash
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {schema_name(project)}.customers (id, email) VALUES (1, 'a@x')")
        conn.execute(f"INSERT INTO {schema_name(project)}.orders (id, customer_id, total) VALUES (1, 1, NULL)")
    total = live_shop["orders"].fields.get(field_name="total")
    fields.update_field(total, actor=deployer, is_required=True)
    failed = deploy_service.deploy(project, actor=deployer)
    assert failed.status == "failed"
    assert failed.to_version is None and failed.from_version == first.to_version
    assert failed.from_hash == first.to_hash and failed.to_hash and failed.to_hash != first.to_hash
    assert SchemaVersion.objects.filter(project=project).count() == 1, "a failed deploy records no version"
    assert deploy_service.deployed_version(project).version_number == 1


@pytest.mark.postgres
def test_test_cleanup_drops_a_schemas_kept_schemas_and_no_other_projects_schema():
    """``drop_schema_and_kept`` (every deploy test's cleanup) must not drop a schema that only starts alike."""
    from designer.ddl.names import kept_schema

    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        base = "cleanup_shop"
        ours = [base, kept_schema(base, "d1"), kept_schema(base, "d12r")]
        others = [f"{base}_kept_archive", "cleanup_shopXkeptXd1", f"{base}_kept_d1x"]
        try:
            for name in ours + others:
                conn.execute(f'CREATE SCHEMA "{name}"')
            drop_schema_and_kept(conn, base)
            left = {n for (n,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cleanup_shop%'")}
            assert left == set(others)
        finally:
            for name in ours + others:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}"')


@pytest.mark.postgres
def test_a_refused_first_deploy_claims_no_schema_name_a_deploy_that_runs_does(owner, deployer, pg_projects):
    project = _project_with_a_table(deployer, "Refused shop")
    pg_projects(project)
    with pytest.raises(PermissionDenied):
        deploy_service.deploy(project, actor=owner)  # no deploy permission
    with pytest.raises(DeployRefused):
        deploy_service.deploy(project, actor=deployer, expected_digest="0" * 64)  # the design changed since
    project.refresh_from_db()
    assert project.deploy_schema is None, "a refused deploy must not fix the schema name"
    assert not DeployRun.objects.filter(project=project).exists()

    run = deploy_service.deploy(project, actor=deployer)
    assert run.status == "succeeded", run.error or run.verification
    project.refresh_from_db()
    assert project.deploy_schema == schema_name(project) == run.target_schema
    assert _pg_tables(project.deploy_schema) == ["items"]
