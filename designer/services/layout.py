"""Canvas layout: automatic arrangement, placing new tables, table groups and sticky notes.

Layout is not schema: none of these change a table's revision or the schema hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Min

from designer.diagram.from_snapshot import arrange, arrange_notes
from designer.diagram.geometry import HEADER, MIN_WIDTH, PAD, ROW
from designer.diagram.layout import free_position
from designer.models import DataTable, Project, StickyNote, TableGroup
from designer.realtime import events
from designer.schema.validation import CANVAS_LIMIT, canvas_numbers, refuse_nul

from ._edit import integrity_as_validation, require_editor
from .diagram import load_diagram
from .locks import refuse_layout_during_deploy

COLOR = re.compile(r"^#[0-9a-f]{6}$")
GROUP_COLORS = ("#2f6fde", "#1e7d3a", "#a15c00", "#8e44ad", "#c0392b", "#16a085")
NOTE_COLORS = ("#fff3a8", "#ffd6e0", "#d6f5ff", "#dcffd6")


def _tells_viewers(change: Callable) -> Callable:
    """Layout is not schema (no lock, no revision), but the project's other viewers redraw it live."""

    @wraps(change)
    def wrapped(target, *args, actor, **kwargs):
        result = change(target, *args, actor=actor, **kwargs)
        project_id = target.pk if isinstance(target, Project) else target.project_id
        events.schema_changed(project_id, what="layout", by=actor)
        return result

    return wrapped


@transaction.atomic
@_tells_viewers
def auto_arrange(project: Project, *, actor) -> int:
    """Re-lay out every table (layered by foreign keys, no overlaps; each group's tables together, so its
    area holds no other table), then move the sticky notes lying on a table or a group area to free space.
    Returns how many tables moved."""
    require_editor(project, actor)
    diagram = load_diagram(project, include_deleted=True)
    positions = arrange(diagram.boxes, diagram.edges, diagram.groups)
    moved = [
        DataTable(pk=box.id, position_x=positions[box.id][0], position_y=positions[box.id][1])
        for box in diagram.boxes
        if (box.x, box.y) != positions[box.id]
    ]
    refuse_layout_during_deploy(moved)
    DataTable.objects.bulk_update(moved, ["position_x", "position_y"], batch_size=500)
    for box in diagram.boxes:
        box.x, box.y = positions[box.id]
    notes = [StickyNote(pk=pk, position_x=x, position_y=y) for pk, (x, y) in arrange_notes(diagram).items()]
    StickyNote.objects.bulk_update(notes, ["position_x", "position_y"], batch_size=500)
    return len(moved)


NEW_TABLE_SIZE = (MIN_WIDTH + 40, HEADER + ROW * 3 + PAD)  # room for a new table and its first fields


def _occupied(project: Project, exclude: set[str] = frozenset()) -> list[tuple[int, int, int, int]]:
    """Every table box at its real size (from its columns, up to ``MAX_WIDTH`` wide) and every sticky note."""
    diagram = load_diagram(project, include_deleted=True)
    rects = [(b.x, b.y, b.width, b.height) for b in diagram.boxes if b.id not in exclude]
    return rects + [(n.x, n.y, n.width, n.height) for n in diagram.notes]


def new_table_position(
    project: Project, near: tuple[int, int] | None = None, *, size: tuple[int, int] = NEW_TABLE_SIZE
) -> tuple[int, int]:
    """A free spot for a new table of ``size`` near ``near`` (the middle of the user's view), overlapping no
    table (at its real size) and no sticky note."""
    start = near or (40, 40)  # only a hint: clamped to the canvas
    near = tuple(max(-CANVAS_LIMIT, min(CANVAS_LIMIT, int(n))) for n in start)
    return free_position(_occupied(project), size, near=near)


def place_between(table: DataTable, first: DataTable, second: DataTable) -> tuple[int, int]:
    """Move ``table`` (a many-to-many junction) to the free spot nearest the middle between ``first`` and
    ``second``, at its real size, overlapping nothing. Returns the new position."""
    diagram = load_diagram(table.project, include_deleted=True)
    boxes = {b.id: b for b in diagram.boxes}
    me, a, b = boxes[str(table.pk)], boxes[str(first.pk)], boxes[str(second.pk)]
    middle_x = (a.x + a.width / 2 + b.x + b.width / 2) / 2
    middle_y = (a.y + a.height / 2 + b.y + b.height / 2) / 2
    occupied = [(o.x, o.y, o.width, o.height) for o in diagram.boxes if o.id != me.id]
    occupied += [(n.x, n.y, n.width, n.height) for n in diagram.notes]
    x, y = free_position(
        occupied, (me.width, me.height), near=(int(middle_x - me.width / 2), int(middle_y - me.height / 2))
    )
    DataTable.objects.filter(pk=table.pk).update(position_x=x, position_y=y)
    table.position_x, table.position_y = x, y
    return x, y


def _clean_color(color: str | None, default: str) -> str:
    color = (color or default).strip().lower()
    if not COLOR.match(color):
        raise ValidationError({"color": [f"Colour must look like #1e7d3a (a # and six hex digits), got {color!r}."]})
    return color


def _clean_group_name(project: Project, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    refuse_nul(name, "name", "Group name")
    if not name:
        raise ValidationError({"name": ["Give the group a name, e.g. Billing."]})
    if len(name) > 80:
        raise ValidationError({"name": [f"Group name is {len(name)} characters long; the limit is 80."]})
    qs = TableGroup.objects.filter(project=project, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"name": [f"A group named {name!r} already exists. Pick another name."]})
    return name


def _tables_of(project: Project, table_ids) -> list[DataTable]:
    ids = [str(t) for t in table_ids or []]
    tables = list(DataTable.objects.filter(project=project, pk__in=ids)) if ids else []
    if len(tables) != len(set(ids)):
        raise ValidationError({"tables": ["Only tables of this project can be in its groups. Reload and try again."]})
    return tables


@transaction.atomic
@_tells_viewers
def create_group(project: Project, *, actor, name: str, color: str | None = None, table_ids=()) -> TableGroup:
    require_editor(project, actor)
    count = TableGroup.objects.filter(project=project).count()
    group = TableGroup(
        project=project,
        name=_clean_group_name(project, name),
        color=_clean_color(color, GROUP_COLORS[count % len(GROUP_COLORS)]),
    )
    tables = _tables_of(project, table_ids)
    with integrity_as_validation():
        group.save()
    group.tables.set(tables)
    return group


@transaction.atomic
@_tells_viewers
def update_group(
    group: TableGroup, *, actor, name: str | None = None, color: str | None = None, table_ids=None
) -> TableGroup:
    require_editor(group.project, actor)
    if name is not None:
        group.name = _clean_group_name(group.project, name, exclude_pk=group.pk)
    if color is not None:
        group.color = _clean_color(color, group.color)
    with integrity_as_validation():
        group.save()
    if table_ids is not None:
        group.tables.set(_tables_of(group.project, table_ids))
    return group


@transaction.atomic
@_tells_viewers
def move_group(group: TableGroup, *, actor, dx: int, dy: int) -> None:
    """Move the group's area: every table inside moves by the same offset."""
    require_editor(group.project, actor)
    dx, dy = canvas_numbers(dx, dy, what="Offset", names="dx, dy")
    refuse_layout_during_deploy(group.tables.all())
    span = group.tables.aggregate(
        x0=Min("position_x"), x1=Max("position_x"), y0=Min("position_y"), y1=Max("position_y")
    )
    if span["x0"] is not None:
        canvas_numbers(span["x0"] + dx, span["y0"] + dy, what="The group's tables", names="x, y")
        canvas_numbers(span["x1"] + dx, span["y1"] + dy, what="The group's tables", names="x, y")
    group.tables.update(position_x=F("position_x") + dx, position_y=F("position_y") + dy)


@transaction.atomic
@_tells_viewers
def delete_group(group: TableGroup, *, actor) -> None:
    """Remove the group's area; its tables stay where they are."""
    require_editor(group.project, actor)
    group.delete()


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["A note needs some text."]})
    if len(text) > 2000:
        raise ValidationError({"text": [f"The note is {len(text)} characters long; the limit is 2000."]})
    return text


@transaction.atomic
@_tells_viewers
def create_note(
    project: Project, *, actor, text: str, color: str | None = None, position: tuple[int, int] | None = None
) -> StickyNote:
    require_editor(project, actor)
    size = (StickyNote._meta.get_field("width").default, StickyNote._meta.get_field("height").default)
    x, y = canvas_numbers(*position) if position else new_table_position(project, size=size)
    return StickyNote.objects.create(
        project=project,
        text=_clean_text(text),
        color=_clean_color(color, NOTE_COLORS[0]),
        position_x=int(x),
        position_y=int(y),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


@transaction.atomic
@_tells_viewers
def update_note(note: StickyNote, *, actor, text: str | None = None, color: str | None = None) -> StickyNote:
    require_editor(note.project, actor)
    if text is not None:
        note.text = _clean_text(text)
    if color is not None:
        note.color = _clean_color(color, note.color)
    note.save()
    return note


@transaction.atomic
@_tells_viewers
def move_note(note: StickyNote, *, actor, x: int, y: int) -> StickyNote:
    require_editor(note.project, actor)
    note.position_x, note.position_y = canvas_numbers(x, y)
    note.save(update_fields=["position_x", "position_y", "updated_at"])
    return note


@transaction.atomic
@_tells_viewers
def delete_note(note: StickyNote, *, actor) -> None:
    require_editor(note.project, actor)
    note.delete()
