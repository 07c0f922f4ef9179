"""Read a project's diagram (boxes, connectors, groups, notes) in a constant number of queries (6; 8 for a
partial drawing, which also sizes the boxes it does not draw)."""

from __future__ import annotations

import json
from collections import defaultdict

from django.db.models import Count, Max, Q, TextField
from django.db.models.functions import Cast, Length

from designer.diagram.geometry import Box, Edge, Row, size_of
from designer.diagram.svg import Diagram, Group, Note
from designer.models import DataField, DataTable, Project, StickyNote, TableGroup, TableRelationship
from designer.schema.types import type_label


def load_diagram(
    project: Project,
    *,
    include_deleted: bool = False,
    focus: str | None = None,
    only: set[str] | None = None,
) -> Diagram:
    """The project's diagram.

    ``include_deleted`` shows soft-deleted tables; ``focus`` (a table name) keeps that table and the tables
    directly related to it; ``only`` (table ids) keeps just those boxes plus every connector touching them.
    """
    tables = DataTable.objects.filter(project=project)
    if not include_deleted:
        tables = tables.exclude(status="deleted")
    table_rows = list(
        tables.order_by("table_name").values_list(
            "id", "table_name", "status", "description", "position_x", "position_y"
        )
    )
    rel_rows = list(
        TableRelationship.objects.filter(project=project)
        .order_by("relationship_name")
        .values_list(
            "id",
            "relationship_name",
            "relationship_type",
            "source_table_id",
            "source_field__field_name",
            "target_table_id",
            "target_field_id",
            "target_field__field_name",
            "target_field__is_required",
            "cascade_config",
            "junction_table_id",
        )
    )
    fk_fields = {r[6] for r in rel_rows if r[2] != "many_to_many"}
    visible = {str(t[0]) for t in table_rows}
    if focus:
        focus_id = next((str(t[0]) for t in table_rows if t[1] == focus), "")
        keep = {focus_id}
        for r in rel_rows:
            if str(r[3]) == focus_id or str(r[5]) == focus_id:
                keep |= {str(r[3]), str(r[5])}
        visible &= keep
    wanted = visible if only is None else visible & only
    if only is not None:  # boxes at the other end of a connector are needed to draw it
        for r in rel_rows:
            if str(r[3]) in only or str(r[5]) in only:
                wanted |= {str(r[3]), str(r[5])} & visible

    rows: dict = defaultdict(list)  # table pk (UUID) -> rows
    fields = DataField.objects.filter(table__project=project).order_by("table_id", "sort_order", "field_name")
    if only is not None or focus:
        fields = fields.filter(table_id__in=wanted)
    # The options come as text and are decoded once per distinct (type, options): 20,000 columns share a few.
    labels: dict[tuple[str, str], str] = {}
    for table_id, field_id, name, family, config, required, unique, pk in fields.annotate(
        config_text=Cast("field_config", TextField())
    ).values_list(
        "table_id", "id", "field_name", "data_type", "config_text", "is_required", "is_unique", "pk_position"
    ):
        label = labels.get((family, config))
        if label is None:
            label = labels[(family, config)] = type_label(family, json.loads(config or "{}") or {})
        if pk is None and not unique and field_id not in fk_fields:
            markers: tuple[str, ...] = ()
        else:
            markers = tuple(
                m for m, on in (("PK", pk is not None), ("FK", field_id in fk_fields), ("UQ", unique)) if on
            )
        rows[table_id].append(Row(name, label, markers, required))

    boxes = [
        Box(id=str(pk), table_name=name, status=status, x=x, y=y, rows=rows[pk], description=description)
        for pk, name, status, description, x, y in table_rows
        if str(pk) in wanted
    ]
    edges = [
        Edge(
            id=str(r[0]),
            name=r[1],
            type=r[2],
            source=str(r[3]),
            source_field=r[4],
            target=str(r[5]),
            target_field=r[7],
            required=r[8],
            on_delete=(r[9] or {}).get("on_delete", "no_action"),
            on_update=(r[9] or {}).get("on_update", "no_action"),
        )
        for r in rel_rows
        if str(r[3]) in wanted and str(r[5]) in wanted and not (r[10] is not None and str(r[10]) in visible)
    ]  # a many-to-many relationship is drawn by its junction table's two foreign keys, not a third line
    members: dict[str, list[str]] = defaultdict(list)
    for group_id, table_id in TableGroup.tables.through.objects.filter(tablegroup__project=project).values_list(
        "tablegroup_id", "datatable_id"
    ):
        members[str(group_id)].append(str(table_id))
    groups = [
        Group(id=str(pk), name=name, color=color, members=members[str(pk)])
        for pk, name, color in TableGroup.objects.filter(project=project).values_list("id", "name", "color")
    ]
    notes = (
        []
        if only is not None or focus
        else [
            Note(id=str(pk), text=text, color=color, x=x, y=y, width=w, height=h)
            for pk, text, color, x, y, w, h in StickyNote.objects.filter(project=project).values_list(
                "id", "text", "color", "position_x", "position_y", "width", "height"
            )
        ]
    )
    obstacles = (
        _obstacles(project, [t for t in table_rows if str(t[0]) in visible - wanted], fk_fields)
        if only is not None
        else []
    )
    return Diagram(boxes=boxes, edges=edges, groups=groups, notes=notes, title=project.name, obstacles=obstacles)


def _obstacles(project: Project, table_rows: list[tuple], fk_fields: set) -> list[Box]:
    """Boxes of ``table_rows`` with their exact size but no rows, from two small queries instead of every
    column: per table and column type the number of columns and the longest name, and the columns with key
    markers (primary key, foreign key: ``fk_fields``, unique), for where the names start."""
    if not table_rows:
        return []
    wanted = {t[0] for t in table_rows}
    labels: dict[tuple[str, str], str] = {}
    counts: dict = defaultdict(int)
    lines: dict = defaultdict(list)  # table pk -> [(length of the markers, length of name + type)]
    for table_id, family, config, n, longest in (
        DataField.objects.filter(table__project=project)
        .annotate(config_text=Cast("field_config", TextField()))
        .values_list("table_id", "data_type", "config_text")
        .annotate(n=Count("id"), longest=Max(Length("field_name")))
        .order_by()
    ):
        if table_id not in wanted:
            continue
        label = labels.get((family, config))
        if label is None:
            label = labels[(family, config)] = type_label(family, json.loads(config or "{}") or {})
        counts[table_id] += n
        lines[table_id].append((0, longest + len(label)))
    keyed = DataField.objects.filter(table__project=project).filter(
        Q(pk_position__isnull=False) | Q(is_unique=True) | Q(pk__in=fk_fields)
    )
    for table_id, field_id, pk, unique in keyed.values_list("table_id", "id", "pk_position", "is_unique"):
        if table_id in wanted:
            marks = (pk is not None) + (field_id in fk_fields) + bool(unique)  # "PK FK UQ": 3 per marker, less 1
            lines[table_id].append((3 * marks - 1, 0))
    boxes = []
    for pk, name, status, description, x, y in table_rows:
        box = Box(id=str(pk), table_name=name, status=status, x=x, y=y, description=description)
        box.width, box.height = size_of(name, counts[pk], lines[pk])
        boxes.append(box)
    return boxes
