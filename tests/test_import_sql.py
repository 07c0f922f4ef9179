"""Reading PostgreSQL DDL into a snapshot: Chinook, every construct, unsupported objects, broken input."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.importers import ImportSyntaxError
from designer.importers.sql import read_sql
from designer.schema import ids
from designer.schema.snapshot import schema_hash, validate_snapshot

DATA = Path(__file__).parent / "data"
CHINOOK = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "chinook" / "chinook-postgresql.sql"
if not CHINOOK.exists():
    CHINOOK = Path("/work/shared/schemas/chinook/chinook-postgresql.sql")


def table(snapshot, name):
    return next(t for t in snapshot["tables"] if t["table_name"] == name)


def field(tbl, name):
    return next(f for f in tbl["fields"] if f["field_name"] == name)


def field_names(tbl, field_ids):
    by_id = {f["id"]: f["field_name"] for f in tbl["fields"]}
    return [by_id[i] for i in field_ids]


@pytest.fixture(scope="module")
def chinook():
    return read_sql(CHINOOK.read_text(encoding="utf-8"))


def test_chinook_from_sql_has_all_eleven_tables_and_nothing_unsupported(chinook):
    assert chinook.table_names == [
        "album", "artist", "customer", "employee", "genre", "invoice",
        "invoice_line", "media_type", "playlist", "playlist_track", "track",
    ]  # fmt: skip
    assert chinook.unsupported == []
    assert validate_snapshot(chinook.snapshot) == []
    assert any("INSERT" in note for note in chinook.notes), "data statements are counted, not silently dropped"


def test_chinook_composite_key_and_self_reference_survive(chinook):
    snap = chinook.snapshot
    playlist_track = table(snap, "playlist_track")
    assert field_names(playlist_track, playlist_track["primary_key"]["fields"]) == ["playlist_id", "track_id"]
    assert playlist_track["primary_key"]["name"] == "playlist_track_pkey"
    reports_to = next(r for r in snap["relationships"] if r["name"] == "employee_reports_to_fkey")
    employee = table(snap, "employee")
    assert reports_to["source_table"] == reports_to["target_table"] == employee["id"]
    assert reports_to["source_field"] == field(employee, "employee_id")["id"]
    assert reports_to["target_field"] == field(employee, "reports_to")["id"]
    assert len(snap["relationships"]) == 11


def test_chinook_types_ids_and_layout(chinook):
    snap = chinook.snapshot
    invoice = table(snap, "invoice")
    assert field(invoice, "total")["config"] == {"kind": "decimal", "precision": 10, "scale": 2}
    assert field(invoice, "invoice_date")["config"] == {"kind": "timestamp"}
    assert field(table(snap, "album"), "title") | {"id": None} == {
        "id": None, "name": "title", "field_name": "title", "data_type": "text", "config": {"max_length": 160},
        "required": True, "unique": False, "default": None, "description": "",
    }  # fmt: skip
    assert invoice["id"] == ids.table_id("invoice")
    assert field(invoice, "total")["id"] == ids.field_id("invoice", "total")
    layout = snap["layout"]["tables"]
    assert set(layout) == {t["id"] for t in snap["tables"]}
    assert (
        layout[table(snap, "artist")["id"]]["x"]
        < layout[table(snap, "album")["id"]]["x"]
        < layout[table(snap, "track")["id"]]["x"]
    ), "referenced tables sit left of the tables that point at them"


def test_reading_chinook_twice_gives_the_same_hash(chinook):
    again = read_sql(CHINOOK.read_text(encoding="utf-8"))
    assert schema_hash(again.snapshot) == schema_hash(chinook.snapshot)


SHOP_SQL = """
CREATE TYPE order_status AS ENUM ('pending', 'shipped');
CREATE TABLE customer (
    id bigserial PRIMARY KEY,
    email varchar(200) NOT NULL UNIQUE,
    nickname text DEFAULT 'anon'::text,
    score numeric(5,2) DEFAULT 0 CHECK (score >= 0),
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    token uuid DEFAULT gen_random_uuid(),
    settings jsonb DEFAULT '{}'::jsonb,
    balance integer DEFAULT -1
);
CREATE TABLE "order" (
    id integer GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL REFERENCES customer ON DELETE CASCADE,
    status order_status NOT NULL DEFAULT 'pending',
    kind text CONSTRAINT order_kind_check CHECK (kind IN ('web', 'shop')),
    placed_on date,
    CONSTRAINT order_pk PRIMARY KEY (id),
    CONSTRAINT order_customer_day UNIQUE (customer_id, placed_on),
    CHECK (placed_on > '2000-01-01')
);
ALTER TABLE ONLY "order" ADD CONSTRAINT order_placed_on_key UNIQUE (placed_on);
CREATE UNIQUE INDEX order_status_day_idx ON "order" USING btree (status, placed_on);
COMMENT ON TABLE customer IS 'People who buy';
COMMENT ON COLUMN customer.email IS 'Login address';
"""


def test_sql_import_reads_keys_defaults_checks_enums_and_comments():
    result = read_sql(SHOP_SQL)
    snap = result.snapshot
    customer = table(snap, "customer")
    assert customer["description"] == "People who buy"
    assert field(customer, "email") | {"id": None} == {
        "id": None, "name": "email", "field_name": "email", "data_type": "text", "config": {"max_length": 200},
        "required": True, "unique": True, "default": None, "description": "Login address",
    }  # fmt: skip
    assert field(customer, "id")["config"] == {"kind": "bigint", "identity": True}
    columns = ("nickname", "score", "created_at", "token", "settings", "balance")
    assert [field(customer, n)["default"] for n in columns] == [
        "anon", "0", "current_timestamp", "gen_random_uuid()", "{}", "-1",
    ]  # fmt: skip
    assert [(c["name"], c["expression"]) for c in customer["constraints"]] == [("customer_score_check", "score >= 0")]

    # "order" is a reserved word: imported under a valid name, and the rename is reported
    order = table(snap, "order_")
    assert any("'order'" in n and "order_" in n for n in result.notes)
    assert order["primary_key"]["name"] == "order_pk"
    assert field(order, "id")["config"] == {"kind": "integer", "identity": True}
    assert field(order, "status")["config"] == {"choices": ["pending", "shipped"]}
    assert field(order, "status")["default"] == "pending"
    assert field(order, "kind")["config"] == {"choices": ["web", "shop"]}, "a column IN-list check is a list of choices"
    assert field(order, "placed_on")["unique"] is True, "a single-column constraint with the default name"
    kinds = {(c["name"], c["kind"]) for c in order["constraints"]}
    assert kinds == {("order_customer_day", "unique"), ("order_placed_on_check", "check")}
    assert [(i["name"], i["unique"]) for i in order["indexes"]] == [("order_status_day_idx", True)]
    (fk,) = snap["relationships"]
    assert (fk["name"], fk["on_delete"], fk["type"]) == ("order_customer_id_fkey", "cascade", "one_to_many")
    assert fk["source_field"] == field(customer, "id")["id"]


# What tests/data/unsupported.sql holds that the model cannot, as both the SQL and the live reader name it.
UNSUPPORTED_IN_EVERY_READER = {
    ("domain", "positive_int"),
    ("sequence", "ticket_seq"),
    ("column type", "person.tags"),
    ("column type", "person.address"),
    ("generated column", "person.name_upper"),
    ("partitioned table", "measurement"),
    ("partition", "measurement_2024"),
    ("foreign key", "pair_ref.pair_ref_pair_fkey"),
    ("expression index", "person.person_lower_name_idx"),
    ("partial index", "person.person_adult_idx"),
    ("view", "adults"),
    ("materialized view", "person_count"),
    ("function", "touch()"),
    ("trigger", "person_touch on person"),
}


def test_every_object_the_model_cannot_hold_is_named_in_the_report():
    result = read_sql((DATA / "unsupported.sql").read_text())
    named = {(u.kind, u.name) for u in result.unsupported}
    assert named >= {("extension", "pgcrypto")} | UNSUPPORTED_IN_EVERY_READER, named
    person = table(result.snapshot, "person")
    assert field(person, "age")["config"] == {"kind": "integer"}, "a domain column gets the domain's base type"
    assert field(person, "feeling")["config"] == {"choices": ["happy", "sad"]}
    assert field(person, "tags")["data_type"] == "text"
    assert "measurement_2024" not in result.table_names
    details = {u.name: u.detail for u in result.unsupported}
    assert "imported as text" in details["person.tags"]


@pytest.mark.parametrize(
    ("sql", "line", "column", "message"),
    [
        ("CREATE TABLE a (\n  id int,\n  name text\n  email text\n);", 4, 3, "syntax error at 'email'"),
        ("CREATE TABLE a (\n  id int,\n  name varchar(20\n);", 4, 2, "syntax error at ';'"),
        ("CREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int", 4, 9, "end of input"),
        ("CREATE TABLE a (id int);\nCREAT TABLE b (id int);", 2, 1, "syntax error at 'CREAT'"),
        ("CREATE TABLE a (id int);\n\nALTER TABLE b ADD CONSTRAINT b_pk PRIMARY KEY (id);", 3, 1, "names table 'b'"),
        ("CREATE TABLE a (id int);\nCREATE INDEX a_x_idx ON missing (x);", 2, 1, "which was not created earlier"),
        ("CREATE TABLE a (id int);\nCREATE TABLE a (id int);", 2, 1, "Table 'a' is created twice"),
    ],
)
def test_broken_sql_is_reported_with_line_and_what_is_wrong(sql, line, column, message):
    with pytest.raises(ImportSyntaxError) as caught:
        read_sql(sql)
    error = caught.value
    if line is not None:
        assert (error.line, error.column) == (line, column)
        assert error.messages[0].startswith(f"Line {line}, column {column}: ")
    assert message in error.messages[0]


def test_references_to_missing_tables_or_non_keys_are_reported_not_fatal():
    result = read_sql(
        "CREATE TABLE a (id int PRIMARY KEY, code int, b_id int REFERENCES b (id));\n"
        "CREATE TABLE c (id int PRIMARY KEY, a_code int REFERENCES a (code));"
    )
    assert result.snapshot["relationships"] == []
    details = {u.name: u.detail for u in result.unsupported}
    assert "not part of this import" in details["a.a_b_id_fkey"]
    assert "not a primary key or unique column" in details["c.c_a_code_fkey"]


PASCAL_SQL = """
CREATE TABLE "Artist" ("ArtistId" int PRIMARY KEY, "Name" varchar(120) CHECK ("Name" <> ''));
CREATE TABLE "Album" (
    "AlbumId" int CONSTRAINT "PK_Album" PRIMARY KEY,
    "ArtistId" int NOT NULL,
    "Title" text UNIQUE,
    CONSTRAINT "FK_AlbumArtistId" FOREIGN KEY ("ArtistId") REFERENCES "Artist" ("ArtistId")
);
CREATE INDEX "IFK_AlbumArtistId" ON "Album" ("ArtistId");
"""


def test_quoted_pascal_case_names_are_imported_in_snake_case_and_each_rename_is_noted():
    result = read_sql(PASCAL_SQL)
    snap = result.snapshot
    album, artist = table(snap, "album"), table(snap, "artist")
    assert [f["field_name"] for f in album["fields"]] == ["album_id", "artist_id", "title"]
    assert album["primary_key"]["name"] == "pk_album"
    assert [i["name"] for i in album["indexes"]] == ["ifk_album_artist_id"]
    assert field(album, "title")["unique"] is True
    assert [(c["name"], c["expression"]) for c in artist["constraints"]] == [("artist_name_check", "name <> ''")]
    assert [r["name"] for r in snap["relationships"]] == ["fk_album_artist_id"]
    assert any("'FK_AlbumArtistId'" in n and "'fk_album_artist_id'" in n for n in result.notes)
    assert result.unsupported == []


def test_scripts_that_drop_recreate_and_rename_are_read_as_postgresql_would_run_them():
    result = read_sql(
        "DROP TABLE IF EXISTS a;\n"
        "CREATE TABLE a (id int PRIMARY KEY);\n"
        "CREATE TABLE IF NOT EXISTS a (id int PRIMARY KEY, extra text);\n"
        "CREATE TABLE scratch (id int PRIMARY KEY, a_id int REFERENCES a);\n"
        "DROP TABLE scratch;\n"
        "ALTER TABLE a RENAME COLUMN id TO a_id;\n"
    )
    assert result.table_names == ["a"]
    assert [f["field_name"] for f in result.snapshot["tables"][0]["fields"]] == ["id"]
    assert result.snapshot["relationships"] == []
    assert [(u.kind, u.name) for u in result.unsupported] == [("rename", "a.id → a_id")]
    assert any("scratch is created and then dropped" in n for n in result.notes)


ENUM_CHANGES_SQL = """
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE person (id int PRIMARY KEY, mood mood NOT NULL DEFAULT 'sad', old mood);
ALTER TYPE mood ADD VALUE 'ecstatic';
ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'sad';
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok';
ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';
"""


def test_alter_type_adds_and_renames_enum_values_on_columns_already_of_that_type():
    (table,) = read_sql(ENUM_CHANGES_SQL).snapshot["tables"]
    mood, old = table["fields"][1], table["fields"][2]
    assert mood["config"]["choices"] == ["blue", "meh", "ok", "happy", "ecstatic"]
    assert old["config"]["choices"] == mood["config"]["choices"]
    assert mood["default"] == "blue", "a renamed value renames the default that used it"


@pytest.mark.parametrize(
    "statement, message",
    [
        (
            "ALTER TYPE mood ADD VALUE 'happy';",
            "Enum mood already has a value 'happy' (write ADD VALUE IF NOT EXISTS).",
        ),
        ("ALTER TYPE mood ADD VALUE 'x' AFTER 'nope';", "Enum mood has no value 'nope' to add 'x' after."),
        ("ALTER TYPE mood RENAME VALUE 'nope' TO 'x';", "Enum mood has no value 'nope' to rename"),
        ("ALTER TYPE feeling ADD VALUE 'x';", "ALTER TYPE names enum 'feeling', which was not created earlier"),
    ],
)
def test_an_impossible_alter_type_is_reported_with_its_line(statement, message):
    with pytest.raises(ImportSyntaxError) as caught:
        read_sql("CREATE TYPE mood AS ENUM ('sad', 'happy');\n\n" + statement)
    assert caught.value.line == 3
    assert message in caught.value.reason


INDEX_OPTIONS = {
    ("constraint option", "author.author_email_key", "NULLS NOT DISTINCT is not held; imported with NULLS DISTINCT"),
    ("constraint option", "author.author_name_key", "INCLUDE (born) is not held; imported without them"),
    ("constraint option", "author.author_name_key", "DEFERRABLE is not held; imported as NOT DEFERRABLE"),
    ("constraint option", "tag.tag_pkey", "DEFERRABLE INITIALLY DEFERRED is not held; imported as NOT DEFERRABLE"),
    ("constraint option", "book.book_author_id_fkey", "MATCH FULL is not held; imported as MATCH SIMPLE"),
    ("constraint option", "book.book_pkey", "INCLUDE (title) is not held; imported without them"),
    ("constraint option", "book.book_editor_fkey", "NOT VALID is not held; imported as a validated constraint"),
    ("constraint option", "book.book_pages_check", "NOT VALID is not held; imported as a validated constraint"),
    (
        "constraint option",
        "book.book_deferred_fkey",
        "DEFERRABLE INITIALLY DEFERRED is not held; imported as NOT DEFERRABLE",
    ),
    ("index option", "book.book_title_idx", "INCLUDE (pages) is not held; imported without them"),
    (
        "index option",
        "book.book_sorted_idx",
        "sort order pages DESC, title NULLS FIRST, author_id DESC NULLS LAST is not held; "
        "imported ascending, nulls last",
    ),
    (
        "index option",
        "book.book_pattern_idx",
        "operator class text_pattern_ops on title is not held; imported with the default",
    ),
    ("index option", "book.book_pages_key_idx", "NULLS NOT DISTINCT is not held; imported with NULLS DISTINCT"),
    ("index option", "book.book_plain_idx", "sort order title DESC is not held; imported ascending, nulls last"),
}


def test_index_and_constraint_options_the_design_cannot_hold_are_each_named():
    result = read_sql((DATA / "index_options.sql").read_text())
    assert {(u.kind, u.name, u.detail) for u in result.unsupported} == INDEX_OPTIONS
    book = table(result.snapshot, "book")
    by_name = {
        i["name"]: [f["field_name"] for fid in i["fields"] for f in book["fields"] if f["id"] == fid]
        for i in book["indexes"]
    }
    assert by_name["book_title_idx"] == ["title"], "INCLUDE columns are not key columns"
    assert by_name["book_sorted_idx"] == ["pages", "title", "author_id"]
    assert [f["field_name"] for f in book["fields"] if f["id"] in book["primary_key"]["fields"]] == ["id"]
