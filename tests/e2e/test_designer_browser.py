"""A person designs in Chromium: projects, tables, fields, a relationship, dragging, errors, exports."""

from __future__ import annotations

import contextlib
import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from designer.models import DataTable, Project
from tests.e2e.conftest import wait_until
from tests.views.test_chinook_by_hand import FOREIGN_KEYS as CHINOOK_FOREIGN_KEYS

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def add_table(page, name: str) -> None:
    form = page.locator("#add-table")
    form.get_by_label("Table name").fill(name)
    form.get_by_role("button", name="Add table").click()
    page.locator(f'#table-panel[data-table="{name}"]').wait_for()
    page.locator(f'#canvas g[data-table="{name}"]').wait_for()


def add_field(page, name: str, type_: str, *, primary_key: bool = False) -> None:
    form = page.get_by_role("form", name="Add field")
    form.get_by_label("Field name").fill(name)
    form.get_by_label("Type", exact=True).select_option(type_)
    if primary_key:
        form.get_by_label("Primary key").check()
    form.get_by_role("button", name="Add field").click()
    page.locator(f'#fields-section li[data-field="{name}"]').wait_for()


def test_user_designs_two_tables_with_a_relationship_and_sees_boxes_and_connector(page, live_server_url, login):
    login("pat")
    page.get_by_label("Project name").fill("Shop")
    page.get_by_role("button", name="New project").click()
    page.wait_for_url(re.compile(r"/projects/shop/$"))

    add_table(page, "customers")
    assert page.locator("#add-table").get_by_label("Table name").input_value() == "", "ready for the next table"
    add_field(page, "id", "integer", primary_key=True)
    add_field(page, "email", "varchar")
    add_table(page, "orders")
    add_field(page, "id", "bigint", primary_key=True)

    form = page.get_by_role("form", name="Add relationship")
    form.get_by_label("References (table.field)").select_option(label="customers.id")
    form.get_by_label("New field is required").check()
    form.get_by_role("button", name="Add relationship").click()

    connector = page.locator('#canvas g[data-relationship="customers.id->orders.customers_id"]')
    connector.wait_for(state="attached")
    assert page.locator('#canvas g[data-table="customers"]').is_visible()
    assert page.locator('#canvas g[data-table="orders"]').is_visible()
    assert page.locator('#canvas g[data-table="orders"] text', has_text="customers_id").count() == 1
    assert connector.locator("path.line").get_attribute("marker-end") == "url(#m-zero-many)"
    assert page.js_errors == []


def _design(owner, tables=("customers", "orders")) -> Project:
    from designer.services import fields, locks, projects
    from designer.services import tables as table_service

    project = projects.create_project(actor=owner, name="Shop")
    with locks.holding([], actor=owner, reason="test setup"):
        for n, name in enumerate(tables):
            table = table_service.create_table(project, actor=owner, table_name=name, position=(60 + 320 * n, 80))
            fields.create_field(table, actor=owner, field_name="id", data_type="integer", primary_key=True)
    return project


def test_dragged_table_is_where_it_was_dropped_after_reload(page, live_server_url, login, make_user):
    user = login("pat")
    project = _design(user)
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    page.locator("#designer[data-ready='1']").wait_for()
    box = page.locator('#canvas g[data-table="orders"] rect.box').bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 10)
    page.mouse.down()
    with page.expect_response(lambda r: r.url.endswith("/move") and r.request.method == "POST") as moved:
        page.mouse.move(box["x"] + 140, box["y"] + 90, steps=8)
        page.mouse.move(box["x"] + 240, box["y"] + 170, steps=8)
        page.mouse.up()
    assert moved.value.status == 204
    table = DataTable.objects.get(project=project, table_name="orders")
    assert (table.position_x, table.position_y) != (380, 80)
    page.reload()
    page.locator("#designer[data-ready='1']").wait_for()
    transform = page.locator('#canvas g[data-table="orders"]').get_attribute("transform")
    assert transform == f"translate({table.position_x},{table.position_y})"
    after = page.locator('#canvas g[data-table="orders"] rect.box').bounding_box()
    anchor = page.locator('#canvas g[data-table="customers"] rect.box').bounding_box()
    assert after["y"] > anchor["y"] + 40, "drawn below customers, where it was dropped, not level with it as before"


def test_invalid_field_name_shows_the_message_beside_the_input(page, live_server_url, login):
    user = login("pat")
    project = _design(user)
    page.goto(f"{live_server_url}/projects/{project.slug}/?table=orders")
    form = page.get_by_role("form", name="Add field")
    form.get_by_label("Field name").fill("Order Date")
    form.get_by_role("button", name="Add field").click()
    error = page.get_by_role("form", name="Add field").locator(".errorlist").first
    error.wait_for()
    assert "Field name" in error.inner_text()
    name_input = page.get_by_role("form", name="Add field").get_by_label("Field name")
    assert name_input.input_value() == "Order Date", "what the user typed is still there"
    assert name_input.get_attribute("aria-invalid") == "true"
    beside = name_input.evaluate("el => el.nextElementSibling && el.nextElementSibling.className")
    assert beside == "errorlist"


def test_export_svg_and_png_give_valid_non_empty_files(page, live_server_url, login, tmp_path):
    user = login("pat")
    project = _design(user)
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    page.locator("#designer[data-ready='1']").wait_for()

    page.get_by_role("button", name="Export").click()
    with page.expect_download() as svg_download:
        page.get_by_role("link", name="SVG image").click()
    svg_path = tmp_path / svg_download.value.suggested_filename
    svg_download.value.save_as(svg_path)
    root = ET.fromstring(svg_path.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert {g.get("data-table") for g in root.iter() if g.get("data-table")} == {"customers", "orders"}

    page.get_by_role("button", name="Export").click()
    with page.expect_download() as png_download:
        page.get_by_role("button", name="PNG image").click()
    png = tmp_path / "diagram.png"
    png_download.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 300 and height > 100


def test_big_design_switches_to_names_only_far_out_and_culls_off_screen_boxes(page, live_server_url, login):
    from designer.sample import generated_snapshot
    from designer.services.snapshots import import_snapshot

    user = login("pat")
    project = import_snapshot(generated_snapshot(300), actor=user, name="Big")
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    page.locator("#designer[data-ready='1']").wait_for()
    assert "far" in page.locator("#canvas").get_attribute("class"), "Fit on 300 tables shows names only"
    for _ in range(12):
        page.get_by_role("button", name="Zoom in").click()
    page.wait_for_timeout(200)
    assert "far" not in page.locator("#canvas").get_attribute("class")
    culled = page.locator("#canvas g.tbl.culled").count()
    assert culled > 250, f"only boxes on screen are drawn ({culled} of 300 culled)"
    page.get_by_role("button", name="Fit").click()
    page.wait_for_timeout(200)
    assert page.locator("#canvas g.tbl.culled").count() == 0


# --- Done when: Chinook by hand in the browser ------------------------------------------------------
CHINOOK_TABLES = {  # table: [(field, type, options)]; the first field is the primary key
    "artist": [("artist_id", "integer", {}), ("name", "varchar", {"Length": "120"})],
    "genre": [("genre_id", "integer", {})],
    "media_type": [("media_type_id", "integer", {})],
    "playlist": [("playlist_id", "integer", {})],
    "employee": [("employee_id", "integer", {}), ("last_name", "varchar", {"Length": "20"})],
    "customer": [("customer_id", "integer", {})],
    "album": [("album_id", "integer", {}), ("title", "varchar", {"Length": "160"})],
    "track": [("track_id", "integer", {}), ("name", "varchar", {"Length": "200"})],
    "invoice": [("invoice_id", "integer", {}), ("total", "decimal", {"Precision": "10", "Scale": "2"})],
    "invoice_line": [("invoice_line_id", "integer", {})],
    "playlist_track": [],
}


def open_from_list(page, table: str) -> None:
    """Choose the table in the list and wait for its panel (a fresh one, even if it was open already)."""
    panel_url = re.compile(r"/tables/[0-9a-f-]{36}/(\?|$)")
    with page.expect_response(lambda r: r.request.method == "GET" and panel_url.search(r.url) and r.ok):
        page.get_by_role("complementary", name="Tables").get_by_role("button", name=table, exact=True).click()
    page.get_by_role("region", name=re.compile(rf"^{table} ")).wait_for()


def box_rects(page) -> dict[str, dict]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#canvas g[data-table]')].map((g) => {
             const r = g.querySelector('rect.box').getBoundingClientRect();
             return [g.dataset.table, {x: r.x, y: r.y, w: r.width, h: r.height}];
           }))"""
    )


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]
    )


def test_new_user_designs_chinook_by_hand_and_auto_arrange_leaves_no_overlaps(page, live_server_url, login):
    import time

    started = time.monotonic()
    login("newbie")
    page.get_by_label("Project name").fill("Chinook")
    page.get_by_role("button", name="New project").click()
    page.wait_for_url(re.compile(r"/projects/chinook/$"))
    page.locator("#designer[data-ready='1']").wait_for()

    for table, columns in CHINOOK_TABLES.items():
        adder = page.get_by_role("complementary", name="Tables")
        adder.get_by_label("Table name").fill(table)
        adder.get_by_role("button", name="Add table").click()
        page.get_by_role("region", name=re.compile(rf"^{table} ")).wait_for()
        for n, (column, type_, options) in enumerate(columns):
            form = page.get_by_role("form", name="Add field")
            form.get_by_label("Field name").fill(column)
            form.get_by_label("Type", exact=True).select_option(type_)
            for label, value in options.items():
                form.get_by_label(label, exact=True).fill(value)
            if n == 0:
                form.get_by_label("Primary key").check()
            form.get_by_role("button", name="Add field").click()
            page.get_by_role("region", name="Fields").get_by_role("listitem").filter(
                has=page.get_by_text(column, exact=True)
            ).wait_for()

    for table, column, referenced, required in CHINOOK_FOREIGN_KEYS:  # the same keys as the test-client story
        open_from_list(page, table)
        form = page.get_by_role("form", name="Add relationship")
        form.get_by_label("References (table.field)").select_option(label=f"{referenced}.{referenced}_id")
        form.get_by_label("New field name").fill(column)
        if required:
            form.get_by_label("New field is required").check()
        form.get_by_role("button", name="Add relationship").click()
        page.locator(f'#canvas g[data-relationship="{referenced}.{referenced}_id->{table}.{column}"]').wait_for(
            state="attached"
        )

    open_from_list(page, "playlist_track")  # its key is both foreign keys
    pk = page.get_by_role("form", name="Primary key")
    pk.get_by_label("playlist_id").check()
    pk.get_by_label("track_id").check()
    pk.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved the primary key.").first.wait_for()

    page.evaluate("window.redraws = 0; document.addEventListener('tw:diagram-redrawn', () => window.redraws++)")
    page.get_by_role("button", name="Auto-arrange").click()
    wait_until(page, "window.redraws > 0")
    page.wait_for_timeout(100)
    assert page.locator("#canvas g[data-table]").count() == 11
    assert page.locator("#canvas g[data-relationship]").count() == 11
    rects = box_rects(page)
    assert sorted(rects) == sorted(CHINOOK_TABLES)
    assert all(r["w"] > 0 and r["h"] > 0 for r in rects.values()), "every box is drawn after Fit"
    clashes = [(a, b) for a, b in itertools.combinations(rects, 2) if _overlap(rects[a], rects[b])]
    assert clashes == [], f"overlapping boxes after Auto-arrange: {clashes}"
    project = Project.objects.get(slug="chinook")
    assert DataTable.objects.filter(project=project).count() == 11
    assert project.relationships.count() == 11

    # Focus: one table with its direct neighbours only
    open_from_list(page, "album")
    page.get_by_role("link", name="Focus").click()
    page.wait_for_url(re.compile(r"focus=album"))
    page.locator("#designer[data-ready='1']").wait_for()
    shown = {g.get_attribute("data-table") for g in page.locator("#canvas g[data-table]").all()}
    assert shown == {"album", "artist", "track"}
    assert page.js_errors == []
    assert time.monotonic() - started < 120, "designing Chinook by hand stays quick"


# --- keyboard, list, minimap, groups ------------------------------------------------------------------
def _spread_design(owner, names=("customers", "orders", "far_away"), far_x=6000) -> Project:
    """Tables in a row, the last one far to the right (off screen once zoomed in)."""
    from designer.services import fields, locks, projects
    from designer.services import tables as table_service

    project = projects.create_project(actor=owner, name="Shop")
    with locks.holding([], actor=owner, reason="test setup"):
        for n, name in enumerate(names):
            x = far_x if n == len(names) - 1 else 60 + 320 * n
            table = table_service.create_table(project, actor=owner, table_name=name, position=(x, 80))
            fields.create_field(table, actor=owner, field_name="id", data_type="integer", primary_key=True)
    return project


def zoom_percent(page) -> int:
    return int(page.locator("#zoom-level").inner_text().rstrip("%"))


def zoom_after(page, key: str) -> int:
    """Press ``key`` on the canvas and read the zoom level once it changed (it is shown at the next frame)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.locator("#zoom-level").inner_text()
    page.keyboard.press(key)
    with contextlib.suppress(PlaywrightTimeout):  # unchanged: the caller's assertion says so
        wait_until(page, f"document.getElementById('zoom-level').textContent !== {before!r}", timeout=2000)
    return zoom_percent(page)


def test_canvas_is_keyboard_reachable_zoom_pan_and_enter_opens_a_table(page, live_server_url, login):
    user = login("pat")
    project = _spread_design(user, names=("customers", "orders", "products"), far_x=700)
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    page.locator("#designer[data-ready='1']").wait_for()
    canvas = page.get_by_role("application", name=re.compile("^Diagram canvas"))
    canvas.focus()
    before = zoom_percent(page)
    zoomed = zoom_after(page, "+")
    assert zoomed > before, "+ zooms in"
    assert zoom_after(page, "-") < zoomed, "- zooms out"

    box = page.get_by_role("button", name="Table customers, Draft")
    at = box.bounding_box()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    moved = box.bounding_box()
    assert moved["x"] < at["x"] - 20 and moved["y"] < at["y"] - 20, "arrows on the canvas pan the view"

    box.focus()
    page.keyboard.press("Enter")
    page.get_by_role("region", name=re.compile(r"^customers ")).wait_for()
    page.keyboard.press("Tab")  # the next box
    page.keyboard.press(" ")
    page.get_by_role("region", name=re.compile(r"^orders ")).wait_for()
    assert page.js_errors == []


def test_choosing_a_table_in_the_list_brings_its_box_into_view(page, live_server_url, login):
    user = login("pat")
    project = _spread_design(user)
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    page.locator("#designer[data-ready='1']").wait_for()
    for _ in range(4):
        page.get_by_role("button", name="Zoom in").click()
    far = page.get_by_role("button", name="Table far_away, Draft")
    stage = page.get_by_role("application", name=re.compile("^Diagram canvas")).bounding_box()
    assert not far.is_visible(), "zoomed in on the left: the far table is off screen (culled)"

    page.get_by_role("complementary", name="Tables").get_by_role("button", name="far_away", exact=True).click()
    page.get_by_role("region", name=re.compile(r"^far_away ")).wait_for()
    assert far.is_visible()
    box = far.bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert stage["x"] < centre[0] < stage["x"] + stage["width"]
    assert stage["y"] < centre[1] < stage["y"] + stage["height"]
    assert abs(centre[0] - (stage["x"] + stage["width"] / 2)) < 5, "centred on the chosen box"
    assert "selected" in page.locator('#canvas g[data-table="far_away"]').get_attribute("class")


def test_clicking_the_minimap_moves_the_view(page, live_server_url, login):
    user = login("pat")
    project = _spread_design(user)
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    page.locator("#designer[data-ready='1']").wait_for()
    for _ in range(4):
        page.get_by_role("button", name="Zoom in").click()
    far = page.get_by_role("button", name="Table far_away, Draft")
    assert not far.is_visible()
    minimap = page.get_by_role("img", name="Minimap: click to move the view")
    area = minimap.bounding_box()
    before = page.locator("#viewport").get_attribute("transform")
    # the content is a wide strip along the minimap's top; the far table is its right end
    minimap.click(position={"x": area["width"] - 8, "y": 5})
    page.wait_for_timeout(100)
    assert page.locator("#viewport").get_attribute("transform") != before
    assert far.is_visible(), "the view moved to where the minimap was clicked"


def test_dragging_a_group_label_moves_its_tables(page, live_server_url, login):
    user = login("pat")
    project = _spread_design(user, names=("customers", "orders", "products"), far_x=700)
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    page.locator("#designer[data-ready='1']").wait_for()
    page.get_by_role("button", name="Groups and notes").click()
    form = page.get_by_role("form", name="Add group")
    form.get_by_label("Group name").fill("Sales")
    form.get_by_label("Tables in the group").select_option(label=["customers", "orders"])
    page.evaluate("window.redraws = 0; document.addEventListener('tw:diagram-redrawn', () => window.redraws++)")
    form.get_by_role("button", name="Add group").click()
    wait_until(page, "window.redraws > 0")
    label = page.get_by_role("button", name="Group Sales")
    boxes = {
        n: page.get_by_role("button", name=f"Table {n}, Draft").bounding_box()
        for n in ("customers", "orders", "products")
    }

    at = label.bounding_box()
    page.mouse.move(at["x"] + 5, at["y"] + at["height"] / 2)
    page.mouse.down()
    with page.expect_response(lambda r: r.url.endswith("/move") and r.request.method == "POST") as moved:
        page.mouse.move(at["x"] + 60, at["y"] + 70, steps=6)
        page.mouse.move(at["x"] + 125, at["y"] + 155, steps=6)
        page.mouse.up()
    assert moved.value.status == 204
    after = {n: page.get_by_role("button", name=f"Table {n}, Draft").bounding_box() for n in boxes}
    shifts = {n: (after[n]["x"] - boxes[n]["x"], after[n]["y"] - boxes[n]["y"]) for n in ("customers", "orders")}
    assert shifts["customers"] == pytest.approx(shifts["orders"], abs=1.5), "the group's tables move together"
    assert shifts["customers"] == pytest.approx((120, 150), abs=6), "as far as the label was dragged"
    assert after["products"] == boxes["products"], "a table outside the group stays"

    page.get_by_role("button", name="Table products, Draft").focus()
    page.keyboard.press("Enter")
    page.get_by_role("region", name=re.compile(r"^products ")).wait_for()
    label.focus()
    page.keyboard.press("Enter")  # a group's name opens what a click opens
    page.get_by_role("heading", name="Groups and notes").wait_for()
    stored = dict(DataTable.objects.filter(project=project).values_list("table_name", "position_x"))
    assert stored["customers"] != 60 and stored["products"] == 700


def test_a_request_the_page_cannot_show_still_tells_the_user_why(page, live_server_url, login, make_user):
    """bob is taken off the project while its designer is open: his next edit is a 404, and he reads why."""
    from designer.services import projects

    owner = make_user("olivia")
    project = _design(owner)
    bob = make_user("bob")
    projects.set_member(project, actor=owner, username="bob", role="editor")
    login(user=bob)
    page.goto(f"{live_server_url}/projects/{project.slug}/")
    projects.remove_member(project, actor=owner, username="bob")

    page.locator("#add-table").get_by_label("Table name").fill("invoices")
    page.locator("#add-table").get_by_role("button", name="Add table").click()
    alert = page.locator("#request-error")
    alert.wait_for(state="visible")
    assert "404" in alert.inner_text() and "not a member" in alert.inner_text()
    alert.get_by_role("button", name="Dismiss").click()
    assert alert.is_hidden()
    assert not Project.objects.get(pk=project.pk).tables.filter(table_name="invoices").exists()
