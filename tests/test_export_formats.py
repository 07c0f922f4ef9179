"""Export formats: each is registered, and each round-trips — JSON and DBML back to the same hash, DDL
and SQLAlchemy models onto PostgreSQL and back to the same design, Django models past ``check`` and
``makemigrations --check``, SQLite DDL into SQLite."""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from designer.exporters import FORMATS
from designer.exporters.dbml import to_dbml
from designer.exporters.ddl import to_postgresql, to_sqlite
from designer.exporters.django_models import to_django
from designer.exporters.sqlalchemy_models import to_sqlalchemy
from designer.importers.dbml import read_dbml
from designer.importers.sql import read_sql
from designer.introspect.postgresql import introspect
from designer.schema.snapshot import dumps, loads, schema_hash
from designer.services import fields as field_service
from designer.services import relationships as rel_service
from designer.services import tables as table_service
from designer.services.snapshots import import_snapshot, project_snapshot
from tests.pg_scratch import scratch  # noqa: F401 - fixture
from tests.test_import_sql import CHINOOK, DATA, SHOP_SQL

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def chinook():
    return read_sql(CHINOOK.read_text(encoding="utf-8")).snapshot


@pytest.fixture(scope="module")
def shop_design():
    return read_sql(SHOP_SQL).snapshot


@pytest.fixture
def drawn(owner):
    """A design drawn in Tablewright: random ids, display names, a lifecycle status, a check constraint,
    a many-to-many relationship with its generated junction table."""
    from designer.demo import build_demo_project

    project = build_demo_project(owner)
    users = project.tables.get(table_name="users")
    table_service.update_table(users, actor=owner, name="People")
    email = users.fields.get(field_name="email")
    field_service.update_field(email, actor=owner, name="E-mail address")
    tags = table_service.create_table(project, actor=owner, table_name="tags", name="Tags")
    tag_id = field_service.create_field(tags, actor=owner, field_name="id", data_type="bigint", primary_key=True)
    rel_service.create_relationship(
        project,
        actor=owner,
        source_field=users.fields.get(field_name="id"),
        target_field=tag_id,
        relationship_type="many_to_many",
    )
    return project


def test_every_format_is_registered_for_the_menu_and_the_command():
    assert {"json", "postgresql", "sqlite", "dbml", "django", "sqlalchemy"} <= set(FORMATS)
    for fmt in FORMATS.values():
        assert fmt.label and fmt.extension and fmt.content_type


@pytest.mark.django_db
def test_json_export_then_import_gives_the_same_hash(drawn, owner):
    before = project_snapshot(drawn)
    copy = import_snapshot(loads(dumps(before)), actor=owner, name="Copy")
    assert schema_hash(project_snapshot(copy)) == schema_hash(before)


@pytest.mark.django_db
def test_dbml_export_then_import_of_a_drawn_design_gives_the_same_hash(drawn, owner):
    before = project_snapshot(drawn)
    assert any(r["type"] == "many_to_many" for r in before["relationships"])
    result = read_dbml(to_dbml(before))
    assert result.unsupported == []
    assert result.snapshot["tables"] == before["tables"]
    assert schema_hash(result.snapshot) == schema_hash(before)
    copy = import_snapshot(result.snapshot, actor=owner, name="From DBML")
    assert schema_hash(project_snapshot(copy)) == schema_hash(before)


def test_dbml_export_then_import_of_chinook_and_of_every_construct(chinook, shop_design):
    every = read_dbml((DATA / "every_construct.dbml").read_text()).snapshot
    for design in (chinook, shop_design, every):
        text = to_dbml(design)
        if design is not shop_design:  # its CHECK constraints have no DBML syntax
            assert "tablewright:" not in text, "a design read from SQL or DBML needs no extra comments"
        if design is every:
            assert "Ref customers_products: customers.id <> products.sku\n" in text
            assert "Table customers_products" not in text, "the generated junction table is implied by <>"
        assert schema_hash(read_dbml(text).snapshot) == schema_hash(design)


def test_dbml_export_reads_like_dbdiagram(chinook):
    text = to_dbml(chinook)
    assert "Table playlist_track {\n  playlist_id integer [not null]\n  track_id integer [not null]\n" in text
    assert "    (playlist_id, track_id) [pk, name: 'playlist_track_pkey']" in text
    assert "Ref employee_reports_to_fkey: employee.reports_to > employee.employee_id\n" in text
    assert "  total numeric(10,2) [not null]\n" in text


def test_sqlite_ddl_creates_the_tables_keys_and_foreign_keys(chinook, shop_design):
    for design in (chinook, shop_design):
        db = sqlite3.connect(":memory:")
        db.executescript(to_sqlite(design))
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        assert [n for n in names if n != "sqlite_sequence"] == sorted(t["table_name"] for t in design["tables"])
    db = sqlite3.connect(":memory:")
    db.executescript(to_sqlite(chinook))
    pk = [r[1] for r in db.execute("PRAGMA table_info(playlist_track)") if r[5]]
    assert pk == ["playlist_id", "track_id"]
    assert ("employee", "reports_to", "employee_id") in [
        (r[2], r[3], r[4]) for r in db.execute("PRAGMA foreign_key_list(employee)")
    ]
    db.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO album (album_id, title, artist_id) VALUES (1, 'x', 99)")


@pytest.mark.postgres
def test_sqlalchemy_models_create_the_same_tables_as_the_design(chinook, shop_design, scratch, tmp_path):  # noqa: F811
    import sqlalchemy

    from tests.pg_scratch import deploy_url

    for n, design in enumerate((chinook, shop_design)):
        path = tmp_path / f"models_{n}.py"
        path.write_text(to_sqlalchemy(design))
        spec = importlib.util.spec_from_file_location(f"exported_models_{n}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        sqlalchemy.orm.configure_mappers()
        schema = scratch.schema()
        engine = sqlalchemy.create_engine(
            deploy_url().replace("postgres://", "postgresql+psycopg://", 1),
            connect_args={"options": f"-c search_path={schema}"},
        )
        with engine.begin() as conn:
            module.Base.metadata.create_all(conn)
        engine.dispose()
        assert schema_hash(introspect(scratch.conn, schema)) == schema_hash(design)


@pytest.mark.postgres
def test_postgresql_ddl_runs_as_one_script(shop_design, scratch):  # noqa: F811
    schema = scratch.schema()
    scratch.run(schema, to_postgresql(shop_design))
    assert schema_hash(introspect(scratch.conn, schema)) == schema_hash(shop_design)


SCRATCH_SETTINGS = """
SECRET_KEY = "scratch"
INSTALLED_APPS = ["scratchapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""


def run_django(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=workdir,
        env={"PYTHONPATH": str(workdir), "DJANGO_SETTINGS_MODULE": "scratch_settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_django_models_pass_check_and_makemigrations_in_a_scratch_app(chinook, shop_design, drawn, tmp_path):
    for n, design in enumerate((chinook, shop_design, project_snapshot(drawn))):
        workdir = tmp_path / f"site{n}"
        app = workdir / "scratchapp"
        (app / "migrations").mkdir(parents=True)
        (app / "__init__.py").write_text("")
        (app / "migrations" / "__init__.py").write_text("")
        (app / "models.py").write_text(to_django(design))
        (workdir / "scratch_settings.py").write_text(textwrap.dedent(SCRATCH_SETTINGS))
        check = run_django(workdir, "check", "--fail-level", "WARNING")
        assert check.returncode == 0, check.stdout + check.stderr
        first = run_django(workdir, "makemigrations", "scratchapp")
        assert first.returncode == 0, first.stdout + first.stderr
        again = run_django(workdir, "makemigrations", "--check", "--dry-run")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "No changes detected" in again.stdout
        migrate = run_django(workdir, "sqlmigrate", "scratchapp", "0001")
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        for table in design["tables"]:
            assert f'CREATE TABLE "{table["table_name"]}"' in migrate.stdout
