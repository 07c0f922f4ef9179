"""Golden SQL for each change kind, proven on real PostgreSQL: apply, re-introspect, no difference; roll
back, the previous schema again (the pattern of migra's test suite)."""

from __future__ import annotations

import copy

import pytest

from designer.ddl.postgresql import compile_plan
from designer.introspect.compare import differences
from designer.introspect.postgresql import introspect
from designer.schema.diff import diff
from designer.schema.snapshot import canonicalize, empty_snapshot

from .conftest import run
from .snapshots import field, fk, music, table

pytestmark = pytest.mark.postgres


def _table(doc, name):
    return next(t for t in doc["tables"] if t["table_name"] == name)


def _field(doc, tname, fname):
    return next(f for f in _table(doc, tname)["fields"] if f["field_name"] == fname)


def rename_table(doc):
    t = _table(doc, "album")
    t["table_name"] = t["name"] = "record"
    t["primary_key"]["name"] = "record_pkey"


def rename_field(doc):
    _field(doc, "album", "title")["field_name"] = "name"


def widen_type(doc):
    _field(doc, "album", "title")["config"] = {"max_length": 300}


def change_type(doc):
    _field(doc, "album", "album_id")["config"] = {"kind": "bigint"}
    _field(doc, "album", "artist_id")["config"] = {"kind": "bigint"}
    _field(doc, "artist", "artist_id")["config"] = {"kind": "bigint", "identity": True}


def add_field(doc):
    _table(doc, "album")["fields"].append(field("album", "released", "date", config={"kind": "date"}))


def drop_field(doc):
    t = _table(doc, "album")
    t["fields"] = [f for f in t["fields"] if f["field_name"] != "price"]
    t["constraints"] = []


def make_required(doc):
    _field(doc, "album", "price")["required"] = True


def change_default(doc):
    _field(doc, "album", "title")["default"] = "No title"
    _field(doc, "album", "format")["default"] = None


def unique_on(doc):
    _field(doc, "artist", "name")["unique"] = True
    _field(doc, "artist", "email")["unique"] = False


def change_choices(doc):
    _field(doc, "album", "format")["config"] = {"choices": ["cd", "vinyl", "tape"]}


def add_index(doc):
    _table(doc, "album")["indexes"].append(
        {"id": "ix2", "name": "album_title_price_idx", "fields": ["album.title", "album.price"], "unique": True}
    )


def rename_index(doc):
    _table(doc, "album")["indexes"][0]["name"] = "album_by_artist"


def add_check(doc):
    _table(doc, "album")["constraints"].append(
        {
            "id": "ck2",
            "name": "album_title_check",
            "kind": "check",
            "fields": ["album.title"],
            "expression": "length(title) > 0",
        }
    )


def change_fk(doc):
    doc["relationships"][0]["on_delete"] = "restrict"
    doc["relationships"][0]["on_update"] = "cascade"


def rename_fk(doc):
    doc["relationships"][0]["name"] = "album_artist_fk"


def drop_table(doc):
    doc["tables"] = [t for t in doc["tables"] if t["table_name"] != "album"]
    doc["relationships"] = []


def add_table_with_self_reference(doc):
    doc["tables"].append(
        table(
            "employee",
            field("employee", "employee_id", "number", config={"kind": "bigint", "identity": True}, required=True),
            field("employee", "reports_to", "number", config={"kind": "bigint"}),
            field("employee", "hired", "date", config={"kind": "timestamptz"}, default="now()", required=True),
            field("employee", "badge", "uuid", default="gen_random_uuid()"),
            field("employee", "meta", "json", default='{"b": 1, "a": [true]}'),
            field("employee", "active", "boolean", default="yes", required=True),
            pk=["employee_id"],
        )
    )
    doc["relationships"].append(
        fk("employee_reports_to_fkey", "employee.reports_to", "employee.employee_id", on_delete="set_null")
    )


def composite_key(doc):
    doc["tables"].append(
        table(
            "playlist_track",
            field("playlist_track", "playlist_id", "number", config={"kind": "integer"}, required=True),
            field("playlist_track", "album_id", "number", config={"kind": "integer"}, required=True),
            pk=["playlist_id", "album_id"],
        )
    )
    doc["relationships"].append(fk("playlist_track_album_id_fkey", "playlist_track.album_id", "album.album_id"))


def change_primary_key(doc):
    t = _table(doc, "album")
    t["primary_key"] = {"name": "album_pkey", "fields": ["album.album_id", "album.artist_id"]}
    doc["relationships"] = []


def comments(doc):
    _table(doc, "album")["description"] = 'Albums, it\'s "quoted"'
    _field(doc, "artist", "name")["description"] = ""


def deleted_status(doc):
    _table(doc, "album")["status"] = "deleted"


CASES = {
    "rename_table": (
        rename_table,
        [
            'ALTER TABLE "{s}"."album" RENAME TO "record";',
            'ALTER TABLE "{s}"."record" RENAME CONSTRAINT "album_pkey" TO "record_pkey";',
        ],
    ),
    "rename_field": (rename_field, ['ALTER TABLE "{s}"."album" RENAME COLUMN "title" TO "name";']),
    "widen_type": (
        widen_type,
        ['ALTER TABLE "{s}"."album" ALTER COLUMN "title" TYPE varchar(300) USING "title"::varchar(300);'],
    ),
    "change_type": (
        change_type,
        ['ALTER TABLE "{s}"."album" ALTER COLUMN "album_id" TYPE bigint USING "album_id"::bigint;'],
    ),
    "add_field": (add_field, ['ALTER TABLE "{s}"."album" ADD COLUMN "released" date;']),
    "drop_field": (
        drop_field,
        [
            'ALTER TABLE "{s}"."album" DROP CONSTRAINT "album_price_check";',
            'ALTER TABLE "{s}"."album" RENAME COLUMN "price" TO "price__kept_d7";',
        ],
    ),
    "make_required": (make_required, ['ALTER TABLE "{s}"."album" ALTER COLUMN "price" SET NOT NULL;']),
    "change_default": (
        change_default,
        [
            'ALTER TABLE "{s}"."album" ALTER COLUMN "title" SET DEFAULT \'No title\'::varchar(160);',
            'ALTER TABLE "{s}"."album" ALTER COLUMN "format" DROP DEFAULT;',
        ],
    ),
    "unique_on": (
        unique_on,
        [
            'ALTER TABLE "{s}"."artist" DROP CONSTRAINT "artist_email_key";',
            'ALTER TABLE "{s}"."artist" ADD CONSTRAINT "artist_name_key" UNIQUE ("name");',
        ],
    ),
    "change_choices": (
        change_choices,
        [
            'ALTER TABLE "{s}"."album" ADD CONSTRAINT "album_format_check" '
            "CHECK (\"format\" IN ('cd', 'vinyl', 'tape'));"
        ],
    ),
    "add_index": (add_index, ['CREATE UNIQUE INDEX "album_title_price_idx" ON "{s}"."album" ("title", "price");']),
    "rename_index": (rename_index, ['ALTER INDEX "{s}"."album_artist_id_idx" RENAME TO "album_by_artist";']),
    "add_check": (
        add_check,
        ['ALTER TABLE "{s}"."album" ADD CONSTRAINT "album_title_check" CHECK (length(title) > 0);'],
    ),
    "change_fk": (
        change_fk,
        [
            'ALTER TABLE "{s}"."album" ADD CONSTRAINT "album_artist_id_fkey" FOREIGN KEY ("artist_id") '
            'REFERENCES "{s}"."artist" ("artist_id") ON DELETE RESTRICT ON UPDATE CASCADE;'
        ],
    ),
    "rename_fk": (
        rename_fk,
        ['ALTER TABLE "{s}"."album" RENAME CONSTRAINT "album_artist_id_fkey" TO "album_artist_fk";'],
    ),
    "drop_table": (
        drop_table,
        ['CREATE SCHEMA IF NOT EXISTS "{s}_kept_d7";', 'ALTER TABLE "{s}"."album" SET SCHEMA "{s}_kept_d7";'],
    ),
    "self_reference": (
        add_table_with_self_reference,
        [
            '"employee_id" bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL',
            '"hired" timestamp with time zone NOT NULL DEFAULT now()',
            "ON DELETE SET NULL ON UPDATE NO ACTION;",
        ],
    ),
    "composite_key": (composite_key, ['CONSTRAINT "playlist_track_pkey" PRIMARY KEY ("playlist_id", "album_id")']),
    "change_primary_key": (
        change_primary_key,
        ['ALTER TABLE "{s}"."album" ADD CONSTRAINT "album_pkey" PRIMARY KEY ("album_id", "artist_id");'],
    ),
    "comments": (
        comments,
        [
            'COMMENT ON TABLE "{s}"."album" IS \'Albums, it\'\'s "quoted"\';',
            'COMMENT ON COLUMN "{s}"."artist"."name" IS NULL;',
        ],
    ),
    "deleted_status": (deleted_status, ['ALTER TABLE "{s}"."album" SET SCHEMA "{s}_kept_d7";']),
}


def _rows(conn, schema):
    conn.execute(
        f'INSERT INTO "{schema}"."artist" (name, email) VALUES (%s, %s), (%s, NULL)', ("AC/DC", "a@x", "Queen")
    )
    conn.execute(
        f'INSERT INTO "{schema}"."album" (album_id, title, artist_id, price) VALUES (1, %s, 1, 9.5), (2, %s, 2, 12)',
        ("Back in Black", "Jazz"),
    )


def _data(conn, schema):
    return conn.execute(
        f'SELECT a.artist_id, a.name, b.album_id, b.title, b.price FROM "{schema}"."artist" a '
        f'JOIN "{schema}"."album" b ON b.artist_id = a.artist_id ORDER BY b.album_id'
    ).fetchall()


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_change_kind_compiles_to_golden_sql_converges_and_rolls_back_with_data(target, case):
    conn, schema = target
    mutate, expected = CASES[case]
    old = music()
    new = copy.deepcopy(old)
    mutate(new)
    new = canonicalize(new)
    first, _ = compile_plan(empty_snapshot(), old, schema=schema, tag="d6")
    run(conn, first)
    _rows(conn, schema)
    before = _data(conn, schema)

    forward, reverse = compile_plan(old, new, schema=schema, tag="d7")
    text = "\n".join(s.sql for s in forward)
    for line in expected:
        assert line.format(s=schema) in text
    assert "CASCADE" not in text.replace("ON DELETE CASCADE", "").replace("ON UPDATE CASCADE", "")
    if case in ("rename_field", "rename_table"):
        assert "ADD COLUMN" not in text and "CREATE TABLE" not in text, "a rename is not drop + add"

    run(conn, forward)
    assert differences(new, introspect(conn, schema)) == []
    run(conn, reverse)
    assert differences(old, introspect(conn, schema)) == []
    assert _data(conn, schema) == before, "rolling back loses no data"


def test_a_rename_is_reported_as_a_rename_not_drop_and_add():
    old = music()
    new = copy.deepcopy(old)
    rename_field(new)
    rename_table(new)
    ops = diff(old, new)
    kinds = [o["op"] for o in ops]
    assert "rename_field" in kinds and "rename_table" in kinds
    assert not {"drop_field", "add_field", "drop_table", "add_table"} & set(kinds)
    assert "Rename field record.title → record.name" in [o["summary"] for o in ops]


def test_user_text_cannot_break_out_of_quoting(target):
    conn, schema = target
    doc = music()
    _table(doc, "album")["description"] = "'); DROP TABLE album; --"
    _field(doc, "album", "title")["default"] = "it's'; DROP TABLE artist; --"
    forward, _ = compile_plan(empty_snapshot(), doc, schema=schema, tag="d1")
    run(conn, forward)
    assert differences(doc, introspect(conn, schema)) == []


def test_check_expression_with_a_statement_is_refused():
    doc = music()
    _table(doc, "album")["constraints"][0]["expression"] = "price > 0); DROP TABLE album; --"
    with pytest.raises(ValueError, match="must not contain ';'"):
        compile_plan(empty_snapshot(), doc, schema="x", tag="d1")


def test_plan_statements_carry_lock_rewrite_and_risk():
    old = music()
    new = copy.deepcopy(old)
    change_type(new)
    make_required(new)
    drop_table(new)
    forward, _ = compile_plan(old, new, schema="s", tag="d2")
    by_sql = {s.sql.split(" USING")[0]: s for s in forward}
    assert any(s.risk == "destructive" and s.impact == {"kind": "rows", "table": "album"} for s in forward)
    widen = compile_plan(music(), canonicalize(_mutated(widen_type)), schema="s", tag="d3")[0][0]
    assert widen.risk == "safe" and not widen.rewrites
    assert by_sql['ALTER TABLE "s"."artist" ALTER COLUMN "artist_id" TYPE bigint'].rewrites


def _mutated(fn):
    doc = music()
    fn(doc)
    return doc
