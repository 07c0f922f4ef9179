"""Automatic layout: layered by foreign keys, never overlapping, deterministic."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from designer.diagram.from_snapshot import arrange, diagram_from_snapshot
from designer.diagram.geometry import Box, Edge, Router, Row, connectors_crossing_boxes, overlaps, path_data
from designer.diagram.layout import free_position, layered_layout
from designer.diagram.svg import Diagram, render_svg
from designer.importers.sql import read_sql
from designer.sample import generated_snapshot


def _no_overlaps(positions, sizes):
    rects = [(*positions[n], *sizes[n]) for n in sizes]
    return not any(overlaps(a, b) for a, b in itertools.combinations(rects, 2))


def test_referenced_tables_sit_left_of_the_tables_that_reference_them():
    sizes = {n: (200, 120) for n in ("artist", "album", "track", "genre", "playlist")}
    edges = [("artist", "album"), ("album", "track"), ("genre", "track")]
    pos = layered_layout(sizes, edges)
    assert pos["artist"][0] < pos["album"][0] < pos["track"][0]
    assert pos["genre"][0] < pos["track"][0]
    assert _no_overlaps(pos, sizes)


def test_a_thousand_tables_with_cycles_lay_out_without_overlaps_and_deterministically():
    sizes = {f"t{i}": (200 + (i % 7) * 20, 40 + (i % 20) * 20) for i in range(1000)}
    edges = [(f"t{(i * 37) % 1000}", f"t{i}") for i in range(1000)] + [("t5", "t3"), ("t3", "t5")]
    pos = layered_layout(sizes, edges)
    assert set(pos) == set(sizes)
    assert _no_overlaps(pos, sizes)
    assert pos == layered_layout(sizes, edges)
    width = max(x + sizes[n][0] for n, (x, y) in pos.items())
    height = max(y + sizes[n][1] for n, (x, y) in pos.items())
    assert width < 8 * height and height < 8 * width, "the drawing stays roughly square, not one long strip"


def test_tables_without_relationships_are_placed_after_the_connected_ones():
    sizes = {"a": (200, 100), "b": (200, 100), "lonely": (200, 100)}
    pos = layered_layout(sizes, [("a", "b")])
    assert pos["lonely"][0] > pos["b"][0]


def test_a_new_box_lands_on_free_space():
    occupied = [(40, 40, 300, 300), (400, 40, 300, 300)]
    x, y = free_position(occupied, (240, 100), near=(40, 40))
    assert not any(overlaps((x, y, 240, 100), o) for o in occupied)


def test_box_size_grows_with_rows_and_long_names():
    short = Box(id="1", table_name="a", status="draft", x=0, y=0, rows=[Row("id", "integer")])
    long = Box(id="2", table_name="a", status="draft", x=0, y=0, rows=[Row("x" * 40, "varchar(255)")] * 3)
    assert long.width > short.width and long.height > short.height


def test_a_lookup_table_sits_next_to_the_table_that_uses_it_not_in_the_first_column():
    sizes = {n: (200, 100) for n in ("artist", "album", "track", "genre")}
    pos = layered_layout(sizes, [("artist", "album"), ("album", "track"), ("genre", "track")])
    assert pos["genre"][0] == pos["album"][0], "genre's connector to track crosses no column of boxes"
    assert pos["artist"][0] < pos["album"][0] < pos["track"][0]


CHINOOK = Path("/work/shared/schemas/chinook/chinook-postgresql.sql")


def _arranged(snapshot):
    snapshot = {k: v for k, v in snapshot.items() if k != "layout"}
    diagram = diagram_from_snapshot(snapshot)
    positions = arrange(diagram.boxes, diagram.edges)
    for box in diagram.boxes:
        box.x, box.y = positions[box.id]
    return diagram


def _overlapping(boxes):
    return [
        (a.table_name, b.table_name)
        for a, b in itertools.combinations(boxes, 2)
        if overlaps((a.x, a.y, a.width, a.height), (b.x, b.y, b.width, b.height))
    ]


@pytest.mark.parametrize("tables", [30, 100])
def test_after_auto_arrange_connectors_of_a_generated_design_seldom_cross_a_third_box(tables):
    diagram = _arranged(generated_snapshot(tables))
    crossing = connectors_crossing_boxes(diagram.boxes, diagram.edges)
    assert len(crossing) <= len(diagram.edges) // 10, f"{len(crossing)} of {len(diagram.edges)} connectors cross"
    assert _overlapping(diagram.boxes) == []


def test_after_auto_arrange_no_chinook_connector_crosses_a_third_box():
    diagram = _arranged(read_sql(CHINOOK.read_text(encoding="utf-8")).snapshot)
    assert len(diagram.boxes) == 11 and len(diagram.edges) == 11
    assert connectors_crossing_boxes(diagram.boxes, diagram.edges) == []
    assert _overlapping(diagram.boxes) == []


def test_a_connector_that_loops_through_a_neighbouring_box_is_counted_as_crossing():
    rows = [Row("id", "integer", ("PK",), True), Row("parent_id", "integer", ("FK",))]
    upper = Box("u", "upper", "draft", 0, 0, list(rows))
    lower = Box("l", "lower", "draft", 0, 300, list(rows))
    beside = Box("b", "beside", "draft", upper.width + 10, 60, list(rows) * 6)
    edge = Edge("e", "lower_parent_id_fkey", "one_to_many", "u", "id", "l", "parent_id")
    assert connectors_crossing_boxes([upper, lower, beside], [edge]) == [edge]
    beside.x = upper.width + 200
    assert connectors_crossing_boxes([upper, lower, beside], [edge]) == []


def test_a_connector_spanning_a_column_is_drawn_through_the_gap_between_its_boxes():
    rows = [Row("id", "integer", ("PK",), True), Row("left_id", "integer", ("FK",))] + [Row("c", "text")] * 8
    left = Box("a", "left", "draft", 0, 100, list(rows))
    top = Box("t", "top", "draft", 400, 0, list(rows))
    bottom = Box("m", "bottom", "draft", 400, top.height + 60, list(rows))
    right = Box("c", "right", "draft", 800, 100, list(rows))
    edge = Edge("e", "right_left_id_fkey", "one_to_many", "a", "id", "c", "left_id")
    boxes = [left, top, bottom, right]
    # The plain curve runs through "top" (the line from y=144 to y=164 crosses x=400..600 there).
    plain = Router([left, right]).segments(left, 0, right, 1)
    assert len(plain) == 1
    assert connectors_crossing_boxes(boxes, [edge]) == []
    text = render_svg(Diagram(boxes, [edge]))
    drawn = text.split('class="line" d="')[1].split('"')[0]
    assert drawn == path_data(Router(boxes).segments(left, 0, right, 1)) and " L" in drawn
    (crossing_middle,) = [s for s in Router(boxes).segments(left, 0, right, 1) if s[0][0] < 400 and s[-1][0] > 600]
    assert len(crossing_middle) == 2 and crossing_middle[0][1] == crossing_middle[1][1], "a straight run"
    assert top.y + top.height < crossing_middle[0][1] < bottom.y, "it crosses the middle column between the boxes"
