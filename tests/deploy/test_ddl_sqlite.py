"""The SQLite dialect: the same change kinds as PostgreSQL, applied to a real SQLite file, read back, no
difference; rolled back, the previous schema and every row again (dropped columns and tables included)."""

from __future__ import annotations

import copy
import sqlite3

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from designer.ddl.sqlite import compile_plan
from designer.introspect.compare import differences
from designer.introspect.sqlite import introspect
from designer.schema.snapshot import canonicalize, empty_snapshot

from .snapshots import music
from .test_ddl_postgresql import CASES
from .test_property_convergence import edit


def apply(conn: sqlite3.Connection, statements) -> None:
    conn.execute("BEGIN")
    try:
        for statement in statements:
            conn.execute(statement.sql)
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        assert problems == [], problems
    except Exception:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def rows(conn):
    return {
        "artist": conn.execute("SELECT artist_id, name, email FROM artist ORDER BY 1").fetchall(),
        "album": conn.execute("SELECT album_id, artist_id FROM album ORDER BY 1").fetchall()
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'album'").fetchone()
        else None,
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_change_kind_on_sqlite_converges_and_rolls_back_with_data(tmp_path, case):
    conn = sqlite3.connect(tmp_path / "design.sqlite3", isolation_level=None)
    mutate, _ = CASES[case]
    old = music()
    new = copy.deepcopy(old)
    mutate(new)
    new = canonicalize(new)
    apply(conn, compile_plan(empty_snapshot(), old, tag="d6")[0])
    conn.execute("INSERT INTO artist (artist_id, name, email) VALUES (1, 'AC/DC', 'a@x'), (2, 'Queen', NULL)")
    conn.execute("INSERT INTO album (album_id, title, artist_id, price) VALUES (1, 'Back in Black', 1, 9.5)")
    before = rows(conn)
    price_before = conn.execute("SELECT price FROM album").fetchall()

    forward, reverse = compile_plan(old, new, tag="d7")
    text = "\n".join(s.sql for s in forward)
    assert "DROP TABLE" not in text and "DROP COLUMN" not in text
    apply(conn, forward)
    assert differences(new, introspect(conn), dialect="sqlite") == [], text
    apply(conn, reverse)
    assert differences(old, introspect(conn), dialect="sqlite") == [], "\n".join(s.sql for s in reverse)
    assert rows(conn) == before
    assert conn.execute("SELECT price FROM album").fetchall() == price_before, "dropped values come back"


def test_sqlite_rename_is_a_rename_not_a_rebuild():
    old = music()
    new = copy.deepcopy(old)
    next(f for t in new["tables"] for f in t["fields"] if f["field_name"] == "title")["field_name"] = "name"
    forward, _ = compile_plan(old, canonicalize(new), tag="d2")
    assert [s.sql for s in forward] == ['ALTER TABLE "album" RENAME COLUMN "title" TO "name";']


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_edit_sequences_converge_and_roll_back_on_sqlite(data):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    history, reverses = [empty_snapshot()], []
    for step in range(data.draw(st.integers(min_value=1, max_value=8), label="steps")):
        new = edit(history[-1], data)
        forward, reverse = compile_plan(history[-1], new, tag=f"d{step}")
        apply(conn, forward)
        assert differences(new, introspect(conn), dialect="sqlite") == [], [s.sql for s in forward]
        history.append(new)
        reverses.append(reverse)
    while reverses:
        apply(conn, reverses.pop())
        history.pop()
        assert differences(history[-1], introspect(conn), dialect="sqlite") == []
