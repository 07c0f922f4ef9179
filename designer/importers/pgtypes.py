"""PostgreSQL types, defaults and CHECK expressions, read the same way from a SQL file, a DBML file, the
live catalogs and a SQLite target's stored DDL (all go through PostgreSQL's own parser, pglast), so one
schema gives one snapshot. The one place that maps a PostgreSQL type name to a designer type family.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import pglast
import pglast.visitors
from django.core.exceptions import ValidationError
from pglast import ast, enums
from pglast.enums import A_Expr_Kind, BoolExprType
from pglast.stream import RawStream

from designer.schema.types import ALIASES, check_default, normalize_type


@dataclass
class ColumnType:
    family: str
    config: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # a conversion worth telling (char(n) → varchar(n), json → jsonb …)
    unsupported: str | None = None  # the type has no equivalent: what was done instead


INT_KINDS = {"int2": "smallint", "int4": "integer", "int8": "bigint"}
SERIALS = {"smallserial": "smallint", "serial2": "smallint", "serial": "integer", "serial4": "integer"}
SERIALS |= {"bigserial": "bigint", "serial8": "bigint"}
SIMPLE = {
    "text": ("text", {}),
    "varchar": ("text", {}),
    "bool": ("boolean", {}),
    "float4": ("number", {"kind": "float"}),
    "float8": ("number", {"kind": "float"}),
    "numeric": ("number", {"kind": "decimal"}),
    "date": ("date", {"kind": "date"}),
    "timestamp": ("date", {"kind": "timestamp"}),
    "timestamptz": ("date", {"kind": "timestamptz"}),
    "time": ("date", {"kind": "time"}),
    "jsonb": ("json", {}),
    "uuid": ("uuid", {}),
}


@functools.lru_cache(maxsize=1024)
def type_name_of(text: str) -> ast.TypeName | None:
    """Parse a type as written (``varchar(200)``, ``timestamp with time zone``) into pglast's TypeName.
    Cached (a schema repeats a few types many times); callers must not change the node."""
    try:
        stmt = pglast.parse_sql(f"SELECT NULL::{text}")
    except pglast.parser.ParseError:
        return None
    if len(stmt) != 1 or ";" in text:
        return None
    value = stmt[0].stmt.targetList[0].val
    return value.typeName if isinstance(value, ast.TypeCast) else None


def type_text(type_name: ast.TypeName) -> str:
    """The type as PostgreSQL prints it (for messages)."""
    text = RawStream()(ast.TypeCast(arg=ast.A_Const(isnull=True), typeName=type_name))
    return text.removeprefix("CAST(NULL AS ").removesuffix(")")


def _typmods(type_name: ast.TypeName) -> list[int]:
    mods = []
    for mod in type_name.typmods or ():
        value = getattr(mod, "val", None)
        if isinstance(value, ast.Integer):
            mods.append(value.ival)
    return mods


def map_type(
    type_name: ast.TypeName,
    *,
    enums_by_name: dict[str, list[str]] | None = None,
    domains: dict[str, ast.TypeName] | None = None,
) -> tuple[ColumnType, bool]:
    """(the designer type for a PostgreSQL type, whether it is a serial). Enums become text with choices;
    domains their base type; types without an equivalent become text, flagged ``unsupported``."""
    names = [n.sval for n in type_name.names]
    base = names[-1].lower()
    qualified = ".".join(names)
    if type_name.arrayBounds:
        return ColumnType(
            "text", unsupported=f"array type {type_text(type_name)} has no equivalent; imported as text"
        ), False
    if enums_by_name and base in enums_by_name and (len(names) == 1 or names[0] != "pg_catalog"):
        return ColumnType(
            "text", {"choices": list(enums_by_name[base])}, note=f"enum {base} → text with choices"
        ), False
    if domains and base in domains and (len(names) == 1 or names[0] != "pg_catalog"):
        mapped, serial = map_type(domains[base], enums_by_name=enums_by_name)
        mapped.note = f"domain {base} → its base type {type_text(domains[base])}"
        return mapped, serial
    mods = _typmods(type_name)
    if base in INT_KINDS or base in ("int", "integer", "smallint", "bigint"):
        kind = INT_KINDS.get(base) or {"int": "integer"}.get(base, base)
        return ColumnType("number", {"kind": kind}), False
    if base in SERIALS:
        return ColumnType("number", {"kind": SERIALS[base], "identity": True}, note=f"{base} → identity"), True
    if base in ("bpchar", "char", "character"):
        length = mods[0] if mods else 1
        return ColumnType("text", {"max_length": length}, note=f"char({length}) → varchar({length})"), False
    if base in ("varchar",) and mods:
        return ColumnType("text", {"max_length": mods[0]}), False
    if base == "numeric" and mods:
        return ColumnType(
            "number", {"kind": "decimal", "precision": mods[0], "scale": mods[1] if len(mods) > 1 else 0}
        ), False
    if base in ("float4", "float8", "float", "real") and qualified != "money":
        return ColumnType("number", {"kind": "float"}), False
    if base == "json":
        return ColumnType("json", note="json → jsonb"), False
    if base == "timetz":
        return ColumnType("date", {"kind": "time"}, note="time with time zone → time"), False
    if base in SIMPLE:
        family, config = SIMPLE[base]
        mapped = ColumnType(family, dict(config))
        if mods and family == "date":
            mapped.note = f"{type_text(type_name)} → {base} (fractional-second precision dropped)"
        return mapped, False
    if len(names) == 1 and base in ALIASES:  # DBML spellings such as string, datetime, double
        family, config = ALIASES[base]
        return ColumnType(family, dict(config)), False
    return ColumnType("text", unsupported=f"type {type_text(type_name)} has no equivalent; imported as text"), False


# --- defaults ---------------------------------------------------------------------------------
_SQL_VALUE_FUNCTIONS = {
    "SVFOP_CURRENT_TIMESTAMP": "current_timestamp",
    "SVFOP_CURRENT_DATE": "current_date",
    "SVFOP_CURRENT_TIME": "current_time",
    "SVFOP_LOCALTIME": "localtime",
    "SVFOP_LOCALTIMESTAMP": "localtimestamp",
}
_FUNCTIONS = {"now": "now()", "gen_random_uuid": "gen_random_uuid()"}


def _strip_casts(node: Any) -> Any:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node


def literal(node: Any) -> str | None:
    """The text of a constant, or ``None`` if ``node`` is not one (NULL is ``""``)."""
    node = _strip_casts(node)
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return ""
        value = node.val
        for attr in ("ival", "fval", "sval", "boolval", "bsval"):
            if hasattr(value, attr):
                raw = getattr(value, attr)
                return ("true" if raw else "false") if attr == "boolval" else str(raw)
    if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and node.lexpr is None:
        op = node.name[0].sval
        inner = literal(node.rexpr)
        if op == "-" and inner:
            return "-" + inner
    return None


def parse_expression(text: str) -> Any:
    """Parse one SQL expression (a default, a CHECK body) into a pglast node; ``None`` if it does not parse
    or is more than one expression (a ``;`` inside a string literal is fine: ``'a;b'``)."""
    if "\x00" in text:  # the parser would stop reading at it, and read something else
        return None
    try:
        stmts = pglast.parse_sql(f"SELECT {text}")
    except pglast.parser.ParseError:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt) or len(stmts[0].stmt.targetList or ()) != 1:
        return None
    select = stmts[0].stmt
    if any(getattr(select, clause) for clause in _NOT_AN_EXPRESSION):
        return None  # ``1 FROM t``, ``x > 0 ORDER BY y``…: more than an expression
    return select.targetList[0].val


_NOT_AN_EXPRESSION = (
    "intoClause", "fromClause", "whereClause", "groupClause", "havingClause", "windowClause", "sortClause",
    "limitCount", "limitOffset", "lockingClause", "withClause", "distinctClause", "valuesLists",
)  # fmt: skip


def expression_text(node: Any) -> str:
    """Canonical SQL text of an expression (PostgreSQL's own deparser, outer parentheses dropped)."""
    return RawStream()(node)


def read_default(node: Any, ctype: ColumnType) -> tuple[str | None, bool, str | None]:
    """(default value for the designer, is it a sequence default (serial), why it was dropped)."""
    value = literal(node)
    core = _strip_casts(node)
    if value is None:
        if isinstance(core, ast.SQLValueFunction):
            value = _SQL_VALUE_FUNCTIONS.get(core.op.name if hasattr(core.op, "name") else str(core.op))
        elif isinstance(core, ast.FuncCall) and not core.args:
            value = _FUNCTIONS.get(core.funcname[-1].sval.lower())
        elif isinstance(core, ast.FuncCall) and core.funcname[-1].sval.lower() == "nextval":
            return None, True, None
        if value is None:
            return None, False, f"default {expression_text(node)} is an expression the designer cannot hold; dropped"
    if value == "":
        return None, False, None  # DEFAULT NULL
    try:
        canonical = check_default(normalize_type(ctype.family, ctype.config), value)
    except ValidationError as exc:
        return None, False, f"default {expression_text(node)} dropped: {' '.join(exc.messages)}"
    return canonical, False, None


# --- CHECK expressions that are really a list of choices --------------------------------------
def choices_of(node: Any) -> tuple[str, list[str]] | None:
    """``col IN ('a', 'b')`` or ``col = ANY (ARRAY['a', 'b'])`` (as PostgreSQL prints the former) →
    (column, choices); anything else → ``None``."""
    node = _strip_casts(node)
    if not isinstance(node, ast.A_Expr):
        return None
    column = _strip_casts(node.lexpr)
    if not isinstance(column, ast.ColumnRef) or not isinstance(column.fields[-1], ast.String):
        return None
    op = node.name[0].sval if node.name else ""
    if node.kind == enums.A_Expr_Kind.AEXPR_IN and op == "=":
        items = node.rexpr
    elif node.kind == enums.A_Expr_Kind.AEXPR_OP_ANY and op == "=":
        array = _strip_casts(node.rexpr)
        if not isinstance(array, ast.A_ArrayExpr):
            return None
        items = array.elements
    else:
        return None
    values = []
    for item in items or ():
        core = _strip_casts(item)
        if not (isinstance(core, ast.A_Const) and isinstance(core.val, ast.String)):
            return None
        values.append(core.val.sval)
    return (column.fields[-1].sval, values) if values else None


def columns_in(node: Any) -> list[str]:
    """Column names an expression mentions, in order of appearance."""
    from pglast.visitors import Visitor

    found: list[str] = []

    class Collect(Visitor):
        def visit_ColumnRef(self, ancestors, ref) -> None:  # noqa: N802 - pglast's naming
            last = ref.fields[-1]
            if isinstance(last, ast.String) and last.sval not in found:
                found.append(last.sval)

    Collect()(node)
    return found


def _as_in_list(node: Any) -> Any:
    """``x = ANY (ARRAY[1, 2])`` / ``x <> ALL (ARRAY[…])`` (how PostgreSQL stores them) → ``x IN (1, 2)`` /
    ``x NOT IN (…)`` (how they are written)."""
    if not isinstance(node, ast.A_Expr) or not node.name:
        return node
    op = node.name[0].sval
    wanted = {enums.A_Expr_Kind.AEXPR_OP_ANY: "=", enums.A_Expr_Kind.AEXPR_OP_ALL: "<>"}.get(node.kind)
    array = _strip_casts(node.rexpr)
    if op != wanted or not isinstance(array, ast.A_ArrayExpr):
        return node
    items = tuple(_strip_casts(e) for e in array.elements or ())
    if not items or not all(isinstance(e, ast.A_Const) for e in items):
        return node
    return ast.A_Expr(kind=enums.A_Expr_Kind.AEXPR_IN, name=(ast.String(sval=op),), lexpr=node.lexpr, rexpr=items)


def simplify_check(node: Any, text_columns: set[str], renames: dict[str, str] | None = None) -> Any:
    """Drop the casts PostgreSQL adds when it stores a CHECK (``(0)::numeric``, ``(name)::text``), so an
    expression read from the catalogs prints as it was written: casts of literals, and casts of text
    columns to text/varchar. Casts the author wrote on other columns stay. Columns imported under another
    name (``"Name"`` → ``name``) are renamed in ``renames``."""
    renames = renames or {}
    if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String):
        if node.fields[-1].sval in renames:
            return ast.ColumnRef(fields=(ast.String(sval=renames[node.fields[-1].sval]),))
        return node
    if isinstance(node, ast.TypeCast):
        arg = node.arg
        target = node.typeName.names[-1].sval if node.typeName else ""
        if isinstance(arg, ast.A_Const) and not node.typeName.arrayBounds:
            return arg
        if (
            isinstance(arg, ast.ColumnRef)
            and target in ("text", "varchar")
            and isinstance(arg.fields[-1], ast.String)
            and arg.fields[-1].sval in text_columns
        ):
            return simplify_check(arg, text_columns, renames)
    if isinstance(node, ast.Node):
        for attr in node:
            value = getattr(node, attr)
            if isinstance(value, ast.Node | tuple):
                setattr(node, attr, simplify_check(value, text_columns, renames))
        return _as_in_list(node)
    if isinstance(node, tuple):
        return tuple(simplify_check(item, text_columns, renames) for item in node)
    return node


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
    """A CHECK expression in a canonical spelling, so a design's and PostgreSQL's forms compare equal
    (every cast on a literal or column dropped, ``= ANY (ARRAY[…])`` as ``IN (…)``, ``BETWEEN`` expanded)."""
    text = expression.strip()
    try:
        stmt = pglast.parse_sql(f"SELECT 1 WHERE ({text})")[0].stmt
    except pglast.parser.ParseError:
        return text
    for _ in range(3):  # a rewrite can expose another (a cast inside an IN list)
        _Canonical()(stmt)
    return RawStream()(stmt.whereClause)
