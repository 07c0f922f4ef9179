"""Positions for imported tables: referenced tables on the left, tables that point at them to the right.

A small layered layout so an import lands readable on the canvas. ``auto_layout`` is the one function
importers call; it can be swapped for the designer's own layout (``designer/diagram/layout.py``).
"""

from __future__ import annotations

from typing import Any

COLUMN_WIDTH = 320
ROW_HEIGHT = 26
HEADER = 48
GAP = 40
MARGIN = 40


def layers(snapshot: dict[str, Any]) -> dict[str, int]:
    """table id → layer: 0 for tables that reference nothing, else one more than what they reference."""
    refs: dict[str, set[str]] = {t["id"]: set() for t in snapshot["tables"]}
    for rel in snapshot["relationships"]:
        if rel["source_table"] != rel["target_table"] and rel["target_table"] in refs:
            refs[rel["target_table"]].add(rel["source_table"])
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(tid: str) -> int:
        if tid in layer:
            return layer[tid]
        if tid in visiting:  # a cycle: break it here
            return 0
        visiting.add(tid)
        value = 1 + max((depth(s) for s in sorted(refs[tid]) if s in refs), default=-1)
        visiting.discard(tid)
        layer[tid] = value
        return value

    for table in snapshot["tables"]:
        depth(table["id"])
    return layer


def auto_layout(snapshot: dict[str, Any]) -> dict[str, dict[str, dict[str, int]]]:
    """``{"tables": {table id: {"x": int, "y": int}}}`` for every table of ``snapshot``."""
    layer_of = layers(snapshot)
    by_layer: dict[int, list[dict]] = {}
    for table in sorted(snapshot["tables"], key=lambda t: (layer_of[t["id"]], t["table_name"])):
        by_layer.setdefault(layer_of[table["id"]], []).append(table)
    positions: dict[str, dict[str, int]] = {}
    for layer, tables in by_layer.items():
        y = MARGIN
        for table in tables:
            positions[table["id"]] = {"x": MARGIN + layer * COLUMN_WIDTH, "y": y}
            y += HEADER + ROW_HEIGHT * len(table["fields"]) + GAP
    return {"tables": positions}
