"""The sample-data seeding engine on real PostgreSQL: every constraint exists during the inserts."""

from __future__ import annotations

import decimal
import json
from pathlib import Path

import pytest

from designer.ddl.postgresql import create_script
from designer.importers.sql import read_sql
from designer.services.seeding import SeedError, clear, seed, status
from tests.pg_scratch import scratch  # noqa: F401 - the fixture

pytestmark = pytest.mark.postgres

CHINOOK = Path("/work/shared/schemas/chinook/chinook-postgresql.sql")


# --- a small snapshot builder ------------------------------------------------------------------------------------


def table(name: str, *fields: dict, pk: list[str] | None = None, constraints: list[dict] = ()) -> dict:
    ids = {f["field_name"]: f"{name}.{f['field_name']}" for f in fields}
    return {
        "id": name,
        "table_name": name,
        "primary_key": {"name": f"{name}_pkey", "fields": [ids[c] for c in pk]} if pk else None,
        "fields": [{"id": ids[f["field_name"]], **f} for f in fields],
        "constraints": [
            {**c, "id": f"{name}.{c['name']}", "fields": [ids[x] for x in c.get("fields", [])]} for c in constraints
        ],
    }


def col(name: str, data_type: str = "text", **options) -> dict:
    config = options.pop("config", {})
    return {"field_name": name, "data_type": data_type, "config": config, **options}


def ident(name: str = "id") -> dict:
    return col(name, "number", config={"kind": "integer", "identity": True}, required=True)


def fk(name: str, child: str, column: str, parent: str, parent_column: str = "id") -> dict:
    return {
        "id": name,
        "name": name,
        "source_table": parent,
        "source_field": f"{parent}.{parent_column}",
        "target_table": child,
        "target_field": f"{child}.{column}",
    }


def snapshot(*tables: dict, relationships: list[dict] = ()) -> dict:
    return {"format": 1, "tables": list(tables), "relationships": list(relationships)}


def deploy(scratch, snap: dict) -> str:  # noqa: F811
    schema = scratch.schema()
    scratch.run(schema, create_script(snap, schema=schema))
    return schema


def rows(conn, schema: str, name: str, order: str = "1") -> list[tuple]:
    return conn.execute(f'SELECT * FROM "{schema}"."{name}" ORDER BY {order}').fetchall()


def constraint_count(conn, schema: str) -> dict[str, int]:
    found = conn.execute(
        "SELECT contype, count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = %s GROUP BY contype",
        (schema,),
    ).fetchall()
    return dict(found)


# --- stories -----------------------------------------------------------------------------------------------------


def test_seeding_chinook_with_1000_rows_per_table_passes_every_constraint(scratch):  # noqa: F811
    chinook = read_sql(CHINOOK.read_text(encoding="utf-8")).snapshot
    schema = deploy(scratch, chinook)
    conn = scratch.conn
    kinds = constraint_count(conn, schema)
    assert kinds["f"] == 11 and kinds["p"] == 11  # the keys are in place while the rows go in

    result = seed(conn, schema, chinook, rows_per_table=1000, seed=1)

    assert result.counts == dict.fromkeys(result.counts, 1000) and len(result.counts) == 11
    for name, count in result.counts.items():
        assert conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0] == count
    # realistic values, within their types
    emails = [r[0] for r in conn.execute(f'SELECT email FROM "{schema}".customer').fetchall()]
    assert all("@" in e and len(e) <= 60 for e in emails) and len(set(emails)) > 500
    totals = [r[0] for r in conn.execute(f'SELECT total FROM "{schema}".invoice').fetchall()]
    assert all(isinstance(t, decimal.Decimal) and t.as_tuple().exponent == -2 and t < 10**8 for t in totals)
    # the self-reference got a second pass: employees report to other employees
    reports = conn.execute(
        f'SELECT count(*) FROM "{schema}".employee WHERE reports_to IS NOT NULL AND reports_to <> employee_id'
    ).fetchone()[0]
    assert reports > 500
    # every foreign key still validates (PostgreSQL re-checks them all)
    for name, tbl in conn.execute(
        "SELECT c.conname, t.relname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s AND c.contype = 'f'",
        (schema,),
    ).fetchall():
        conn.execute(f'ALTER TABLE "{schema}"."{tbl}" VALIDATE CONSTRAINT "{name}"')
    assert json.loads(json.dumps(result.as_dict()))["keys"]["playlist_track"][0] == result.keys["playlist_track"][0]

    assert clear(conn, schema, chinook, result.keys) == result.counts
    assert all(conn.execute(f'SELECT count(*) FROM "{schema}"."{n}"').fetchone()[0] == 0 for n in result.counts)


def test_seeding_the_demo_project_with_1000_rows_per_table_passes_every_constraint(scratch, db, settings):  # noqa: F811
    from designer.demo import SCHEMA, load_demo
    from designer.services.snapshots import project_snapshot

    settings.DEBUG = True
    project, _created = load_demo()
    snap = project_snapshot(project)
    schema = deploy(scratch, snap)
    conn = scratch.conn
    assert constraint_count(conn, schema)["c"] >= 1  # the quality_score range and the choices are CHECKs

    result = seed(conn, schema, snap, rows_per_table=1000, seed=3)

    assert set(result.counts) == set(SCHEMA) and set(result.counts.values()) == {1000}
    scores = conn.execute(f'SELECT min(quality_score), max(quality_score) FROM "{schema}".analyses').fetchone()
    assert scores[0] is None or 0 <= scores[0] <= scores[1] <= 100
    statuses = {r[0] for r in conn.execute(f'SELECT DISTINCT status FROM "{schema}".datasets').fetchall()}
    assert statuses <= {"pending", "processing", "completed", "failed"} and len(statuses) == 4


def test_clear_removes_every_seeded_row_and_leaves_a_hand_inserted_row(scratch):  # noqa: F811
    snap = snapshot(
        table("author", ident(), col("name", config={"max_length": 80}, required=True), pk=["id"]),
        table(
            "book",
            ident(),
            col("title", config={"max_length": 120}, required=True),
            col("author_id", "number", config={"kind": "integer"}, required=True),
            col("isbn", config={"max_length": 20}, unique=True, required=True),
            pk=["id"],
        ),
        relationships=[fk("book_author_fk", "book", "author_id", "author")],
    )
    schema = deploy(scratch, snap)
    conn = scratch.conn
    conn.execute(f"INSERT INTO \"{schema}\".author (name) VALUES ('Ursula')")
    conn.execute(f"INSERT INTO \"{schema}\".book (title, author_id, isbn) VALUES ('Earthsea', 1, 'isbn-1')")

    result = seed(conn, schema, snap, rows_per_table=50, seed=5)
    assert result.counts == {"author": 50, "book": 50}
    assert status(conn, schema, snap, result.keys)["book"] == {"deployed": True, "rows": 51, "seeded": 50, "user": 1}
    # the identity moved past the seeded keys: the application's next insert works
    conn.execute(f"INSERT INTO \"{schema}\".author (name) VALUES ('Later')")

    assert clear(conn, schema, snap, result.keys) == {"book": 50, "author": 50}
    assert rows(conn, schema, "book") == [(1, "Earthsea", 1, "isbn-1")]
    assert [r[1] for r in rows(conn, schema, "author")] == ["Ursula", "Later"]


def test_seeding_twice_with_the_same_seed_gives_the_same_rows_and_another_seed_different_ones(scratch):  # noqa: F811
    chinook = read_sql(CHINOOK.read_text(encoding="utf-8")).snapshot
    first, second, third = deploy(scratch, chinook), deploy(scratch, chinook), deploy(scratch, chinook)
    conn = scratch.conn
    seed(conn, first, chinook, rows_per_table=200, seed=42)
    seed(conn, second, chinook, rows_per_table=200, seed=42)
    seed(conn, third, chinook, rows_per_table=200, seed=43)
    for name in ("customer", "employee", "invoice", "playlist_track", "track"):
        assert rows(conn, first, name) == rows(conn, second, name), name
        assert rows(conn, first, name) != rows(conn, third, name), name


def test_a_self_reference_and_a_two_table_cycle_through_nullable_keys_get_filled(scratch):  # noqa: F811
    number = {"kind": "integer"}
    snap = snapshot(
        table("category", ident(), col("name", required=True), col("parent_id", "number", config=number), pk=["id"]),
        table("team", ident(), col("name", required=True), col("lead_id", "number", config=number), pk=["id"]),
        table("person", ident(), col("email", required=True), col("team_id", "number", config=number), pk=["id"]),
        relationships=[
            fk("category_parent_fk", "category", "parent_id", "category"),
            fk("team_lead_fk", "team", "lead_id", "person"),
            fk("person_team_fk", "person", "team_id", "team"),
        ],
    )
    schema = deploy(scratch, snap)
    conn = scratch.conn
    result = seed(conn, schema, snap, rows_per_table=100)
    for name, column in (("category", "parent_id"), ("team", "lead_id"), ("person", "team_id")):
        filled = conn.execute(f'SELECT count({column}) FROM "{schema}"."{name}"').fetchone()[0]
        assert filled > 50, (name, column)
    assert result.updated_references == {"category": 100, "person": 100, "team": 100}
    assert clear(conn, schema, snap, result.keys) == {"category": 100, "person": 100, "team": 100}


def test_a_cycle_through_not_null_keys_is_refused_naming_the_tables(scratch):  # noqa: F811
    number = {"kind": "integer"}
    snap = snapshot(
        table("egg", ident(), col("chicken_id", "number", config=number, required=True), pk=["id"]),
        table("chicken", ident(), col("egg_id", "number", config=number, required=True), pk=["id"]),
        relationships=[
            fk("egg_chicken_fk", "egg", "chicken_id", "chicken"),
            fk("chicken_egg_fk", "chicken", "egg_id", "egg"),
        ],
    )
    schema = deploy(scratch, snap)
    with pytest.raises(SeedError, match=r"chicken, egg.*NOT NULL"):
        seed(scratch.conn, schema, snap, rows_per_table=10)


def test_choices_max_length_decimals_composite_unique_checks_and_identity_are_respected(scratch):  # noqa: F811
    snap = snapshot(
        table(
            "product",
            ident(),
            col("status", config={"choices": ["draft", "live", "retired"]}, required=True),
            col("code", config={"max_length": 3}, required=True),
            col("title", config={"max_length": 12}, required=True),
            col("price", "number", config={"kind": "decimal", "precision": 5, "scale": 2}, required=True),
            col("weight", "number", config={"kind": "smallint"}),
            col("shelf", "number", config={"kind": "smallint"}, required=True),
            col("slot", "number", config={"kind": "smallint"}, required=True),
            col("released", "date", config={"kind": "date"}),
            col("meta", "json"),
            col("ref", "uuid", unique=True),
            col("active", "boolean", required=True),
            pk=["id"],
            constraints=[
                {"name": "product_price_positive", "kind": "check", "expression": "price > 0"},
                {"name": "product_weight_range", "kind": "check", "expression": "weight BETWEEN 1 AND 5"},
                {"name": "product_code_upper", "kind": "check", "expression": "code = upper(code)"},
                {"name": "product_place", "kind": "unique", "fields": ["shelf", "slot"]},
                {"name": "product_slot_even", "kind": "check", "expression": "mod(slot, 2) = 0"},
            ],
        ),
    )
    schema = deploy(scratch, snap)
    conn = scratch.conn
    conn.execute(
        f'INSERT INTO "{schema}".product (id, status, code, title, price, shelf, slot, active) '
        "VALUES (7, 'live', 'AB', 'mine', 1.00, 1, 2, true)"
    )
    result = seed(conn, schema, snap, rows_per_table=300, seed=9)
    assert result.counts == {"product": 300}
    got = conn.execute(f'SELECT status, code, title, price, weight, shelf, slot, id FROM "{schema}".product').fetchall()
    assert {r[0] for r in got} == {"draft", "live", "retired"}
    assert all(len(r[1]) <= 3 and r[1] == r[1].upper() and len(r[2]) <= 12 for r in got)
    assert all(decimal.Decimal("0") < r[3] < 1000 and r[3].as_tuple().exponent == -2 for r in got)
    assert all(r[4] is None or 1 <= r[4] <= 5 for r in got)
    assert all(r[6] % 2 == 0 for r in got)  # rows the CHECK rejected were left out and topped up
    assert len({(r[5], r[6]) for r in got}) == 301
    ids = sorted(r[7] for r in got)
    assert ids[0] == 7 and ids[1] > 7  # explicit keys above the user's, no clash
    conn.execute(
        f'INSERT INTO "{schema}".product (status, code, title, price, shelf, slot, active) '
        "VALUES ('live', 'ZZ', 'next', 2.00, -1, -2, true)"
    )  # identity bumped past the seeded keys
    assert clear(conn, schema, snap, result.keys) == {"product": 300}
    assert conn.execute(f'SELECT count(*) FROM "{schema}".product').fetchone()[0] == 2


def test_seeding_again_adds_new_rows_without_clashing_with_the_earlier_ones(scratch):  # noqa: F811
    snap = snapshot(
        table("account", ident(), col("email", config={"max_length": 60}, required=True, unique=True), pk=["id"]),
    )
    schema = deploy(scratch, snap)
    conn = scratch.conn
    one = seed(conn, schema, snap, rows_per_table=100, seed=1)
    two = seed(conn, schema, snap, rows_per_table=100, seed=1)
    assert one.counts == two.counts == {"account": 100}
    assert not {tuple(k) for k in one.keys["account"]} & {tuple(k) for k in two.keys["account"]}
    assert clear(conn, schema, snap, one.keys) == {"account": 100}
    assert conn.execute(f'SELECT count(*) FROM "{schema}".account').fetchone()[0] == 100


def test_unknown_tables_tables_without_a_key_and_bad_row_counts_are_refused_with_a_message(scratch):  # noqa: F811
    snap = snapshot(table("log", col("line")), table("item", ident(), col("name"), pk=["id"]))
    schema = deploy(scratch, snap)
    conn = scratch.conn
    with pytest.raises(SeedError, match="Table nope is not in the design"):
        seed(conn, schema, snap, tables=["nope"])
    with pytest.raises(SeedError, match="Table log has no primary key"):
        seed(conn, schema, snap)
    for bad in (0, 100_001):
        with pytest.raises(SeedError, match="between 1 and 100000"):
            seed(conn, schema, snap, tables=["item"], rows_per_table=bad)
    conn.execute(f'DROP TABLE "{schema}".item')
    with pytest.raises(SeedError, match="Table item does not exist in schema"):
        seed(conn, schema, snap, tables=["item"])
    assert seed(conn, deploy(scratch, snap), snap, tables=["item"], rows_per_table=5).counts == {"item": 5}
