"""The deploy target and the live import read PostgreSQL through one introspector: a schema never deployed
to is an empty design for the target and a clear error for an import; columns a deploy kept aside are not
part of the design; a default holding a semicolon reads back as written."""

from __future__ import annotations

import pytest

from designer.importers import ImportSyntaxError
from designer.introspect.postgresql import introspect, introspect_with_report

pytestmark = pytest.mark.postgres


def test_a_schema_never_deployed_to_is_empty_for_the_target_and_an_error_for_an_import(scratch):
    snapshot = introspect(scratch.conn, "never_deployed_here", missing_ok=True)
    assert (snapshot["tables"], snapshot["relationships"], snapshot["warnings"]) == ([], [], [])
    with pytest.raises(ImportSyntaxError, match="The database has no schema 'never_deployed_here'"):
        introspect(scratch.conn, "never_deployed_here")


def test_columns_kept_aside_by_a_deploy_are_not_read_back(scratch):
    schema = scratch.schema()
    scratch.run(
        schema,
        "CREATE TABLE album (id int PRIMARY KEY, title text, price__kept_d7 numeric CHECK (price__kept_d7 > 0));"
        "CREATE INDEX album_price_idx ON album (price__kept_d7);",
    )
    result = introspect_with_report(scratch.conn, schema)
    (album,) = result.snapshot["tables"]
    assert [f["field_name"] for f in album["fields"]] == ["id", "title"]
    assert album["constraints"] == [] and album["indexes"] == []
    assert result.unsupported == []


def test_a_default_with_a_semicolon_in_its_text_reads_back_as_written(scratch):
    schema = scratch.schema()
    scratch.run(schema, "CREATE TABLE note (id int PRIMARY KEY, body text DEFAULT 'it''s; DROP TABLE note; --');")
    (note,) = introspect(scratch.conn, schema)["tables"]
    assert note["fields"][1]["default"] == "it's; DROP TABLE note; --"
