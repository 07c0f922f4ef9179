"""Positions for imported tables: the designer's own layout (``designer.diagram``), as ``Auto-arrange`` does.

Referenced tables on the left, tables that point at them to the right, boxes at their real sizes (wide
columns make wide boxes), never overlapping. ``auto_layout`` is the one function importers call.
"""

from __future__ import annotations

from typing import Any

from designer.diagram import layout as diagram_layout
from designer.diagram.from_snapshot import diagram_from_snapshot


def layers(snapshot: dict[str, Any]) -> dict[str, int]:
    """table id -> layer of the automatic layout: referenced tables in lower layers than the tables that
    reference them (cycles are broken at their first table by name)."""
    ids = [t["id"] for t in sorted(snapshot["tables"], key=lambda t: (t["table_name"], t["id"]))]
    known = set(ids)
    edges = [
        (r["source_table"], r["target_table"])
        for r in snapshot["relationships"]
        if r.get("type") != "many_to_many"
        and r["source_table"] != r["target_table"]
        and {r["source_table"], r["target_table"]} <= known
    ]
    return diagram_layout.layer_numbers(ids, edges)


def auto_layout(snapshot: dict[str, Any]) -> dict[str, dict[str, dict[str, int]]]:
    """``{"tables": {table id: {"x": int, "y": int}}}`` for every table of ``snapshot``, laid out afresh."""
    fresh = {key: value for key, value in snapshot.items() if key != "layout"}
    return {"tables": {box.id: {"x": box.x, "y": box.y} for box in diagram_from_snapshot(fresh).boxes}}
