"""In Chromium: a new user imports Chinook from their PostgreSQL through the import page in under a minute,
lands on the project with all eleven tables laid out without overlaps, and downloads working Django and
SQLAlchemy models and a DBML file from the Export menu; a broken DBML paste shows its line beside the
text box."""

from __future__ import annotations

import importlib.util
import itertools
import shutil
import sys
import time

import pytest
import sqlalchemy
from pydbml import PyDBML

from designer.importers.dbml import read_dbml
from designer.introspect.postgresql import introspect
from designer.schema.snapshot import schema_hash
from tests.pg_scratch import deploy_url, scratch  # noqa: F401 - fixture
from tests.test_dbml_dbdiagram import JS, dbdiagram_parse
from tests.test_export_formats import assert_django_models_work
from tests.test_import_sql import CHINOOK

CHINOOK_TABLES = sorted(
    ["album", "artist", "customer", "employee", "genre", "invoice", "invoice_line", "media_type", "playlist",
     "playlist_track", "track"]
)  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture
def nina(login):
    """Nina, logged in on the project list."""
    return login("nina")


def test_new_user_imports_chinook_from_postgresql_in_under_a_minute_and_downloads_working_code(
    page,
    nina,
    scratch,  # noqa: F811
    live_server_url,
    tmp_path,
):
    schema = scratch.schema()
    scratch.run(schema, CHINOOK.read_text(encoding="utf-8"))
    started = time.monotonic()
    page.get_by_role("link", name="Import a schema").click()
    page.get_by_label("Live PostgreSQL database").check()
    page.get_by_label("Database URL (live PostgreSQL)").fill(deploy_url())
    page.get_by_label("Schema", exact=True).fill(schema)
    page.get_by_role("button", name="Preview import").click()
    preview = page.get_by_role("table", name="Tables to import")
    preview.wait_for()
    assert preview.locator("[data-table]").count() == 11
    assert page.get_by_text("Not imported (0)").is_visible()
    page.get_by_label("Project name").last.fill("Chinook")
    page.get_by_role("button", name="Import 11 tables").click()
    page.wait_for_url(f"{live_server_url}/projects/chinook/")
    assert page.locator("[data-table]").count() == 11
    assert page.locator('[data-table="playlist_track"]').is_visible()
    elapsed = time.monotonic() - started
    print(f"Chinook live import through the browser: {elapsed:.1f} s (the issue's bar: under a minute)")
    assert elapsed < 60, f"the import took {elapsed:.1f} s; the bar is under a minute"
    boxes = [(name, page.locator(f'[data-table="{name}"]').first.bounding_box()) for name in _box_names(page)]
    assert len(boxes) == 11
    for (a, ra), (b, rb) in itertools.combinations(boxes, 2):
        apart = (
            ra["x"] + ra["width"] <= rb["x"]
            or rb["x"] + rb["width"] <= ra["x"]
            or ra["y"] + ra["height"] <= rb["y"]
            or rb["y"] + rb["height"] <= ra["y"]
        )
        assert apart, f"boxes {a} and {b} overlap on the canvas: {ra} / {rb}"

    django_py = _download(page, "Django models.py", tmp_path)
    assert_django_models_work(django_py, tmp_path / "django_site", CHINOOK_TABLES)

    sqlalchemy_py = _download(page, "SQLAlchemy 2.0 models", tmp_path)
    target = scratch.schema()
    path = tmp_path / "chinook_sqlalchemy.py"
    path.write_text(sqlalchemy_py)
    spec = importlib.util.spec_from_file_location("chinook_sqlalchemy_download", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    engine = sqlalchemy.create_engine(
        deploy_url().replace("postgres://", "postgresql+psycopg://", 1),
        connect_args={"options": f"-c search_path={target}"},
    )
    with engine.begin() as conn:
        module.Base.metadata.create_all(conn)
    engine.dispose()
    assert schema_hash(introspect(scratch.conn, target)) == schema_hash(introspect(scratch.conn, schema))

    dbml = _download(page, "DBML (dbdiagram.io)", tmp_path)
    parsed = PyDBML(dbml)
    assert sorted(t.name for t in parsed.tables) == CHINOOK_TABLES
    assert schema_hash(read_dbml(dbml).snapshot) == schema_hash(introspect(scratch.conn, schema))
    if shutil.which("node") and (JS / "node_modules" / "@dbml" / "core").is_dir():  # else that test says why
        assert sorted(dbdiagram_parse(dbml)["tables"]) == CHINOOK_TABLES


def _box_names(page) -> list[str]:
    return page.locator("svg [data-table]").evaluate_all("els => [...new Set(els.map(e => e.dataset.table))]")


def _download(page, label: str, tmp_path) -> str:
    """Open the designer's Export menu and download ``label``; the file's text."""
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as info:
        page.get_by_role("link", name=label, exact=True).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path.read_text(encoding="utf-8")


def test_broken_dbml_shows_the_line_beside_the_text(page, nina):
    page.get_by_role("link", name="Import a schema").click()
    page.get_by_label("DBML (dbdiagram.io)").check()
    page.get_by_label("Schema text").fill("Table users {\n  id int [pk\n}\n")
    page.get_by_role("button", name="Preview import").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Line 3, column 1: Expected ']'" in alert.inner_text()
    assert page.get_by_label("Schema text").input_value() == "Table users {\n  id int [pk\n}\n"
