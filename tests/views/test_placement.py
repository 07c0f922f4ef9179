"""New tables and generated junction tables land on free space, next to what they belong to."""

from __future__ import annotations

import pytest

from designer.diagram.geometry import MAX_WIDTH, overlaps
from designer.services import fields, layout, relationships, tables
from designer.services.diagram import load_diagram

from .conftest import HX, url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    with locked([], owner):
        yield


def _wide_table(project, owner, name, x, y, columns=12):
    table = tables.create_table(project, actor=owner, table_name=name, position=(x, y))
    key = fields.create_field(table, actor=owner, field_name="id", data_type="integer", primary_key=True)
    for n in range(columns):
        fields.create_field(
            table, actor=owner, field_name=f"an_uncommonly_long_column_name_widening_its_box_{n:02d}", data_type="text"
        )
    return table, key


def _overlapping(project):
    boxes = load_diagram(project, include_deleted=True).boxes
    return [
        (a.table_name, b.table_name)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if overlaps((a.x, a.y, a.width, a.height), (b.x, b.y, b.width, b.height))
    ]


def test_a_table_added_in_the_view_of_wide_tables_overlaps_none_of_them(owner_client, owner, project):
    # Wide boxes: a 320 px guess of their width sees free space at x=400, inside the first one.
    for n in range(2):
        _wide_table(project, owner, f"wide_{n}", 40 + n * 960, 40)
    assert {b.width for b in load_diagram(project).boxes} == {MAX_WIDTH}
    for n in range(4):
        response = owner_client.post(
            url(project, "tables/"), {"table_name": f"fresh_{n}", "near_x": "400", "near_y": "60"}, **HX
        )
        assert response.status_code == 200, response.content[:300]
    assert _overlapping(project) == []


def test_a_table_added_without_a_position_overlaps_no_table(owner, project):
    _wide_table(project, owner, "wide", 40, 40)
    _wide_table(project, owner, "wider", 500, 40)
    for n in range(6):
        tables.create_table(project, actor=owner, table_name=f"plain_{n}")
    assert _overlapping(project) == []


def test_a_junction_table_lands_between_its_two_tables_on_free_space(owner, project):
    students, sid = _wide_table(project, owner, "students", 40, 40)
    courses, cid = _wide_table(project, owner, "courses", 1400, 40)
    # A wide table sits right in the middle, where the junction would go.
    _wide_table(project, owner, "rooms", 720, 40)
    rel = relationships.create_relationship(
        project, actor=owner, source_field=sid, target_field=cid, relationship_type="many_to_many"
    )
    junction = {b.table_name: b for b in load_diagram(project).boxes}[rel.junction_table.table_name]
    assert _overlapping(project) == []
    assert junction.x + junction.width >= 40 + MAX_WIDTH and junction.x <= 1400, "between the two tables"
    assert abs(junction.y - 40) < 800, "near them, not in a far grid slot"


def test_a_note_added_without_a_position_overlaps_no_table(owner, project):
    _wide_table(project, owner, "wide", 40, 40)
    note = layout.create_note(project, actor=owner, text="Ask finance")
    box = load_diagram(project).boxes[0]
    assert not overlaps(
        (note.position_x, note.position_y, note.width, note.height), (box.x, box.y, box.width, box.height)
    )
