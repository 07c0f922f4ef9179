"""Automatic layout: layered by foreign keys, never overlapping, deterministic."""

from __future__ import annotations

import itertools

from designer.diagram.geometry import Box, Row, overlaps
from designer.diagram.layout import free_position, layered_layout


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
