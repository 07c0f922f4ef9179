"""Read a live PostgreSQL schema back into a canonical snapshot.

Public API (also used by "import from a live database")::

    from designer.introspect.postgresql import introspect
    snapshot = introspect("postgres://user@host/db", "public")     # or an open psycopg connection

Ids are name-derived (``designer.schema.ids``), so reading the same schema twice gives the same snapshot
and ``schema_hash``. What maps back: tables and their comments; columns with type family/options, NOT
NULL, typed defaults (canonicalised like the designer does), identity, comments; primary keys (composite
too); single-column foreign keys with ON DELETE/UPDATE; UNIQUE and CHECK constraints (a single-column
UNIQUE named ``<table>_<column>_key`` becomes the field's ``unique`` flag, a CHECK named
``<table>_<column>_check`` of the form ``column IN (…)`` becomes the field's ``choices``); plain b-tree
indexes on columns. What does not (listed in ``snapshot["warnings"]``, not hashed): types outside the
designer's families (read as text), expression or partial indexes, composite foreign keys. Columns
renamed aside by a deploy (``…__kept_<tag>``) are skipped.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pglast
import pglast.visitors
from django.core.exceptions import ValidationError
from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType
from pglast.stream import RawStream

from designer.ddl.names import choices_name, is_kept_column, unique_name
from designer.schema import ids
from designer.schema.snapshot import Snapshot, canonicalize
from designer.schema.types import check_default, normalize_type

ACTIONS = {"a": "no_action", "r": "restrict", "c": "cascade", "n": "set_null", "d": "set_default"}

_TABLES = """
SELECT c.oid, c.relname, coalesce(obj_description(c.oid, 'pg_class'), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""
_COLUMNS = """
SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
       pg_get_expr(d.adbin, d.adrelid), coalesce(col_description(a.attrelid, a.attnum), '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_CONSTRAINTS = """
SELECT con.conrelid, con.conname, con.contype, con.conkey, con.confrelid, con.confkey,
       con.confdeltype, con.confupdtype, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'c', 'f') AND con.conrelid <> 0
ORDER BY con.conrelid, con.conname
"""
_INDEXES = """
SELECT i.indrelid, ic.relname, i.indisunique, i.indkey::int2[], i.indexprs IS NOT NULL, i.indpred IS NOT NULL,
       am.amname
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam
WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname
"""


def introspect(url_or_conn: Any, schema: str = "public") -> Snapshot:
    """The live schema ``schema`` of a PostgreSQL database as a canonical snapshot (with ``warnings``)."""
    if isinstance(url_or_conn, str):
        import psycopg

        url = url_or_conn.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            return _read(conn, schema)
    return _read(url_or_conn, schema)


def schema_exists(conn: Any, schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


def _read(conn: Any, schema: str) -> Snapshot:
    warnings: list[str] = []
    tables: dict[int, dict] = {}
    for oid, name, comment in conn.execute(_TABLES, (schema,)).fetchall():
        tables[oid] = {
            "id": ids.table_id(name),
            "name": name,
            "table_name": name,
            "description": comment,
            "status": "active",
            "primary_key": None,
            "fields": [],
            "indexes": [],
            "constraints": [],
        }
    columns: dict[tuple[int, int], dict] = {}
    for relid, num, name, typ, notnull, identity, default, comment in conn.execute(_COLUMNS, (schema,)).fetchall():
        table = tables.get(relid)
        if table is None or is_kept_column(name):
            continue
        family, config = _family(typ, warnings, f"{table['table_name']}.{name}")
        if identity or (default or "").startswith("nextval("):
            if config.get("kind") in ("smallint", "integer", "bigint"):
                config["identity"] = True
            default = None
        field = {
            "id": ids.field_id(table["table_name"], name),
            "name": name,
            "field_name": name,
            "data_type": family,
            "config": config,
            "required": bool(notnull),
            "unique": False,
            "default": _default(default, family, config, warnings, f"{table['table_name']}.{name}"),
            "description": comment,
        }
        table["fields"].append(field)
        columns[(relid, num)] = field

    relationships = []
    for relid, name, kind, keys, frelid, fkeys, on_delete, on_update, definition in conn.execute(
        _CONSTRAINTS, (schema,)
    ).fetchall():
        table = tables.get(relid)
        if table is None:
            continue
        tname = table["table_name"]
        key_fields = [columns.get((relid, k)) for k in keys or []]
        if None in key_fields:
            continue  # names a kept-aside column
        if kind == "p":
            table["primary_key"] = {"name": name, "fields": [f["id"] for f in key_fields]}
        elif kind == "u":
            if len(key_fields) == 1 and name == unique_name(tname, key_fields[0]["field_name"]):
                key_fields[0]["unique"] = True
            else:
                table["constraints"].append(
                    {
                        "id": ids.constraint_id(tname, name),
                        "name": name,
                        "kind": "unique",
                        "fields": [f["id"] for f in key_fields],
                        "expression": "",
                    }
                )
        elif kind == "c":
            expression = normalize_expression(definition[len("CHECK ") :].removesuffix(" NOT VALID"))
            choices = _choices(expression)
            field = next((f for f in table["fields"] if choices and f["field_name"] == choices[0]), None)
            if field and field["data_type"] == "text" and name == choices_name(tname, field["field_name"]):
                field["config"]["choices"] = choices[1]
            else:
                table["constraints"].append(
                    {
                        "id": ids.constraint_id(tname, name),
                        "name": name,
                        "kind": "check",
                        "fields": [f["id"] for f in key_fields if f["field_name"] in expression],
                        "expression": expression,
                    }
                )
        elif kind == "f":
            ref_table = tables.get(frelid)
            if ref_table is None or len(keys) != 1 or len(fkeys) != 1:
                warnings.append(f"Foreign key {tname}.{name} is composite or leaves the schema; not imported.")
                continue
            ref_field = columns.get((frelid, fkeys[0]))
            if ref_field is None:
                continue
            relationships.append(
                {
                    "id": ids.relationship_id(name, tname),
                    "name": name,
                    "type": "one_to_one" if key_fields[0]["unique"] else "one_to_many",
                    "source_table": ref_table["id"],
                    "source_field": ref_field["id"],
                    "target_table": table["id"],
                    "target_field": key_fields[0]["id"],
                    "on_delete": ACTIONS.get(on_delete, "no_action"),
                    "on_update": ACTIONS.get(on_update, "no_action"),
                    "junction_table": None,
                    "status": "active",
                }
            )
    for rel in relationships:  # unique flags may be read after the foreign key
        field = next(f for t in tables.values() for f in t["fields"] if f["id"] == rel["target_field"])
        rel["type"] = "one_to_one" if field["unique"] else "one_to_many"

    for relid, name, unique, keys, has_exprs, has_pred, method in conn.execute(_INDEXES, (schema,)).fetchall():
        table = tables.get(relid)
        if table is None:
            continue
        key_fields = [columns.get((relid, k)) for k in keys]
        if has_exprs or has_pred or method != "btree" or None in key_fields:
            if not any(is_kept_column(n) for n in [name]):
                warnings.append(f"Index {table['table_name']}.{name} is not a plain column index; not imported.")
            continue
        table["indexes"].append(
            {
                "id": ids.index_id(table["table_name"], name),
                "name": name,
                "fields": [f["id"] for f in key_fields],
                "unique": bool(unique),
            }
        )
    snapshot = canonicalize(
        {
            "format": 1,
            "project": {"name": schema, "slug": schema, "description": ""},
            "tables": list(tables.values()),
            "relationships": relationships,
            "layout": {"tables": {}},
        }
    )
    snapshot["warnings"] = warnings
    return snapshot


_VARCHAR = re.compile(r"^character varying\((\d+)\)$|^character\((\d+)\)$")
_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)$")
_SIMPLE = {
    "text": ("text", {}),
    "character varying": ("text", {}),
    "smallint": ("number", {"kind": "smallint"}),
    "integer": ("number", {"kind": "integer"}),
    "bigint": ("number", {"kind": "bigint"}),
    "numeric": ("number", {"kind": "decimal"}),
    "double precision": ("number", {"kind": "float"}),
    "real": ("number", {"kind": "float"}),
    "boolean": ("boolean", {}),
    "jsonb": ("json", {}),
    "json": ("json", {}),
    "uuid": ("uuid", {}),
    "date": ("date", {"kind": "date"}),
    "timestamp without time zone": ("date", {"kind": "timestamp"}),
    "timestamp with time zone": ("date", {"kind": "timestamptz"}),
    "time without time zone": ("date", {"kind": "time"}),
}


def _family(typ: str, warnings: list[str], where: str) -> tuple[str, dict]:
    typ = re.sub(r"^(timestamp|time)\(\d+\)", r"\1", typ)
    if typ in _SIMPLE:
        family, config = _SIMPLE[typ]
        return family, dict(config)
    match = _VARCHAR.match(typ)
    if match:
        return "text", {"max_length": int(match.group(1) or match.group(2))}
    match = _NUMERIC.match(typ)
    if match:
        return "number", {"kind": "decimal", "precision": int(match.group(1)), "scale": int(match.group(2))}
    warnings.append(f"{where}: type {typ} has no designer equivalent; read as text.")
    return "text", {}


_VALUE_FUNCTIONS = {
    "CURRENT_TIMESTAMP": "current_timestamp",
    "CURRENT_DATE": "current_date",
    "CURRENT_TIME": "current_time",
}


def _default(expr: str | None, family: str, config: dict, warnings: list[str], where: str) -> str | None:
    """A column default as the designer writes it: the literal's text, or an allowed expression."""
    if not expr:
        return None
    value = _default_text(expr)
    if value is None:
        warnings.append(f"{where}: default {expr} not understood; dropped.")
        return None
    try:
        return check_default(normalize_type(family, config), value)
    except ValidationError:
        warnings.append(f"{where}: default {expr} is not a designer default; kept as written.")
        return value


@functools.lru_cache(maxsize=1024)
def _default_text(expr: str) -> str | None:
    """The literal's text (``'abc'::text`` → ``abc``) or the expression (``now()``); None when unparsable."""
    try:
        node = pglast.parse_sql(f"SELECT {expr}")[0].stmt.targetList[0].val
    except pglast.parser.ParseError:
        return None
    value = _literal(node)
    if value is None:
        text = RawStream()(node)
        value = _VALUE_FUNCTIONS.get(text.upper(), text.lower())
    return value


def _literal(node: Any) -> str | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const):
        val = node.val
        if val is None:
            return None
        for attr in ("sval", "ival", "fval", "boolval"):
            if hasattr(val, attr):
                raw = getattr(val, attr)
                if attr == "boolval":
                    return "true" if raw else "false"
                return str(raw)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and node.lexpr is None:  # unary minus
        inner = _literal(node.rexpr)
        name = node.name[0].sval if node.name else ""
        if inner is not None and name == "-":
            return f"-{inner}"
    return None


class _Canonical(pglast.visitors.Visitor):
    """Undo the rewrites PostgreSQL applies when it stores an expression: added casts (``(price)::numeric``),
    ``x IN (a, b)`` stored as ``x = ANY (ARRAY[a, b])``, ``BETWEEN`` stored as two comparisons."""

    def visit_TypeCast(self, ancestors, node):  # noqa: N802 - pglast's naming
        if isinstance(node.arg, ast.A_Const | ast.ColumnRef | ast.TypeCast | ast.A_ArrayExpr):
            return node.arg
        return None

    def visit_A_Expr(self, ancestors, node):  # noqa: N802
        if node.kind == A_Expr_Kind.AEXPR_OP_ANY and isinstance(node.rexpr, ast.A_ArrayExpr):
            return ast.A_Expr(kind=A_Expr_Kind.AEXPR_IN, name=node.name, lexpr=node.lexpr, rexpr=node.rexpr.elements)
        if node.kind in (A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_NOT_BETWEEN):
            low, high = node.rexpr
            inside = node.kind == A_Expr_Kind.AEXPR_BETWEEN
            ops = (">=", "<=") if inside else ("<", ">")
            return ast.BoolExpr(
                boolop=BoolExprType.AND_EXPR if inside else BoolExprType.OR_EXPR,
                args=(
                    ast.A_Expr(kind=A_Expr_Kind.AEXPR_OP, name=(ast.String(sval=ops[0]),), lexpr=node.lexpr, rexpr=low),
                    ast.A_Expr(
                        kind=A_Expr_Kind.AEXPR_OP, name=(ast.String(sval=ops[1]),), lexpr=node.lexpr, rexpr=high
                    ),
                ),
            )
        return None


def normalize_expression(expression: str) -> str:
    """A CHECK expression in a canonical spelling, so the design's and PostgreSQL's forms compare equal."""
    text = expression.strip()
    try:
        stmt = pglast.parse_sql(f"SELECT 1 WHERE ({text})")[0].stmt
    except pglast.parser.ParseError:
        return text
    for _ in range(3):  # a rewrite can expose another (a cast inside an IN list)
        _Canonical()(stmt)
    return RawStream()(stmt.whereClause)


def _choices(expression: str) -> tuple[str, list[str]] | None:
    """``status IN ('a', 'b')`` → ("status", ["a", "b"])."""
    try:
        node = pglast.parse_sql(f"SELECT 1 WHERE ({expression})")[0].stmt.whereClause
    except pglast.parser.ParseError:
        return None
    if not (
        isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_IN and isinstance(node.lexpr, ast.ColumnRef)
    ):
        return None
    values = [_literal(v) for v in node.rexpr]
    if any(v is None for v in values):
        return None
    return node.lexpr.fields[-1].sval, values
