"""Property: any sequence of design edits deploys with convergence at every step, and rolling all of it back
(each step's reverse SQL, newest first) returns the database to every earlier design, down to empty."""

from __future__ import annotations

import copy
import itertools

import psycopg
import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from designer.ddl.postgresql import compile_plan
from designer.introspect.compare import differences
from designer.introspect.postgresql import introspect
from designer.schema.snapshot import canonicalize, empty_snapshot, validate_snapshot

from .conftest import drop_schema_and_kept, run

pytestmark = pytest.mark.postgres

TYPES = [
    ("text", {}),
    ("text", {"max_length": 40}),
    ("text", {"choices": ["a", "b"]}),
    ("number", {"kind": "integer"}),
    ("number", {"kind": "bigint"}),
    ("number", {"kind": "decimal", "precision": 8, "scale": 2}),
    ("boolean", {}),
    ("date", {"kind": "date"}),
    ("date", {"kind": "timestamptz"}),
    ("json", {}),
    ("uuid", {}),
]
DEFAULTS = {"text": "x", "number": "1", "boolean": "true", "date": None, "json": "{}", "uuid": None}
NAMES = ["alpha", "beta", "gamma", "delta", "omega"]
counter = itertools.count()


def _free(names, taken):
    return [n for n in names if n not in taken]


def edit(doc: dict, data) -> dict:
    doc = copy.deepcopy(doc)
    tables = doc["tables"]
    kinds = ["add_table"]
    if tables:
        kinds += ["drop_table", "rename_table", "add_field", "drop_field", "rename_field", "alter_field",
                  "add_fk", "drop_fk", "add_index", "drop_index", "describe"]  # fmt: skip
    kind = data.draw(st.sampled_from(kinds), label="edit")
    n = next(counter)
    taken = {t["table_name"] for t in tables}
    if kind == "add_table":
        free = _free(NAMES, taken)
        if not free:
            return doc
        name = data.draw(st.sampled_from(free), label="table")
        tid = f"t{n}"
        tables.append(
            {
                "id": tid, "name": name, "table_name": name, "description": "", "status": "draft",
                "primary_key": {"name": f"{name}_pkey", "fields": [f"{tid}.id"]},
                "fields": [{"id": f"{tid}.id", "name": "id", "field_name": "id", "data_type": "number",
                            "config": {"kind": "integer", "identity": data.draw(st.booleans())}, "required": True,
                            "unique": False, "default": None, "description": ""}],
                "indexes": [], "constraints": [],
            }
        )  # fmt: skip
        return doc
    table = data.draw(st.sampled_from(tables), label="on table")
    fk_fields = {r["target_field"] for r in doc["relationships"]} | {r["source_field"] for r in doc["relationships"]}
    others = [f for f in table["fields"] if f["field_name"] != "id"]
    if kind == "drop_table":
        tables.remove(table)
        doc["relationships"] = [
            r for r in doc["relationships"] if table["id"] not in (r["source_table"], r["target_table"])
        ]
    elif kind == "rename_table":
        free = _free(NAMES, taken)
        if free:
            table["table_name"] = table["name"] = data.draw(st.sampled_from(free))
            table["primary_key"]["name"] = f"{table['table_name']}_pkey"
    elif kind == "add_field":
        free = _free([f"f{i}" for i in range(6)], {f["field_name"] for f in table["fields"]})
        if free:
            family, config = data.draw(st.sampled_from(TYPES), label="type")
            required = data.draw(st.booleans(), label="required")
            default = DEFAULTS[family] if data.draw(st.booleans(), label="default") else None
            if config.get("choices") and default:
                default = "a"
            table["fields"].append(
                {"id": f"{table['id']}.f{n}", "name": free[0], "field_name": free[0], "data_type": family,
                 "config": dict(config), "required": required, "unique": data.draw(st.booleans(), label="unique"),
                 "default": default, "description": ""}
            )  # fmt: skip
    elif kind in ("drop_field", "rename_field", "alter_field") and others:
        f = data.draw(st.sampled_from(others), label="field")
        if kind == "drop_field" and f["id"] not in fk_fields:
            table["fields"].remove(f)
            table["indexes"] = [i for i in table["indexes"] if f["id"] not in i["fields"]]
        elif kind == "rename_field":
            free = _free([f"f{i}" for i in range(6)], {x["field_name"] for x in table["fields"]})
            if free:
                f["field_name"] = f["name"] = free[-1]
        elif kind == "alter_field":
            what = data.draw(st.sampled_from(["required", "unique", "default", "widen", "describe"]))
            if what == "required":
                f["required"] = not f["required"]
            elif what == "unique" and f["id"] not in fk_fields:
                f["unique"] = not f["unique"]
            elif what == "default":
                f["default"] = None if f["default"] else DEFAULTS[f["data_type"]]
                if f["config"].get("choices") and f["default"]:
                    f["default"] = "b"
            elif what == "widen" and f["config"].get("max_length"):
                f["config"]["max_length"] += 10
            elif what == "describe":
                f["description"] = "" if f["description"] else f"about {f['field_name']}"
    elif kind == "add_fk":
        source = data.draw(st.sampled_from(tables), label="references")
        free = _free([f"f{i}" for i in range(6)], {f["field_name"] for f in table["fields"]})
        if free:
            fid = f"{table['id']}.r{n}"
            table["fields"].append(
                {"id": fid, "name": free[0], "field_name": free[0], "data_type": "number",
                 "config": {"kind": "integer"}, "required": False, "unique": False, "default": None,
                 "description": ""}
            )  # fmt: skip
            doc["relationships"].append(
                {"id": f"r{n}", "name": f"fk_{n}", "type": "one_to_many", "source_table": source["id"],
                 "source_field": f"{source['id']}.id", "target_table": table["id"], "target_field": fid,
                 "on_delete": data.draw(st.sampled_from(["no_action", "cascade", "set_null"])),
                 "on_update": "no_action", "junction_table": None, "status": "draft"}
            )  # fmt: skip
    elif kind == "drop_fk" and doc["relationships"]:
        doc["relationships"].remove(data.draw(st.sampled_from(doc["relationships"])))
    elif kind == "add_index":
        f = data.draw(st.sampled_from(table["fields"]), label="indexed")
        table["indexes"].append({"id": f"i{n}", "name": f"ix_{n}", "fields": [f["id"]], "unique": False})
    elif kind == "drop_index" and table["indexes"]:
        table["indexes"].pop()
    elif kind == "describe":
        table["description"] = "" if table["description"] else "a 'described' table"
    return canonicalize(doc)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_edit_sequences_converge_and_roll_back_to_the_start(data):
    schema = f"prop_{next(counter)}"
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema)
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            history = [empty_snapshot()]
            reverses = []
            for step in range(data.draw(st.integers(min_value=1, max_value=8), label="steps")):
                new = edit(history[-1], data)
                assert validate_snapshot(new) == []
                forward, reverse = compile_plan(history[-1], new, schema=schema, tag=f"d{step}")
                run(conn, forward)
                assert differences(new, introspect(conn, schema)) == [], [s.sql for s in forward]
                history.append(new)
                reverses.append(reverse)
            while reverses:
                run(conn, reverses.pop())
                history.pop()
                assert differences(history[-1], introspect(conn, schema)) == []
        finally:
            drop_schema_and_kept(conn, schema)
