"""Imported tables are laid out: referenced tables left of the tables pointing at them, no overlaps."""

from __future__ import annotations

import itertools

from designer.diagram.from_snapshot import arrange, diagram_from_snapshot
from designer.diagram.geometry import MAX_WIDTH, overlaps
from designer.importers.layout import auto_layout, layers
from designer.importers.sql import read_sql


def test_a_chain_of_two_thousand_tables_is_laid_out_left_to_right():
    sql = "CREATE TABLE t0 (id int PRIMARY KEY);" + "".join(
        f"CREATE TABLE t{n} (id int PRIMARY KEY, up int REFERENCES t{n - 1});" for n in range(1, 2000)
    )
    snapshot = read_sql(sql).snapshot
    by_name = {t["table_name"]: t["id"] for t in snapshot["tables"]}
    depth = layers(snapshot)
    assert depth[by_name["t0"]] == 0 and depth[by_name["t1999"]] == 1999


def test_cycles_and_self_references_do_not_stop_the_layout():
    snapshot = read_sql(
        "CREATE TABLE a (id int PRIMARY KEY, b_id int, boss int REFERENCES a);"
        "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);"
        "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b;"
        "CREATE TABLE c (id int PRIMARY KEY, b_id int REFERENCES b);"
    ).snapshot
    positions = auto_layout(snapshot)["tables"]
    by_name = {t["table_name"]: positions[t["id"]] for t in snapshot["tables"]}
    assert by_name["a"]["x"] < by_name["b"]["x"] < by_name["c"]["x"]


def _boxes(snapshot):
    """The boxes as the designer draws them, at the positions the import gave them."""
    return {b.table_name: b for b in diagram_from_snapshot(snapshot).boxes}


def _overlapping(boxes):
    return [
        (a.table_name, b.table_name)
        for a, b in itertools.combinations(boxes.values(), 2)
        if overlaps((a.x, a.y, a.width, a.height), (b.x, b.y, b.width, b.height))
    ]


def test_tables_of_different_heights_do_not_overlap():
    snapshot = read_sql(
        "".join(f"CREATE TABLE t{n} ({', '.join(f'c{k} int' for k in range(n + 1))});" for n in range(8))
    ).snapshot
    boxes = _boxes(snapshot)
    assert len({(b.x, b.y) for b in boxes.values()}) == 8
    assert _overlapping(boxes) == []


def test_wide_tables_with_long_column_names_do_not_overlap():
    long = ", ".join(f"a_very_long_descriptive_column_name_{k:02d} varchar(255)" for k in range(6))
    snapshot = read_sql(
        f"CREATE TABLE wide_root (id int PRIMARY KEY, {long});"
        f"CREATE TABLE wide_child (id int PRIMARY KEY, root_id int REFERENCES wide_root, {long});"
        f"CREATE TABLE wide_grandchild (id int PRIMARY KEY, child_id int REFERENCES wide_child, {long});"
        f"CREATE TABLE wide_sibling (id int PRIMARY KEY, root_id int REFERENCES wide_root, {long});"
    ).snapshot
    boxes = _boxes(snapshot)
    assert {b.width for b in boxes.values()} == {MAX_WIDTH}, "boxes wider than the old fixed 320 px column"
    assert _overlapping(boxes) == []
    assert boxes["wide_root"].x + MAX_WIDTH < boxes["wide_child"].x < boxes["wide_grandchild"].x


def test_an_import_lands_where_auto_arrange_would_put_it():
    snapshot = read_sql(
        "CREATE TABLE artist (id int PRIMARY KEY, name text);"
        "CREATE TABLE album (id int PRIMARY KEY, artist_id int REFERENCES artist, title text);"
        "CREATE TABLE track (id int PRIMARY KEY, album_id int REFERENCES album, genre_id int REFERENCES genre);"
        "CREATE TABLE genre (id int PRIMARY KEY, name text);"
    ).snapshot
    diagram = diagram_from_snapshot(snapshot)
    assert {b.id: (b.x, b.y) for b in diagram.boxes} == arrange(diagram.boxes, diagram.edges)
