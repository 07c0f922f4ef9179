"""Reading a live PostgreSQL schema: Chinook from the database equals Chinook from the file; DDL export
deployed and read back is the same design; every object the model cannot hold is named."""

from __future__ import annotations

import psycopg
import pytest

from designer.exporters.ddl import to_postgresql
from designer.importers import ImportSyntaxError
from designer.importers.sql import read_sql
from designer.introspect.postgresql import introspect, introspect_with_report
from designer.schema.snapshot import hashed_part, schema_hash
from tests.pg_scratch import deploy_url, scratch  # noqa: F401 - fixture
from tests.test_import_sql import CHINOOK, DATA, SHOP_SQL, UNSUPPORTED_IN_EVERY_READER

pytestmark = pytest.mark.postgres


def test_chinook_from_the_live_database_equals_chinook_from_the_sql_file(scratch):  # noqa: F811
    text = CHINOOK.read_text(encoding="utf-8")
    schema = scratch.schema()
    scratch.run(schema, text)
    live = introspect_with_report(scratch.conn, schema)
    from_file = read_sql(text)
    assert live.unsupported == []
    assert len(live.snapshot["tables"]) == 11
    assert hashed_part(live.snapshot) == hashed_part(from_file.snapshot)
    assert schema_hash(live.snapshot) == schema_hash(from_file.snapshot)


def test_chinook_exported_deployed_to_a_fresh_schema_and_read_back_is_the_same(scratch):  # noqa: F811
    design = read_sql(CHINOOK.read_text(encoding="utf-8")).snapshot
    schema = scratch.schema()
    scratch.run(schema, to_postgresql(design))
    assert schema_hash(introspect(scratch.conn, schema)) == schema_hash(design)


def test_a_design_with_every_construct_survives_ddl_export_and_live_import(scratch):  # noqa: F811
    design = read_sql(SHOP_SQL).snapshot
    schema = scratch.schema()
    scratch.run(schema, to_postgresql(design))
    back = introspect(scratch.conn, schema)
    assert back["tables"] == design["tables"]
    assert back["relationships"] == design["relationships"]


def test_the_same_sql_from_a_file_and_from_the_database_agree_on_defaults_checks_and_enums(scratch):  # noqa: F811
    schema = scratch.schema()
    scratch.run(schema, SHOP_SQL)
    live = introspect_with_report(scratch.conn, schema)
    from_file = read_sql(SHOP_SQL)
    assert live.snapshot["tables"] == from_file.snapshot["tables"]
    assert schema_hash(live.snapshot) == schema_hash(from_file.snapshot)


def test_every_object_the_model_cannot_hold_is_named_in_the_live_report(scratch):  # noqa: F811
    schema = scratch.schema()
    scratch.run(schema, (DATA / "unsupported.sql").read_text())
    result = introspect_with_report(scratch.conn, schema)
    named = {(u.kind, u.name) for u in result.unsupported}
    assert named >= UNSUPPORTED_IN_EVERY_READER, named
    assert ("sequence", "person_id_seq") not in named, "an identity column's own sequence is not an extra object"
    from_file = read_sql((DATA / "unsupported.sql").read_text())
    assert schema_hash(result.snapshot) == schema_hash(from_file.snapshot)


def test_unknown_schema_and_bad_url_get_clear_messages(scratch):  # noqa: F811
    with pytest.raises(ImportSyntaxError, match="The database has no schema 'nope'. Schemas there: .*public"):
        introspect(deploy_url(), "nope")
    with pytest.raises(ImportSyntaxError, match="Cannot connect to the database"):
        introspect("postgresql://postgres@127.0.0.1:1/none", "public")


def test_reading_a_schema_takes_a_constant_number_of_queries(scratch):  # noqa: F811
    small, large = scratch.schema(), scratch.schema()
    scratch.run(small, "CREATE TABLE a (id int PRIMARY KEY);")
    scratch.run(large, "".join(f"CREATE TABLE t{n} (id int PRIMARY KEY, x text UNIQUE);" for n in range(40)))
    executed: list[str] = []

    class Counting(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            executed.append(query)
            return super().execute(query, params, **kwargs)

    scratch.conn.cursor_factory = Counting
    counts = []
    for schema in (small, large):
        executed.clear()
        snapshot = introspect(scratch.conn, schema)
        counts.append(len(executed))
    assert len(snapshot["tables"]) == 40
    assert counts[0] == counts[1] == 7  # six catalog reads and the SET LOCAL that keeps them off parallel workers


@pytest.mark.parametrize("source", ["chinook", "shop", "unsupported", "index_options"])
def test_a_pg_dump_of_a_schema_reads_like_the_live_schema(scratch, source):  # noqa: F811
    import shutil
    import subprocess

    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is needed (Debian package postgresql-client)")
    text = {
        "chinook": CHINOOK.read_text(encoding="utf-8"),
        "shop": SHOP_SQL,
        "unsupported": (DATA / "unsupported.sql").read_text(),
        "index_options": (DATA / "index_options.sql").read_text(),
    }[source]
    schema = scratch.schema()
    scratch.run(schema, text)
    dump = subprocess.run(
        ["pg_dump", "--schema-only", f"--schema={schema}", deploy_url()], capture_output=True, text=True, check=True
    ).stdout
    from_dump = read_sql(dump, schema=schema)
    live = introspect_with_report(scratch.conn, schema)
    assert schema_hash(from_dump.snapshot) == schema_hash(live.snapshot)
    not_dumped = {("extension", "pgcrypto")}  # pg_dump --schema leaves extensions out
    assert {(u.kind, u.name) for u in from_dump.unsupported} == {
        (u.kind, u.name) for u in live.unsupported
    } - not_dumped


def test_quoted_pascal_case_names_read_the_same_from_the_database(scratch):  # noqa: F811
    from tests.test_import_sql import PASCAL_SQL

    schema = scratch.schema()
    scratch.run(schema, PASCAL_SQL)
    assert schema_hash(introspect(scratch.conn, schema)) == schema_hash(read_sql(PASCAL_SQL).snapshot)


def test_an_enum_is_read_from_its_own_schema_when_another_schema_has_one_of_the_same_name(scratch):  # noqa: F811
    first, second = scratch.schema(), scratch.schema()
    scratch.run(first, "CREATE TYPE mood AS ENUM ('ok', 'meh'); CREATE TABLE t (id int PRIMARY KEY, m mood);")
    scratch.run(second, "CREATE TYPE mood AS ENUM ('up', 'down'); CREATE TABLE t (id int PRIMARY KEY, m mood);")
    for schema, labels in ((first, ["ok", "meh"]), (second, ["up", "down"])):
        (table,) = introspect(scratch.conn, schema)["tables"]
        assert table["fields"][1]["config"] == {"choices": labels}


def test_enum_values_added_by_alter_type_read_the_same_from_the_file_and_the_database(scratch):  # noqa: F811
    from tests.test_import_sql import ENUM_CHANGES_SQL

    schema = scratch.schema()
    scratch.run(schema, ENUM_CHANGES_SQL)
    live = introspect_with_report(scratch.conn, schema).snapshot
    from_file = read_sql(ENUM_CHANGES_SQL).snapshot
    assert live["tables"] == from_file["tables"]
    assert live["tables"][0]["fields"][1]["config"]["choices"] == ["blue", "meh", "ok", "happy", "ecstatic"]


def test_live_import_names_index_and_constraint_options_like_the_sql_reader(scratch):  # noqa: F811
    from tests.test_import_sql import INDEX_OPTIONS

    text = (DATA / "index_options.sql").read_text()
    schema = scratch.schema()
    scratch.run(schema, text)
    live = introspect_with_report(scratch.conn, schema)
    assert {(u.kind, u.name, u.detail) for u in live.unsupported} == INDEX_OPTIONS
    assert live.snapshot["tables"] == read_sql(text).snapshot["tables"], "INCLUDE columns are not read as keys"
