"""A diagram straight from a snapshot (imports, exports of stored versions): boxes, connectors, layout."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from designer.schema.types import type_label

from .geometry import Box, Edge, Row
from .layout import clustered_layout, place_notes
from .svg import Diagram, Group, group_rect


def diagram_from_snapshot(snapshot: dict[str, Any]) -> Diagram:
    """Boxes at the snapshot's layout positions (automatic layout for tables that have none)."""
    layout = (snapshot.get("layout") or {}).get("tables", {})
    fk_fields = {r["target_field"] for r in snapshot.get("relationships", []) if r.get("type") != "many_to_many"}
    boxes, names = [], {}
    for table in snapshot.get("tables", []):
        pk = set((table.get("primary_key") or {}).get("fields", []))
        rows = []
        for f in table.get("fields", []):
            names[f["id"]] = f["field_name"]
            markers = tuple(
                m for m, on in (("PK", f["id"] in pk), ("FK", f["id"] in fk_fields), ("UQ", f.get("unique"))) if on
            )
            rows.append(
                Row(
                    f["field_name"], type_label(f["data_type"], f.get("config") or {}), markers, bool(f.get("required"))
                )
            )
        pos = layout.get(table["id"]) or {}
        boxes.append(
            Box(
                id=table["id"],
                table_name=table["table_name"],
                status=table.get("status", "draft"),
                x=int(pos.get("x", 0)),
                y=int(pos.get("y", 0)),
                rows=rows,
                description=table.get("description", ""),
            )
        )
    table_ids = {t["id"] for t in snapshot.get("tables", [])}
    required = {f["id"] for t in snapshot.get("tables", []) for f in t.get("fields", []) if f.get("required")}
    edges = [
        Edge(
            id=r["id"],
            name=r["name"],
            type=r.get("type", "one_to_many"),
            source=r["source_table"],
            source_field=names.get(r["source_field"], ""),
            target=r["target_table"],
            target_field=names.get(r["target_field"], ""),
            required=r["target_field"] in required,
            on_delete=r.get("on_delete", "no_action"),
            on_update=r.get("on_update", "no_action"),
        )
        for r in snapshot.get("relationships", [])
        if not (r.get("type") == "many_to_many" and r.get("junction_table") in table_ids)
    ]  # a many-to-many relationship is drawn by its junction table's two foreign keys, not a third line
    missing = [b for b in boxes if b.id not in layout]
    if missing:
        positions = arrange(boxes, edges)
        for box in missing:
            box.x, box.y = positions[box.id]
    return Diagram(boxes=boxes, edges=edges, title=(snapshot.get("project") or {}).get("name", ""))


def arrange(boxes: list[Box], edges: list[Edge], groups: Iterable[Group] = ()) -> dict[str, tuple[int, int]]:
    """Layered positions for the boxes; many-to-many links are left out (their junction's keys lay it out).

    The members of each group are laid out together, so the group's area holds no other table.
    """
    ordered = sorted(boxes, key=lambda b: (b.table_name, b.id))  # by name, whatever order the boxes came in
    return clustered_layout(
        {b.id: (b.width, b.height) for b in ordered},
        [(e.source, e.target) for e in edges if e.type != "many_to_many"],
        [g.members for g in groups],
    )


def arrange_notes(diagram: Diagram) -> dict[str, tuple[int, int]]:
    """New positions for the sticky notes lying on a table, a group area or another note (at the boxes'
    current positions): each moves to the nearest free spot."""
    by_id = {b.id: b for b in diagram.boxes}
    occupied = [(b.x, b.y, b.width, b.height) for b in diagram.boxes]
    occupied += [rect for g in diagram.groups if (rect := group_rect(g, by_id))]
    return place_notes([(n.id, n.x, n.y, n.width, n.height) for n in diagram.notes], occupied)
