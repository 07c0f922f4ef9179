"""Imported tables are laid out: referenced tables left of the tables pointing at them, no overlaps."""

from __future__ import annotations

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


def test_tables_in_one_column_do_not_overlap():
    snapshot = read_sql(
        "".join(f"CREATE TABLE t{n} ({', '.join(f'c{k} int' for k in range(n + 1))});" for n in range(8))
    ).snapshot
    boxes = sorted(auto_layout(snapshot)["tables"].values(), key=lambda p: p["y"])
    assert len({(b["x"], b["y"]) for b in boxes}) == 8
    assert all(b["x"] == boxes[0]["x"] for b in boxes)
