"""The import pages: paste/upload/URL → preview listing tables and what cannot be imported → one-click
import in one transaction; errors beside the input; export downloads."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from designer.models import DataTable, Project
from designer.schema.snapshot import schema_hash
from designer.services.snapshots import project_snapshot
from tests.pg_scratch import deploy_url, scratch  # noqa: F401 - fixture
from tests.test_import_sql import CHINOOK, DATA

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner)
    return client


def test_project_list_links_to_the_import_page(logged_in):
    page = logged_in.get(reverse("designer:project-list")).content.decode()
    assert f'href="{reverse("designer:import")}"' in page
    form = logged_in.get(reverse("designer:import")).content.decode()
    for label in ("Schema text", "Or upload a file", "Database URL (live PostgreSQL)", "Schema", "Preview import"):
        assert label in form


def test_user_pastes_sql_sees_the_preview_then_imports_chinook(logged_in, owner):
    text = CHINOOK.read_text(encoding="utf-8")
    response = logged_in.post(
        reverse("designer:import-preview"), {"format": "sql", "text": text, "name": "Chinook"}, **HX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-table="') == 11
    assert "Not imported (0)" in page
    assert "Import 11 tables" in page
    token = token_of(response)
    done = logged_in.post(reverse("designer:import-confirm"), {"token": token, "name": "Chinook"}, **HX)
    assert done.status_code == 204
    project = Project.objects.get(name="Chinook")
    assert done["HX-Redirect"] == project.get_absolute_url()
    assert DataTable.objects.filter(project=project).count() == 11
    positions = set(DataTable.objects.filter(project=project).values_list("position_x", "position_y"))
    assert len(positions) == 11, "every imported table gets its own place on the canvas"
    again = logged_in.post(reverse("designer:import-confirm"), {"token": token, "name": "Chinook"}, **HX)
    assert again.status_code == 422 and "expired" in again.content.decode()


def test_upload_of_a_dbml_file_lists_every_object_that_cannot_be_imported(logged_in):
    upload = SimpleUploadedFile("shop.dbml", (DATA / "every_construct.dbml").read_bytes())
    response = logged_in.post(reverse("designer:import-preview"), {"format": "dbml", "file": upload}, **HX)
    page = response.content.decode()
    assert response.status_code == 200
    for name in ("orders.orders_note_lower_idx", "orders.orders_note_hash_idx"):
        assert name in page
    assert "Not imported (2)" in page
    assert '<span data-group="sales">sales: orders, order_items</span>' in page and "1 note." in page
    logged_in.post(reverse("designer:import-confirm"), {"token": token_of(response), "name": "Shop 2"}, **HX)
    landing = logged_in.get(Project.objects.get(name="Shop 2").get_absolute_url()).content.decode()
    assert "Imported 6 tables into Shop 2." in landing
    assert "<summary>Not imported (2)</summary>" in landing
    assert "<li>expression index orders.orders_note_lower_idx: " in landing
    assert 'name="name" value="shop"' in page, "the DBML Project name is the suggested project name"


def test_broken_input_is_shown_beside_the_text_with_its_line(logged_in):
    response = logged_in.post(
        reverse("designer:import-preview"), {"format": "dbml", "text": "Table users {\n  id int [pk\n}\n"}, **HX
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="source-errors"' in page
    assert "Line 3, column 1: Expected &#x27;]&#x27;" in page
    assert "Table users {\n  id int [pk\n}" in page, "the pasted text is kept"


def test_import_with_a_taken_name_is_refused_and_nothing_is_written(logged_in, project):
    response = logged_in.post(
        reverse("designer:import-preview"), {"format": "sql", "text": "CREATE TABLE a (id int PRIMARY KEY);"}, **HX
    )
    done = logged_in.post(reverse("designer:import-confirm"), {"token": token_of(response), "name": "Shop"}, **HX)
    assert done.status_code == 422
    assert "A project named &#x27;Shop&#x27; already exists" in done.content.decode()
    assert not DataTable.objects.filter(table_name="a").exists()


def test_editor_replaces_a_project_design_viewer_may_not(client, editor, viewer, shop):
    project = shop["project"]
    client.force_login(viewer)
    assert client.get(reverse("designer:project-import", args=[project.slug])).status_code == 403
    client.force_login(editor)
    page = client.get(reverse("designer:project-import", args=[project.slug])).content.decode()
    assert "replaces the whole design of Shop" in page
    sql = "CREATE TABLE artist (artist_id int PRIMARY KEY, name varchar(120));"
    url = reverse("designer:project-import-preview", args=[project.slug])
    response = client.post(url, {"format": "sql", "text": sql}, **HX)
    assert "Replace the design of Shop" in response.content.decode()
    confirm = reverse("designer:project-import-confirm", args=[project.slug])
    done = client.post(confirm, {"token": token_of(response)}, **HX)
    assert done.status_code == 204
    assert list(DataTable.objects.filter(project=project).values_list("table_name", flat=True)) == ["artist"]


def test_replacing_a_design_removes_the_table_groups_left_without_tables_and_says_so(logged_in, shop, owner):
    from designer.services import layout
    from designer.services import tables as table_service

    project = shop["project"]
    table_service.create_table(project, actor=owner, table_name="invoices")
    invoices = DataTable.objects.get(project=project, table_name="invoices")
    layout.create_group(project, actor=owner, name="Sales", table_ids=[shop["orders"].pk, shop["customers"].pk])
    layout.create_group(project, actor=owner, name="Billing", table_ids=[invoices.pk])
    sql = "CREATE TABLE customers (id int PRIMARY KEY, email varchar(200));CREATE TABLE products (id int PRIMARY KEY);"
    response = logged_in.post(
        reverse("designer:project-import-preview", args=[project.slug]), {"format": "sql", "text": sql}, **HX
    )
    confirm = reverse("designer:project-import-confirm", args=[project.slug])
    assert logged_in.post(confirm, {"token": token_of(response)}, **HX).status_code == 204

    groups = {g.name: sorted(t.table_name for t in g.tables.all()) for g in project.table_groups.all()}
    assert groups == {"Sales": ["customers"]}, "Billing lost its only table; Sales keeps the one still there"
    landing = logged_in.get(project.get_absolute_url()).content.decode()
    assert "Removed the table group Billing: none of its tables is in the import." in landing


@pytest.mark.postgres
def test_user_reads_chinook_from_a_live_database(logged_in, scratch):  # noqa: F811
    schema = scratch.schema()
    scratch.run(schema, CHINOOK.read_text(encoding="utf-8"))
    form = {"format": "live", "url": deploy_url(), "schema": schema, "name": "Live Chinook"}
    response = logged_in.post(reverse("designer:import-preview"), form, **HX)
    assert response.status_code == 200, response.content.decode()
    assert deploy_url() not in response.content.decode(), "the URL is not echoed into the page"
    logged_in.post(reverse("designer:import-confirm"), {"token": token_of(response), "name": "Live Chinook"})
    project = Project.objects.get(name="Live Chinook")
    from designer.importers.sql import read_sql

    assert schema_hash(project_snapshot(project)) == schema_hash(read_sql(CHINOOK.read_text(encoding="utf-8")).snapshot)
    missing = logged_in.post(reverse("designer:import-preview"), form | {"schema": "nope"}, **HX)
    assert missing.status_code == 422
    assert 'id="schema-errors"' in missing.content.decode()


def test_each_export_format_is_a_download(logged_in, shop):
    from designer.exporters import FORMATS

    for key, fmt in FORMATS.items():
        response = logged_in.get(reverse("designer:export", args=[shop["project"].slug, key]))
        assert response.status_code == 200, key
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert response["Content-Type"].startswith(fmt.content_type)
        assert "orders" in response.content.decode()


def test_a_saved_version_exports_as_it_was(logged_in, shop, owner):
    from designer.models import SchemaVersion
    from designer.services import tables

    project = shop["project"]
    before = project_snapshot(project)
    SchemaVersion.objects.create(
        project=project, version_number=1, schema_hash=schema_hash(before), schema_snapshot=before, created_by=owner
    )
    tables.create_table(project, actor=owner, table_name="later")
    old = logged_in.get(reverse("designer:version-export", args=[project.slug, 1, "postgresql"]))
    assert old["Content-Disposition"] == 'attachment; filename="shop-v1.sql"'
    assert "CREATE TABLE orders" in old.content.decode() and "later" not in old.content.decode()
    assert (
        "CREATE TABLE later"
        in logged_in.get(reverse("designer:export", args=[project.slug, "postgresql"])).content.decode()
    )
    assert logged_in.get(reverse("designer:version-export", args=[project.slug, 2, "dbml"])).status_code == 404


def test_outsider_cannot_export(client, outsider, shop):
    client.force_login(outsider)
    assert client.get(reverse("designer:export", args=[shop["project"].slug, "dbml"])).status_code == 404


def test_editor_finds_import_into_this_project_in_the_export_menu_viewer_does_not(client, editor, viewer, shop):
    project = shop["project"]
    link = f'href="{reverse("designer:project-import", args=[project.slug])}">Import into this project</a>'
    client.force_login(editor)
    assert link in client.get(project.get_absolute_url()).content.decode()
    client.force_login(viewer)
    assert link not in client.get(project.get_absolute_url()).content.decode()


def test_preview_of_a_replacement_lists_the_tables_removed_and_changed(client, editor, shop):
    project = shop["project"]
    client.force_login(editor)
    sql = (
        "CREATE TABLE customers (id int PRIMARY KEY, email varchar(200) NOT NULL UNIQUE, phone text);"
        "CREATE TABLE invoices (id int PRIMARY KEY);"
    )
    response = client.post(
        reverse("designer:project-import-preview", args=[project.slug]), {"format": "sql", "text": sql}, **HX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "What changes in Shop" in page
    assert "<strong>Removed (1):</strong>" in page and '<li data-removed-table="orders">orders</li>' in page
    assert '<li data-changed-table="customers">customers: adds phone</li>' in page
    assert "<strong>New (1):</strong> invoices" in page
    same = client.post(
        reverse("designer:project-import-preview", args=[project.slug]),
        {
            "format": "dbml",
            "text": client.get(reverse("designer:export", args=[project.slug, "dbml"])).content.decode(),
        },
        **HX,
    ).content.decode()
    assert "data-removed-table" not in same and "data-changed-table" not in same
    assert "Unchanged columns (2): customers, orders" in same


def test_versions_page_offers_each_export_format_of_each_version(logged_in, shop, owner):
    from designer.exporters import FORMATS
    from designer.services import tables, versions

    project = shop["project"]
    versions.save_version(project, actor=owner, message="first")
    tables.create_table(project, actor=owner, table_name="later")
    versions.save_version(project, actor=owner, message="second")
    page = logged_in.get(reverse("designer:version-list", args=[project.slug])).content.decode()
    for number in (1, 2):
        assert f"Download version {number}" in page
        for key, fmt in FORMATS.items():
            url = reverse("designer:version-export", args=[project.slug, number, key])
            assert f'href="{url}" download>{fmt.label}</a>' in page
            assert logged_in.get(url).status_code == 200
    v1 = logged_in.get(reverse("designer:version-export", args=[project.slug, 1, "dbml"])).content.decode()
    assert "Table orders" in v1 and "later" not in v1


def test_result_page_lists_every_object_not_imported_however_many(logged_in):
    sql = "CREATE TABLE a (id int PRIMARY KEY);\n" + "".join(f"CREATE VIEW v{n:02} AS SELECT 1;\n" for n in range(30))
    response = logged_in.post(reverse("designer:import-preview"), {"format": "sql", "text": sql}, **HX)
    assert "Not imported (30)" in response.content.decode()
    logged_in.post(reverse("designer:import-confirm"), {"token": token_of(response), "name": "Views"}, **HX)
    landing = logged_in.get(Project.objects.get(name="Views").get_absolute_url()).content.decode()
    assert '<details class="not-imported"><summary>Not imported (30)</summary>' in landing, "folded: it is long"
    for n in range(30):
        assert f"<li>view v{n:02}: the designer cannot hold it; not imported</li>" in landing
    assert "more" not in re.search(r'<details class="not-imported">.*?</details>', landing, re.S).group(0)


def test_json_and_dbml_downloads_carry_the_table_groups_into_a_new_project(logged_in, shop, owner):
    from designer.services import layout

    project = shop["project"]
    layout.create_group(project, actor=owner, name="Sales team", color="#8e44ad", table_ids=[shop["orders"].pk])
    for key in ("json", "dbml"):
        text = logged_in.get(reverse("designer:export", args=[project.slug, key])).content.decode()
        response = logged_in.post(reverse("designer:import-preview"), {"format": key, "text": text}, **HX)
        assert '<span data-group="Sales team">Sales team: orders</span>' in response.content.decode(), key
        logged_in.post(reverse("designer:import-confirm"), {"token": token_of(response), "name": f"From {key}"}, **HX)
        (group,) = Project.objects.get(name=f"From {key}").table_groups.all()
        assert (group.name, group.color, [t.table_name for t in group.tables.all()]) == (
            "Sales team",
            "#8e44ad",
            ["orders"],
        )
