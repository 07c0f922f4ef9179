"""dbdiagram.io acceptance: Tablewright's DBML export is fed to dbdiagram.io's own parser (@dbml/core, installed
under tests/js by ``make js-deps`` / .ci/run), which is stricter than pydbml. Skips without node or the package,
except with REQUIRE_BROWSER=1 (CI), where that is a failure — like the browser tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from designer.exporters.dbml import to_dbml
from designer.importers.dbml import read_dbml
from designer.importers.sql import read_sql
from designer.schema.snapshot import schema_hash
from tests.test_export_formats import TRICKY_SQL
from tests.test_import_sql import CHINOOK, DATA, SHOP_SQL

JS = Path(__file__).parent / "js"
SCRIPT = JS / "parse_dbml.js"

# Text that needs escaping in DBML: quotes, backslashes, a multi-line note with a triple quote in it.
AWKWARD_SQL = r"""
CREATE TABLE "odd name" (
    id int PRIMARY KEY,
    mood text DEFAULT 'it''s' CHECK (mood IN ('it''s', 'back\slash', 'with space', 'ünï')),
    note text DEFAULT 'a\b''c',
    ratio double precision
);
COMMENT ON TABLE "odd name" IS 'two
lines with ''''''triple'''''' quotes and a \ backslash';
COMMENT ON COLUMN "odd name".note IS 'C:\temp\new';
"""


def dbdiagram_parse(text: str, parser: str = "dbmlv2") -> dict:
    """What @dbml/core makes of ``text`` ({"tables", "groups"}); fails the test with its messages if it refuses."""
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "node is not installed"
    elif not (JS / "node_modules" / "@dbml" / "core").is_dir():
        reason = "@dbml/core is not installed (run `make js-deps`)"
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (REQUIRE_BROWSER=1, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(reason)
    done = subprocess.run([node, str(SCRIPT), parser], input=text, capture_output=True, text=True, timeout=60, cwd=JS)
    assert done.returncode == 0, f"dbdiagram.io's parser ({parser}) refuses the export:\n{done.stderr}\n{text}"
    return json.loads(done.stdout)


@pytest.mark.parametrize("parser", ["dbmlv2", "dbml"])
def test_dbdiagram_accepts_the_chinook_and_every_construct_exports(parser):
    chinook = read_sql(CHINOOK.read_text(encoding="utf-8")).snapshot
    assert sorted(dbdiagram_parse(to_dbml(chinook), parser)["tables"]) == sorted(
        t["table_name"] for t in chinook["tables"]
    )
    for design in (
        read_dbml((DATA / "every_construct.dbml").read_text()).snapshot,
        read_sql(SHOP_SQL).snapshot,
        read_sql(TRICKY_SQL).snapshot,
    ):
        parsed = dbdiagram_parse(to_dbml(design), parser)
        assert set(parsed["tables"]) <= {t["table_name"] for t in design["tables"]}
        assert parsed["tables"], "the tables are there"


def test_dbdiagram_accepts_quotes_and_backslashes_and_they_round_trip():
    design = read_sql(AWKWARD_SQL).snapshot
    text = to_dbml(design)
    assert dbdiagram_parse(text)["tables"] == ["odd_name"]
    back = read_dbml(text).snapshot
    assert back["tables"][0]["description"] == design["tables"][0]["description"]
    assert back["tables"][0]["fields"] == design["tables"][0]["fields"]
    assert schema_hash(back) == schema_hash(design)


@pytest.mark.django_db
def test_dbdiagram_accepts_the_table_groups_and_notes(owner):
    from designer.services.imports import apply_import, with_canvas
    from designer.services.snapshots import project_snapshot

    project = apply_import(read_dbml((DATA / "every_construct.dbml").read_text()), actor=owner, name="Shop")
    text = to_dbml(with_canvas(project, project_snapshot(project)))
    assert "TableGroup sales [color: #" in text and "Note note_1 {" in text
    assert dbdiagram_parse(text)["groups"] == ["sales"]
