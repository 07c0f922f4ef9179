"""Chinook, built in the designer through the services, deployed, introspected and compared with the original
loaded from its SQL file; then a rename, a type widening and drops are deployed and rolled back with its rows
intact."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from designer.introspect.compare import differences
from designer.introspect.postgresql import introspect
from designer.models import DataField, DataTable
from designer.schema.snapshot import schema_hash
from designer.services import deploy as deploy_service
from designer.services import fields, indexes, projects, relationships, tables
from designer.services.deploy import schema_name

from .conftest import drop_schema_and_kept

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.slow]

CHINOOK = Path("/work/shared/schemas/chinook/chinook-postgresql.sql")
TABLES = [
    "album", "artist", "customer", "employee", "genre", "invoice", "invoice_line",
    "media_type", "playlist", "playlist_track", "track",
]  # fmt: skip


@pytest.fixture(scope="module")
def chinook_source(django_db_blocker):
    """The original Chinook loaded from the SQL file into its own schema of the deploy database."""
    if not CHINOOK.exists():
        pytest.fail(f"Chinook SQL not found at {CHINOOK}")
    text = CHINOOK.read_text()
    text = "\n".join(
        line for line in text.splitlines() if not re.match(r"\s*(DROP DATABASE|CREATE DATABASE|\\c)", line)
    )
    schema = "chinook_source"
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)
        conn.execute(f"CREATE SCHEMA {schema}")
        with conn.transaction():
            conn.execute(f"SET LOCAL search_path = {schema}")
            conn.execute(text)
    yield schema
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)


def build_through_services(snapshot, actor):
    """Draw the snapshot in the designer: tables, fields, keys, indexes, relationships — service calls only."""
    project = projects.create_project(actor=actor, name="Chinook")
    by_id = {}
    for t in snapshot["tables"]:
        table = tables.create_table(project, actor=actor, table_name=t["table_name"])
        for f in t["fields"]:
            by_id[f["id"]] = fields.create_field(
                table,
                actor=actor,
                field_name=f["field_name"],
                data_type=f["data_type"],
                field_config=f["config"],
                is_required=f["required"],
                is_unique=f["unique"],
                default_value=f["default"],
            )
        if t["primary_key"]:
            indexes.set_primary_key(table, actor=actor, field_ids=[by_id[i].pk for i in t["primary_key"]["fields"]])
    for r in snapshot["relationships"]:
        relationships.create_relationship(
            project,
            actor=actor,
            source_field=str(by_id[r["source_field"]].pk),
            target_field=str(by_id[r["target_field"]].pk),
            relationship_name=r["name"],
            on_delete=r["on_delete"],
            on_update=r["on_update"],
        )
    for t in snapshot["tables"]:
        table = DataTable.objects.get(project=project, table_name=t["table_name"])
        for i in t["indexes"]:
            indexes.create_index(
                table, actor=actor, field_ids=[by_id[x].pk for x in i["fields"]], name=i["name"], is_unique=i["unique"]
            )
    return project


def copy_rows(source: str, target: str) -> None:
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for name in TABLES:
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns_of(conn, source, name))
            conn.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
                    sql.Identifier(target, name), cols, cols, sql.Identifier(source, name)
                )
            )


def columns_of(conn, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position",
            (schema, table),
        ).fetchall()
    ]


def same_rows(source: str, target: str, name: str, columns: str = "", target_columns: str | None = None) -> bool:
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        columns = columns or ", ".join(f'"{c}"' for c in columns_of(conn, source, name))
        a = conn.execute(f'SELECT {columns} FROM "{source}"."{name}" ORDER BY 1, 2').fetchall()
        b = conn.execute(f'SELECT {target_columns or columns} FROM "{target}"."{name}" ORDER BY 1, 2').fetchall()
    return len(a) > 0 and a == b


def test_chinook_built_in_the_designer_deploys_to_exactly_the_original(chinook_source, deployer, clean_target):
    original = introspect(settings.DEPLOY_DATABASE_URL, chinook_source)
    assert original["warnings"] == []
    actor = deployer
    project = build_through_services(original, actor)
    clean_target(project)

    run = deploy_service.deploy(project, actor=actor)
    assert run.status == "succeeded", run.error or run.verification

    deployed = introspect(settings.DEPLOY_DATABASE_URL, schema_name(project))
    assert differences(original, deployed) == []
    assert schema_hash(deployed) == schema_hash(original), "same names, column order, types, keys, FKs, indexes"
    tables_by_name = {t["table_name"]: t for t in deployed["tables"]}
    playlist_track = tables_by_name["playlist_track"]
    names = {f["id"]: f["field_name"] for f in playlist_track["fields"]}
    assert [names[i] for i in playlist_track["primary_key"]["fields"]] == ["playlist_id", "track_id"]
    reports_to = next(r for r in deployed["relationships"] if r["name"] == "employee_reports_to_fkey")
    assert reports_to["source_table"] == reports_to["target_table"] == tables_by_name["employee"]["id"]
    assert (
        len([i for t in deployed["tables"] for i in t["indexes"]])
        == len([i for t in original["tables"] for i in t["indexes"]])
        > 5
    )

    # Chinook's rows go into the deployed schema; then a rename, a widening and drops.
    target = schema_name(project)
    copy_rows(chinook_source, target)
    artist_name = DataField.objects.get(table__project=project, table__table_name="artist", field_name="name")
    fields.update_field(artist_name, actor=actor, field_name="artist_name")
    track_name = DataField.objects.get(table__project=project, table__table_name="track", field_name="name")
    fields.update_field(track_name, actor=actor, field_config={"max_length": 400})
    fax = DataField.objects.get(table__project=project, table__table_name="customer", field_name="fax")
    fields.delete_field(fax, actor=actor)
    playlist_track_table = DataTable.objects.get(project=project, table_name="playlist_track")
    for status in ("deprecated", "deleted"):  # a deployed table is soft-deleted (seed 002's lifecycle)
        tables.transition_table(playlist_track_table, actor=actor, status=status)

    p = deploy_service.plan(project)
    assert p.destructive
    text = p.sql
    assert f'ALTER TABLE "{target}"."artist" RENAME COLUMN "name" TO "artist_name";' in text
    assert f'ALTER TABLE "{target}"."track" ALTER COLUMN "name" TYPE varchar(400)' in text
    assert "DROP TABLE" not in text and "DROP COLUMN" not in text
    assert any("Dropping playlist_track hides 8715 rows" in w for w in p.warnings)
    widen = next(s for s in p.forward if "varchar(400)" in s.sql)
    assert widen.risk == "safe" and not widen.rewrites

    run = deploy_service.deploy(project, actor=actor, confirm_name="Chinook")
    assert run.status == "succeeded", run.error or run.verification
    assert same_rows(chinook_source, target, "artist", "artist_id, name", "artist_id, artist_name")
    assert same_rows(chinook_source, target, "track")
    assert differences(original, introspect(settings.DEPLOY_DATABASE_URL, target)) != []

    back = deploy_service.rollback(project, actor=actor)
    assert back.status == "succeeded", back.error or back.verification
    assert differences(original, introspect(settings.DEPLOY_DATABASE_URL, target)) == []
    for name in TABLES:
        assert same_rows(chinook_source, target, name), f"{name} rows intact after rollback"
    assert deploy_service.drift(project) == []
