"""``manage.py import`` and ``manage.py export``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from designer.exporters import FORMATS
from designer.models import DataTable, Project
from designer.schema.snapshot import schema_hash
from designer.services.snapshots import project_snapshot
from tests.pg_scratch import deploy_url, scratch  # noqa: F401 - fixture
from tests.test_import_sql import CHINOOK, DATA

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def admin(make_user):
    return make_user("root", staff=True)


def test_import_sql_file_then_export_every_format(admin, tmp_path):
    output = run("import", str(CHINOOK), "--format", "sql", "--project", "Chinook")
    assert "11 table(s): album, artist" in output
    assert "Imported 'Chinook'" in output
    project = Project.objects.get(name="Chinook")
    assert DataTable.objects.filter(project=project).count() == 11
    for key in FORMATS:
        target = tmp_path / f"out.{key}"
        call_command("export", "chinook", "--format", key, "-o", str(target), stderr=StringIO())
        assert "playlist_track" in target.read_text()
    back = run("import", str(tmp_path / "out.dbml"), "--format", "dbml", "--project", "Chinook again")
    assert schema_hash(project_snapshot(Project.objects.get(name="Chinook again"))) == schema_hash(
        project_snapshot(project)
    )
    assert "Imported 'Chinook again'" in back


def test_import_reports_unsupported_objects_and_dry_run_writes_nothing(admin):
    output = run("import", str(DATA / "unsupported.sql"), "--format", "sql", "--dry-run")
    assert "view adults: the designer cannot hold it; not imported" in output
    assert "trigger person_touch on person" in output
    assert "Dry run: nothing was written." in output
    assert not Project.objects.exists()


def test_broken_input_fails_with_line_and_nothing_written(admin, tmp_path):
    broken = tmp_path / "broken.dbml"
    broken.write_text("Table a {\n  id int [pk\n}\n")
    with pytest.raises(CommandError, match=r"Line 3, column 1: Expected '\]'"):
        run("import", str(broken), "--format", "dbml")
    assert not Project.objects.exists()


def test_replace_needs_an_existing_project_and_unknown_formats_are_refused(admin, shop):
    with pytest.raises(CommandError, match="No project 'nope' to replace"):
        run("import", str(DATA / "every_construct.dbml"), "--format", "dbml", "--project", "nope", "--replace")
    output = run("import", str(DATA / "every_construct.dbml"), "--format", "dbml", "--project", "shop", "--replace")
    assert "Replaced the design of 'Shop'" in output
    assert DataTable.objects.filter(project=shop["project"], table_name="order_items").exists()
    with pytest.raises(CommandError, match="Unknown format 'xml'"):
        run("export", "shop", "--format", "xml")
    with pytest.raises(CommandError, match="Project 'Shop' has no version 3"):
        run("export", "shop", "--format", "dbml", "--schema-version", "3")


@pytest.mark.postgres
def test_import_from_a_live_database(admin, scratch):  # noqa: F811
    schema = scratch.schema()
    scratch.run(schema, CHINOOK.read_text(encoding="utf-8"))
    output = run("import", deploy_url(), "--format", "live", "--schema", schema, "--project", "Live")
    assert "11 table(s)" in output and "Imported 'Live'" in output


def test_a_json_snapshot_that_breaks_design_rules_is_refused_at_once(admin, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"format": 1, "tables": [{"id": "t", "table_name": "Bad Name", "fields": []}], "relationships": []}'
    )
    with pytest.raises(CommandError, match="Table name 'Bad Name' must start with a lowercase letter"):
        run("import", str(bad), "--format", "json", "--dry-run")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@db/x", "A live import needs a PostgreSQL URL such as postgresql://user@host:5432/dbname."),
        ("postgresql://", "Give the server and the database name in the URL"),
        ("postgresql://postgres@127.0.0.1:5432/", "Give the server and the database name in the URL"),
        ("postgresql://postgres:s3cret@127.0.0.1:99999/db", "Cannot read|invalid port"),
        ("postgresql://postgres:s3cret@127.0.0.1:5432/no_such_db_here", 'database "no_such_db_here" does not exist'),
    ],
)
def test_bad_database_urls_get_a_clear_message_without_the_password(admin, url, message):
    with pytest.raises(CommandError, match=message) as caught:
        run("import", url, "--format", "live", "--dry-run")
    assert "s3cret" not in str(caught.value)
