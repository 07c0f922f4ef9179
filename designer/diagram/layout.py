"""Automatic layout: tables in layers by foreign keys, referenced tables to the left of the tables that
reference them, no overlapping boxes.

``layered_layout`` is a small Sugiyama-style layout: layers by longest path over the (cycle-broken) graph of
foreign keys, a few barycentre sweeps to reduce crossings, each layer stacked top to bottom and wrapped into
several columns when it would grow much taller than the whole drawing is wide. Tables without any
relationship go into a grid after the connected ones. Pure Python; sizes come from ``geometry.box_size``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from .geometry import overlaps

ORIGIN = 40
COLUMN_GAP = 140  # room for connectors between layers
ROW_GAP = 60  # a connector crossing a column runs through the gap between two boxes
Size = tuple[int, int]


def _layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering; back edges of a depth-first search are ignored so cycles still lay out."""
    children: dict[str, list[str]] = defaultdict(list)
    for parent, child in edges:
        children[parent].append(child)
    state: dict[str, int] = {}
    order: list[str] = []

    def visit(start: str) -> None:
        stack = [(start, iter(children[start]))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            for nxt in it:
                if state.get(nxt, 0) == 0:
                    state[nxt] = 1
                    stack.append((nxt, iter(children[nxt])))
                    break
            else:
                state[node] = 2
                order.append(node)
                stack.pop()

    for node in nodes:
        if state.get(node, 0) == 0:
            visit(node)
    position = {n: i for i, n in enumerate(reversed(order))}  # topological order of the DAG part
    layer = dict.fromkeys(nodes, 0)
    for node in reversed(order):
        for child in children[node]:
            if position[child] > position[node]:  # forward edge
                layer[child] = max(layer[child], layer[node] + 1)
    # A table nothing points into sits just left of its nearest child, not in the first column: its
    # connectors then stay short instead of crossing the boxes of the layers in between.
    has_parent = {child for parent, kids in children.items() for child in kids if child != parent}
    for node in order:  # children before parents
        kids = [layer[c] for c in children[node] if position[c] > position[node]]
        if node not in has_parent and kids:
            layer[node] = max(layer[node], min(kids) - 1)
    return layer


def _order_layers(layers: list[list[str]], edges: list[tuple[str, str]], sweeps: int = 4) -> None:
    """Barycentre heuristic: sort each layer by the mean position of its neighbours in the previous one."""
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    for parent, child in edges:
        up[child].append(parent)
        down[parent].append(child)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        sequence = range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1)
        for i in sequence:
            ref = layers[i - 1] if forward else layers[i + 1]
            where = {n: k for k, n in enumerate(ref)}
            neighbours = up if forward else down
            current = {n: k for k, n in enumerate(layers[i])}

            def key(node: str, where=where, neighbours=neighbours, current=current) -> float:
                pos = [where[m] for m in neighbours[node] if m in where]
                return sum(pos) / len(pos) if pos else current[node]

            layers[i].sort(key=key)


def layered_layout(
    sizes: dict[str, Size], edges: Iterable[tuple[str, str]], *, origin: tuple[int, int] = (ORIGIN, ORIGIN)
) -> dict[str, tuple[int, int]]:
    """Positions (x, y) for every node in ``sizes``.

    ``edges`` are (referenced table, referencing table) pairs: the referenced one is placed in an earlier
    (left) layer. Deterministic: the same input gives the same positions.
    """
    nodes = sorted(sizes)
    edge_list = sorted({(a, b) for a, b in edges if a != b and a in sizes and b in sizes})
    linked = {n for e in edge_list for n in e}
    connected = [n for n in nodes if n in linked]
    lonely = [n for n in nodes if n not in linked]

    total_area = sum((w + COLUMN_GAP) * (h + ROW_GAP) for w, h in sizes.values()) or 1
    max_height = max(900, int(math.sqrt(total_area) * 0.8), max((h for _, h in sizes.values()), default=0))

    positions: dict[str, tuple[int, int]] = {}
    x = origin[0]
    if connected:
        layer_of = _layers(connected, edge_list)
        layers: list[list[str]] = [[] for _ in range(max(layer_of.values()) + 1)]
        for node in connected:
            layers[layer_of[node]].append(node)
        _order_layers(layers, edge_list)
        for layer in layers:
            x = _place_columns(layer, sizes, positions, x, origin[1], max_height)
    if lonely:
        _place_columns(lonely, sizes, positions, x, origin[1], max_height)
    return positions


def _place_columns(
    nodes: list[str], sizes: dict[str, Size], positions: dict[str, tuple[int, int]], x: int, top: int, max_height: int
) -> int:
    """Stack ``nodes`` top to bottom from ``x``, starting a new column past ``max_height``; returns the next x."""
    y, column_width = top, 0
    for node in nodes:
        w, h = sizes[node]
        if y > top and y + h - top > max_height:
            x += column_width + COLUMN_GAP
            y, column_width = top, 0
        positions[node] = (x, y)
        y += h + ROW_GAP
        column_width = max(column_width, w)
    return x + column_width + COLUMN_GAP


def free_position(
    occupied: list[tuple[int, int, int, int]], size: Size, *, near: tuple[int, int] = (ORIGIN, ORIGIN)
) -> tuple[int, int]:
    """The first spot for a box of ``size`` that overlaps no occupied (x, y, w, h) rectangle.

    Scans a grid row by row from ``near``, so a new table lands close to where the user is looking.
    """
    w, h = size
    step_x, step_y = 60, 60
    x0, y0 = near
    for ring in range(0, 30):
        for dy in range(0, ring + 1):
            for dx in range(0, ring + 1):
                if max(dx, dy) != ring:
                    continue
                candidate = (x0 + dx * step_x, y0 + dy * step_y, w, h)
                if not any(overlaps(candidate, o, margin=30) for o in occupied):
                    return candidate[0], candidate[1]
    right = max((o[0] + o[2] for o in occupied), default=x0)
    return right + COLUMN_GAP, y0
