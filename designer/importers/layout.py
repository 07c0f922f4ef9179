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
    """table id → layer: 0 for tables that reference nothing, else one more than the deepest table they
    reference. Iterative (Kahn's order), so long chains are fine; a cycle is broken at its first table
    by name."""
    names = {t["id"]: t["table_name"] for t in snapshot["tables"]}
    refs: dict[str, set[str]] = {tid: set() for tid in names}
    dependents: dict[str, set[str]] = {tid: set() for tid in names}
    for rel in snapshot["relationships"]:
        source, target = rel["source_table"], rel["target_table"]
        if source != target and source in refs and target in refs:
            refs[target].add(source)
            dependents[source].add(target)
    waiting = {tid: len(r) for tid, r in refs.items()}
    ready = sorted((tid for tid, n in waiting.items() if n == 0), key=names.get)
    layer: dict[str, int] = {}
    while len(layer) < len(names):
        if not ready:  # only cycles left: start one at its first table by name
            ready = [min((tid for tid in names if tid not in layer), key=names.get)]
        tid = ready.pop(0)
        if tid in layer:
            continue
        layer[tid] = 1 + max((layer[s] for s in refs[tid] if s in layer), default=-1)
        for dependent in sorted(dependents[tid], key=names.get):
            waiting[dependent] -= 1
            if waiting[dependent] == 0 and dependent not in layer:
                ready.append(dependent)
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
