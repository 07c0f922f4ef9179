"""Auto-arrange keeps each table group together and moves sticky notes off the tables."""

from __future__ import annotations

import pytest

from designer.diagram.geometry import overlaps
from designer.diagram.svg import group_rect
from designer.models import StickyNote
from designer.sample import generated_snapshot
from designer.services import layout
from designer.services.diagram import load_diagram
from designer.services.snapshots import import_snapshot

from .conftest import HX, url

pytestmark = pytest.mark.django_db


def _rect(box):
    return (box.x, box.y, box.width, box.height)


def _arrange(client, project):
    response = client.post(url(project, "arrange"), {}, **HX)
    assert response.status_code == 200
    return load_diagram(project, include_deleted=True)


@pytest.fixture
def generated(owner):
    return import_snapshot(generated_snapshot(24), actor=owner, name="Generated")


def test_after_auto_arrange_each_group_area_holds_only_its_own_tables(owner_client, owner, generated):
    by_name = {b.table_name: b.id for b in load_diagram(generated).boxes}
    # Members far apart in the foreign-key layering: without clustering other tables land between them.
    layout.create_group(
        generated, actor=owner, name="Early and late", table_ids=[by_name["table_0000"], by_name["table_0023"]]
    )
    layout.create_group(
        generated,
        actor=owner,
        name="Middle",
        table_ids=[by_name["table_0005"], by_name["table_0011"], by_name["table_0017"]],
    )
    diagram = _arrange(owner_client, generated)
    boxes = {b.id: b for b in diagram.boxes}
    assert len(diagram.groups) == 2
    for group in diagram.groups:
        area = group_rect(group, boxes)
        intruders = [b.table_name for b in diagram.boxes if b.id not in group.members and overlaps(area, _rect(b))]
        assert intruders == [], f"group {group.name} contains {intruders}"
    areas = [group_rect(g, boxes) for g in diagram.groups]
    assert not overlaps(*areas), "the two group areas are apart"
    rects = [_rect(b) for b in diagram.boxes]
    assert not any(overlaps(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])


def test_after_auto_arrange_no_sticky_note_sits_on_a_table_or_a_group(owner_client, owner, generated):
    by_name = {b.table_name: b.id for b in load_diagram(generated).boxes}
    layout.create_group(generated, actor=owner, name="Core", table_ids=[by_name["table_0001"], by_name["table_0002"]])
    # Drop notes where the arranged tables will be (the layout starts at 40, 40), one on top of the other.
    for n, (x, y) in enumerate([(40, 40), (60, 60), (400, 100), (900, 300)]):
        layout.create_note(generated, actor=owner, text=f"note {n}", position=(x, y))
    diagram = _arrange(owner_client, generated)
    boxes = {b.id: b for b in diagram.boxes}
    taken = [_rect(b) for b in diagram.boxes] + [group_rect(g, boxes) for g in diagram.groups]
    notes = [(n.x, n.y, n.width, n.height) for n in diagram.notes]
    assert len(notes) == 4
    for note in notes:
        assert not any(overlaps(note, t) for t in taken), f"note at {note[:2]} lies on a table or group"
    assert not any(overlaps(a, b) for i, a in enumerate(notes) for b in notes[i + 1 :])
    assert StickyNote.objects.filter(project=generated, position_x=40, position_y=40).count() == 0
