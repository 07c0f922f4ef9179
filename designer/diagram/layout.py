"""Automatic layout: tables in layers by foreign keys, referenced tables to the left of the tables that
reference them, no overlapping boxes.

``layered_layout`` is a small Sugiyama-style layout: layers by longest path over the (cycle-broken) graph of
foreign keys, a few barycentre sweeps to reduce crossings, each layer stacked top to bottom and wrapped into
several columns when it would grow much taller than the whole drawing is wide. Tables without any
relationship go into a grid after the connected ones. Pure Python; sizes come from ``geometry.box_size``.
The gaps between layers and between the boxes of a layer are the lanes ``geometry.Router`` draws long
connectors through. ``clustered_layout`` keeps table groups together; ``free_position`` finds room for a
new table or a note.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from .geometry import GROUP_LABEL, GROUP_PAD, overlaps

ORIGIN = 40
COLUMN_GAP = 140  # room for connectors between layers
ROW_GAP = 60  # a connector crossing a column runs through the gap between two boxes
Size = tuple[int, int]


def layer_numbers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
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
    (left) layer. Deterministic: the same input gives the same positions; the order of ``sizes`` breaks
    ties (a cycle of foreign keys is broken at its first table).
    """
    nodes = list(sizes)  # the caller's order decides ties and where cycles are broken
    rank = {n: i for i, n in enumerate(nodes)}
    edge_list = sorted(
        {(a, b) for a, b in edges if a != b and a in sizes and b in sizes}, key=lambda e: (rank[e[0]], rank[e[1]])
    )
    linked = {n for e in edge_list for n in e}
    connected = [n for n in nodes if n in linked]
    lonely = [n for n in nodes if n not in linked]

    total_area = sum((w + COLUMN_GAP) * (h + ROW_GAP) for w, h in sizes.values()) or 1
    max_height = max(900, int(math.sqrt(total_area) * 0.8), max((h for _, h in sizes.values()), default=0))

    positions: dict[str, tuple[int, int]] = {}
    x = origin[0]
    if connected:
        layer_of = layer_numbers(connected, edge_list)
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


def clustered_layout(
    sizes: dict[str, Size],
    edges: Iterable[tuple[str, str]],
    clusters: Iterable[Iterable[str]],
    *,
    origin: tuple[int, int] = (ORIGIN, ORIGIN),
) -> dict[str, tuple[int, int]]:
    """``layered_layout`` where the members of each cluster (a table group) stay together.

    Each cluster is laid out on its own, then takes part in the whole layout as one big node the size of
    its group area (members plus the group's padding and label), so no other table lands inside the
    area. Clusters sharing a table are merged into one.
    """
    edge_list = [(a, b) for a, b in edges if a in sizes and b in sizes]
    parent: dict[str, str] = {}

    def find(n: str) -> str:
        while parent.get(n, n) != n:
            parent[n] = parent.get(parent[n], parent[n])
            n = parent[n]
        return n

    for members in clusters:
        members = sorted(m for m in members if m in sizes)
        for m in members:
            parent.setdefault(m, m)
        for m in members[1:]:
            a, b = find(members[0]), find(m)
            if a != b:
                parent[max(a, b)] = min(a, b)
    if not parent:
        return layered_layout(sizes, edge_list, origin=origin)
    groups: dict[str, list[str]] = defaultdict(list)
    for m in sizes:  # in the caller's order, like the rest of the layout
        if m in parent:
            groups[find(m)].append(m)
    node_of = {m: f"~group~{root}" for root, members in groups.items() for m in members}
    inner: dict[str, dict[str, tuple[int, int]]] = {}
    outer_sizes = {n: size for n, size in sizes.items() if n not in node_of}
    for root, members in groups.items():
        member_set = set(members)
        local = layered_layout(
            {m: sizes[m] for m in members},
            [(a, b) for a, b in edge_list if a in member_set and b in member_set],
            origin=(0, 0),
        )
        width = max(x + sizes[m][0] for m, (x, _) in local.items())
        height = max(y + sizes[m][1] for m, (_, y) in local.items())
        inner[f"~group~{root}"] = local
        outer_sizes[f"~group~{root}"] = (width + 2 * GROUP_PAD, height + 2 * GROUP_PAD + GROUP_LABEL)
    outer = layered_layout(
        outer_sizes, [(node_of.get(a, a), node_of.get(b, b)) for a, b in edge_list], origin=(origin[0], origin[1])
    )
    positions = {n: outer[n] for n in sizes if n not in node_of}
    for node, local in inner.items():
        gx, gy = outer[node]
        for m, (x, y) in local.items():
            positions[m] = (gx + GROUP_PAD + x, gy + GROUP_PAD + GROUP_LABEL + y)
    return positions


def place_notes(
    notes: list[tuple[str, int, int, int, int]], occupied: list[tuple[int, int, int, int]]
) -> dict[str, tuple[int, int]]:
    """New positions for the sticky notes (id, x, y, w, h) that lie on an occupied rectangle (a table or a
    group area) or on another note: each moves to the nearest free spot. Notes already on free space stay."""
    taken = _Occupied(occupied)
    moved: dict[str, tuple[int, int]] = {}
    for note_id, x, y, w, h in sorted(notes, key=lambda n: (n[2], n[1], n[0])):
        if taken.hits((x, y, w, h), NOTE_MARGIN):
            x, y = free_position(taken, (w, h), near=(x, y), margin=NOTE_MARGIN)
            moved[note_id] = (x, y)
        taken.add((x, y, w, h))
    return moved


NOTE_MARGIN = 20
CELL = 256


class _Occupied:
    """Rectangles (x, y, w, h) bucketed on a coarse grid, so asking whether a spot is free stays cheap
    with thousands of tables."""

    def __init__(self, rects: Iterable[tuple[int, int, int, int]] = ()) -> None:
        self.cells: dict[tuple[int, int], list[tuple[int, int, int, int]]] = defaultdict(list)
        self.rects: list[tuple[int, int, int, int]] = []
        for rect in rects:
            self.add(rect)

    def _cells(self, rect: tuple[int, int, int, int], margin: int) -> Iterable[tuple[int, int]]:
        x, y, w, h = rect
        for cx in range((x - margin) // CELL, (x + w + margin) // CELL + 1):
            for cy in range((y - margin) // CELL, (y + h + margin) // CELL + 1):
                yield cx, cy

    def add(self, rect: tuple[int, int, int, int]) -> None:
        rect = tuple(int(v) for v in rect)
        self.rects.append(rect)
        for cell in self._cells(rect, 0):
            self.cells[cell].append(rect)

    def hits(self, rect: tuple[int, int, int, int], margin: int) -> bool:
        return any(
            overlaps(rect, other, margin=margin)
            for cell in self._cells(rect, margin)
            for other in self.cells.get(cell, ())
        )


def free_position(
    occupied: list[tuple[int, int, int, int]] | _Occupied,
    size: Size,
    *,
    near: tuple[int, int] = (ORIGIN, ORIGIN),
    margin: int = 30,
) -> tuple[int, int]:
    """The free spot nearest ``near`` (the top-left corner wanted) for a box of ``size``: one that overlaps
    no occupied (x, y, w, h) rectangle, with ``margin`` of air around it.

    Tries spots on rings of growing size around ``near``, nearest first; past them, the right of the drawing.
    """
    taken = occupied if isinstance(occupied, _Occupied) else _Occupied(occupied)
    w, h = size
    step = 40
    x0, y0 = int(near[0]), int(near[1])
    for ring in range(0, 60):
        spots = [
            (dx, dy) for dx in range(-ring, ring + 1) for dy in range(-ring, ring + 1) if max(abs(dx), abs(dy)) == ring
        ]
        spots.sort(key=lambda d: (d[0] * d[0] + d[1] * d[1], d[1], d[0]))
        for dx, dy in spots:
            candidate = (x0 + dx * step, y0 + dy * step, w, h)
            if not taken.hits(candidate, margin):
                return candidate[0], candidate[1]
    right = max((o[0] + o[2] for o in taken.rects), default=x0)
    return right + COLUMN_GAP, y0
