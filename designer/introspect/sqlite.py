"""Read a SQLite database file back into a canonical snapshot.

SQLite keeps each table's and index's ``CREATE`` statement; Tablewright writes them in syntax PostgreSQL's
parser (pglast) also reads, so names of keys and constraints, CHECK expressions and foreign-key actions come
back exactly. Tables and columns kept aside by a deploy (``…__kept_<tag>``) are skipped.

    from designer.introspect.sqlite import introspect
    snapshot = introspect("var/shop.sqlite3")        # or an open sqlite3 connection
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pglast
from django.core.exceptions import ValidationError
from pglast import ast
from pglast.enums import ConstrType
from pglast.stream import RawStream

from designer.ddl.names import choices_name, is_kept_column, unique_name
from designer.importers.builder import ACTIONS
from designer.importers.pgtypes import choices_of, literal, map_type, normalize_expression, parse_expression
from designer.schema import ids
from designer.schema.snapshot import Snapshot, canonicalize
from designer.schema.types import check_default, normalize_type

SQLITE_DEFAULTS = {"CURRENT_TIMESTAMP": "now()", "CURRENT_DATE": "current_date", "CURRENT_TIME": "current_time"}


def introspect(path_or_conn: Any) -> Snapshot:
    if isinstance(path_or_conn, str | Path):
        with sqlite3.connect(path_or_conn) as conn:
            return _read(conn)
    return _read(path_or_conn)


def _read(conn: sqlite3.Connection) -> Snapshot:
    warnings: list[str] = []
    tables: dict[str, dict] = {}
    pending_fks: list[tuple[str, ast.Constraint]] = []
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    for name, text in rows:
        if is_kept_column(name):
            continue
        stmt = pglast.parse_sql(text)[0].stmt
        table = {
            "id": ids.table_id(name),
            "name": name,
            "table_name": name,
            "description": "",
            "status": "active",
            "primary_key": None,
            "fields": [],
            "indexes": [],
            "constraints": [],
        }
        tables[name] = table
        by_name: dict[str, dict] = {}
        for element in stmt.tableElts:
            if isinstance(element, ast.ColumnDef):
                col = element.colname
                if is_kept_column(col):
                    continue
                ctype, _serial = map_type(element.typeName)
                family, config = ctype.family, ctype.config
                if ctype.unsupported:
                    warnings.append(f"{name}.{col}: {ctype.unsupported}")
                field = {
                    "id": ids.field_id(name, col),
                    "name": col,
                    "field_name": col,
                    "data_type": family,
                    "config": config,
                    "required": False,
                    "unique": False,
                    "default": None,
                    "description": "",
                }
                for c in element.constraints or ():
                    if c.contype == ConstrType.CONSTR_NOTNULL:
                        field["required"] = True
                    elif c.contype == ConstrType.CONSTR_DEFAULT:
                        field["default"] = _default(c.raw_expr, family, config)
                table["fields"].append(field)
                by_name[col] = field
        for c in stmt.tableElts:
            if not isinstance(c, ast.Constraint):
                continue
            keys = [k.sval for k in c.keys or ()]
            if any(k not in by_name for k in keys):
                continue  # names a kept-aside column
            if c.contype == ConstrType.CONSTR_PRIMARY:
                table["primary_key"] = {"name": c.conname, "fields": [by_name[k]["id"] for k in keys]}
            elif c.contype == ConstrType.CONSTR_UNIQUE:
                if len(keys) == 1 and c.conname == unique_name(name, keys[0]):
                    by_name[keys[0]]["unique"] = True
                else:
                    table["constraints"].append(
                        {"id": ids.constraint_id(name, c.conname), "name": c.conname, "kind": "unique",
                         "fields": [by_name[k]["id"] for k in keys], "expression": ""}
                    )  # fmt: skip
            elif c.contype == ConstrType.CONSTR_CHECK:
                expression = normalize_expression(RawStream()(c.raw_expr))
                choices = choices_of(parse_expression(expression))
                field = by_name.get(choices[0]) if choices else None
                if field and field["data_type"] == "text" and c.conname == choices_name(name, field["field_name"]):
                    field["config"]["choices"] = choices[1]
                else:
                    table["constraints"].append(
                        {"id": ids.constraint_id(name, c.conname), "name": c.conname, "kind": "check",
                         "fields": [], "expression": expression}
                    )  # fmt: skip
            elif c.contype == ConstrType.CONSTR_FOREIGN:
                pending_fks.append((name, c))
    relationships = []
    for name, c in pending_fks:
        ref = c.pktable.relname
        col, ref_col = c.fk_attrs[0].sval, c.pk_attrs[0].sval
        if ref not in tables or len(c.fk_attrs) != 1:
            warnings.append(f"Foreign key {name}.{c.conname} is composite or names a missing table; not imported.")
            continue
        target = next(f for f in tables[name]["fields"] if f["field_name"] == col)
        source = next((f for f in tables[ref]["fields"] if f["field_name"] == ref_col), None)
        if source is None:
            continue
        relationships.append(
            {"id": ids.relationship_id(c.conname, name), "name": c.conname,
             "type": "one_to_one" if target["unique"] else "one_to_many",
             "source_table": tables[ref]["id"], "source_field": source["id"],
             "target_table": tables[name]["id"], "target_field": target["id"],
             "on_delete": ACTIONS.get(c.fk_del_action, "no_action"),
             "on_update": ACTIONS.get(c.fk_upd_action, "no_action"), "junction_table": None, "status": "active"}
        )  # fmt: skip
    for (text,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall():
        stmt = pglast.parse_sql(text)[0].stmt
        table = tables.get(stmt.relation.relname)
        if table is None:
            continue
        cols = [p.name for p in stmt.indexParams]
        fields = {f["field_name"]: f["id"] for f in table["fields"]}
        if stmt.whereClause is not None or any(c not in fields for c in cols):
            continue
        table["indexes"].append(
            {"id": ids.index_id(table["table_name"], stmt.idxname), "name": stmt.idxname,
             "fields": [fields[c] for c in cols], "unique": bool(stmt.unique)}
        )  # fmt: skip
    snapshot = canonicalize(
        {"format": 1, "project": {"name": "", "slug": "", "description": ""}, "tables": list(tables.values()),
         "relationships": relationships, "layout": {"tables": {}}}
    )  # fmt: skip
    snapshot["warnings"] = warnings
    return snapshot


def _default(node: Any, family: str, config: dict) -> str | None:
    value = literal(node)
    if value is None:
        text = RawStream()(node)
        value = SQLITE_DEFAULTS.get(text.upper(), text.lower())
    try:
        return check_default(normalize_type(family, config), value)
    except ValidationError:
        return value
