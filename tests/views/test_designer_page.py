"""The designer page and canvas endpoints: boxes, connectors, filters, exports, query counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designer.sample import generated_snapshot
from designer.services import tables as table_service
from designer.services.snapshots import import_snapshot

from .conftest import HX, url

pytestmark = pytest.mark.django_db


def test_owner_sees_every_table_box_and_connector(owner_client, shop):
    html = owner_client.get(url(shop["project"])).content.decode()
    assert 'data-table="customers"' in html and 'data-table="orders"' in html
    assert 'data-relationship="customers.id-&gt;orders.customer_id"' in html
    assert "Add table" in html and "Auto-arrange" in html and ">Fit<" in html and ">Export<" in html


def test_boxes_show_types_with_length_and_precision_and_key_markers(owner_client, shop):
    html = owner_client.get(url(shop["project"])).content.decode()
    assert "varchar(200)" in html and "decimal(10,2)" in html
    assert '<tspan class="mkr">PK</tspan><tspan x="34">id</tspan>' in html
    assert '<tspan class="mkr">FK</tspan><tspan x="34">customer_id</tspan>' in html
    assert '<tspan class="mkr">UQ</tspan><tspan x="34">email</tspan>' in html


def test_soft_deleted_tables_are_hidden_until_the_toggle_shows_them(owner_client, shop, owner, locked):
    orders = shop["orders"]
    with locked([orders], owner):
        table_service.transition_table(orders, actor=owner, status="active", by_deploy=True)
        table_service.transition_table(orders, actor=owner, status="deprecated")
    html = owner_client.get(url(shop["project"])).content.decode()
    assert 'class="tbl s-deprecated" id="t-' in html
    with locked([orders], owner):
        table_service.transition_table(orders, actor=owner, status="deleted")
    assert 'data-table="orders"' not in owner_client.get(url(shop["project"])).content.decode()
    shown = owner_client.get(url(shop["project"]) + "?deleted=1").content.decode()
    assert 'class="tbl s-deleted"' in shown and 'data-table="orders"' in shown


def test_focus_shows_one_table_with_its_directly_related_tables(owner_client, shop, owner):
    table_service.create_table(shop["project"], actor=owner, table_name="unrelated")
    html = owner_client.get(url(shop["project"]) + "?focus=orders").content.decode()
    assert 'data-table="orders"' in html and 'data-table="customers"' in html
    assert 'data-table="unrelated"' not in html
    assert "Show all tables" in html


def test_focus_view_table_list_lists_the_focused_tables_and_keeps_them_on_refresh(owner_client, shop, owner):
    import re

    project = shop["project"]
    table_service.create_table(project, actor=owner, table_name="unrelated")
    page = owner_client.get(url(project) + "?focus=orders").content.decode()
    listed = re.search(r'<ul id="table-list".*?</ul>', page, re.S).group(0)
    assert ">orders<" in listed and ">customers<" in listed and ">unrelated<" not in listed, "as the canvas shows"
    assert re.search(r'aria-current="true">orders<', listed), "the focused table is marked"
    refresh_url = re.search(r'<ul id="table-list"[^>]* hx-get="([^"]+)"', listed).group(1)
    assert "focus=orders" in refresh_url, "the list's refresh keeps the focus"
    search_url = re.search(r'id="table-search"[^>]* hx-get="([^"]+)"', page).group(1)
    assert "focus=orders" in search_url

    refreshed = owner_client.get(refresh_url.replace("&amp;", "&"), **HX).content.decode()
    assert ">orders<" in refreshed and ">customers<" in refreshed and ">unrelated<" not in refreshed
    assert 'hx-get="' + refresh_url + '"' in refreshed, "and the next refresh too"
    searched = owner_client.get(url(project, "tables/") + "?focus=orders&q=cust", **HX).content.decode()
    assert ">customers<" in searched and ">orders<" not in searched
    everything = owner_client.get(url(project, "tables/"), **HX).content.decode()
    assert ">unrelated<" in everything, "outside the Focus view the list has every table"


def test_searchable_table_list_filters_by_name(owner_client, shop):
    html = owner_client.get(url(shop["project"], "tables/") + "?q=ord", **HX).content.decode()
    assert ">orders<" in html and ">customers<" not in html


def test_partial_diagram_has_the_asked_boxes_and_their_connectors(owner_client, shop):
    response = owner_client.get(url(shop["project"], "diagram.svg") + f"?tables={shop['orders'].pk}")
    root = ET.fromstring(response.content)
    names = {g.get("data-table") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-table")}
    assert names == {"orders", "customers"}, "the other end of a connector comes along to draw it"


def test_a_moved_tables_connectors_are_redrawn_around_boxes_as_in_the_full_diagram(owner_client, shop, owner, locked):
    """After a drag the page redraws only the moved table (``?tables=``): its connectors must take the same way
    around the other boxes as in the full drawing, not a plain curve through the box in between."""
    from designer.diagram.geometry import connector
    from designer.services import fields
    from designer.services.diagram import load_diagram

    project, customers, orders = shop["project"], shop["customers"], shop["orders"]
    middle = table_service.create_table(project, actor=owner, table_name="audit_entries_in_between")
    table_service.move_table(customers, actor=owner, x=0, y=0)
    table_service.move_table(middle, actor=owner, x=400, y=0)
    table_service.move_table(orders, actor=owner, x=800, y=40)
    with locked([middle], owner):
        for i in range(6):  # a tall box right in the way
            fields.create_field(middle, actor=owner, field_name=f"note_{i}", data_type="text", is_unique=i == 0)

    def paths(query: str) -> dict[str, str]:
        root = ET.fromstring(owner_client.get(url(project, "diagram.svg") + query).content)
        return {
            g.get("id"): g.find("{http://www.w3.org/2000/svg}path[@class='line']").get("d")
            for g in root.iter("{http://www.w3.org/2000/svg}g")
            if g.get("class", "").startswith("edge ")
        }

    full, partial = paths(""), paths(f"?tables={orders.pk}")
    edge = f"r-{shop['fk'].pk}"
    assert partial[edge] == full[edge]
    boxes = {b.table_name: b for b in load_diagram(project).boxes}
    plain, *_ = connector(boxes["customers"], 0, boxes["orders"], 1)
    assert full[edge] != plain, "the full drawing goes around the box in between (else this proves nothing)"


def test_a_partial_drawing_knows_the_exact_size_of_every_box_it_does_not_draw(shop, owner, locked):
    from designer.services import fields, relationships
    from designer.services.diagram import load_diagram

    project = shop["project"]
    lonely = table_service.create_table(project, actor=owner, table_name="lonely")
    wide = table_service.create_table(project, actor=owner, table_name="a_table_with_a_rather_long_name")
    with locked([wide, shop["orders"]], owner):
        fields.create_field(wide, actor=owner, field_name="code", data_type="string", primary_key=True)
        fields.create_field(wide, actor=owner, field_name="a_very_long_column_name_for_width", data_type="text")
        ref = fields.create_field(wide, actor=owner, field_name="customer_ref", data_type="integer", is_unique=True)
        customer_id = shop["customers"].fields.get(field_name="id")
        relationships.create_relationship(project, actor=owner, source_field=customer_id, target_field=ref)
        fields.create_field(
            shop["orders"], actor=owner, field_name="ref", data_type="string", is_unique=True, is_required=True
        )
    full = {b.id: (b.x, b.y, b.width, b.height) for b in load_diagram(project).boxes}
    partial = load_diagram(project, only={str(lonely.pk)})
    assert [b.id for b in partial.boxes] == [str(lonely.pk)]
    assert {b.id: (b.x, b.y, b.width, b.height) for b in partial.obstacles} == {
        k: v for k, v in full.items() if k != str(lonely.pk)
    }
    assert len({v[2:] for v in full.values()}) == 4, "boxes of different sizes (else this proves little)"


def test_svg_download_is_a_standalone_valid_file(owner_client, shop):
    response = owner_client.get(url(shop["project"], "diagram.svg") + "?download=1")
    assert response["Content-Disposition"] == 'attachment; filename="shop.svg"'
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and float(root.get("width")) > 100


def test_export_menu_lists_every_registered_format_and_downloads_it(owner_client, shop):
    from designer.exporters import FORMATS

    html = owner_client.get(url(shop["project"])).content.decode()
    for fmt in FORMATS.values():
        assert f'href="/projects/shop/export/{fmt.key}"' in html and fmt.label in html
    assert "SVG image" in html and "PNG image" in html
    response = owner_client.get(url(shop["project"], "export", "mermaid"))
    assert response["Content-Disposition"] == 'attachment; filename="shop.mmd"'
    assert response.content.decode().startswith("erDiagram")
    assert owner_client.get(url(shop["project"], "export", "nope")).status_code == 404


def test_outsider_gets_404_for_the_designer(client, outsider, shop):
    client.force_login(outsider)
    assert client.get(url(shop["project"])).status_code == 404


def _page_queries(client, project) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(project))
    assert response.status_code == 200
    return len(ctx), response.content


def test_designer_page_query_count_is_constant_in_the_size_of_the_design(owner_client, owner):
    big = import_snapshot(generated_snapshot(300), actor=owner, name="Big")
    small = import_snapshot(generated_snapshot(30), actor=owner, name="Small")
    from designer.models import DataField, TableRelationship

    assert DataField.objects.filter(table__project=big).count() == 6000
    assert TableRelationship.objects.filter(project=big).count() == 400
    big_count, big_html = _page_queries(owner_client, big)
    small_count, _ = _page_queries(owner_client, small)
    assert big_count <= 15
    assert big_count == small_count
    assert big_html.count(b'class="tbl ') == 300 and big_html.count(b'class="edge ') == 400


def test_designer_page_query_count_with_django_assert(owner_client, owner, django_assert_max_num_queries):
    big = import_snapshot(generated_snapshot(300), actor=owner, name="Big")
    owner_client.get(url(big))  # warm the session
    with django_assert_max_num_queries(15):
        owner_client.get(url(big))


def test_imported_tables_get_a_layered_layout_without_overlaps(owner):
    from designer.diagram.geometry import overlaps
    from designer.services.diagram import load_diagram

    project = import_snapshot(generated_snapshot(60), actor=owner, name="Imported")
    boxes = load_diagram(project).boxes
    rects = [(b.x, b.y, b.width, b.height) for b in boxes]
    assert not any(overlaps(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    assert len({b.x for b in boxes}) > 3, "spread over several layers, not one column"
