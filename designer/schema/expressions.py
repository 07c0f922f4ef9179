"""Checking user-written SQL expressions (CHECK constraints) with PostgreSQL's own parser (pglast).

An expression is accepted only when it parses as one boolean expression over the table's columns:
no statements, no sub-queries, no semicolons. The DDL compiler then inserts it verbatim.
"""

from __future__ import annotations

import pglast
from pglast import ast
from pglast.visitors import Visitor

MAX_EXPRESSION_LENGTH = 2000


class _Collector(Visitor):
    def __init__(self) -> None:
        self.columns: set[str] = set()
        self.subqueries = 0

    def visit_ColumnRef(self, ancestors, node) -> None:  # noqa: N802 - pglast's visitor naming
        parts = [getattr(f, "sval", None) for f in node.fields]
        if parts and parts[-1]:
            self.columns.add(parts[-1])

    def visit_SubLink(self, ancestors, node) -> None:  # noqa: N802
        self.subqueries += 1


def check_expression_problem(expression: str, columns: set[str]) -> str | None:
    """Why ``expression`` is not an acceptable CHECK expression, or ``None`` when it is."""
    if not expression:
        return "A check constraint needs an expression, e.g. price >= 0."
    if len(expression) > MAX_EXPRESSION_LENGTH:
        return f"The expression is {len(expression)} characters long; the limit is {MAX_EXPRESSION_LENGTH}."
    if ";" in expression:
        return "The expression must not contain ';' — write one boolean expression, e.g. price >= 0."
    try:
        statements = pglast.parse_sql(f"SELECT 1 WHERE ({expression})")
    except pglast.parser.ParseError as exc:
        return f"The expression is not valid SQL: {exc.args[0]}. Write a boolean expression, e.g. price >= 0."
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        return "Write a single boolean expression, e.g. price >= 0."
    collector = _Collector()
    collector(statements[0].stmt.whereClause)
    if collector.subqueries:
        return "A check expression cannot contain a sub-query."
    unknown = sorted(collector.columns - columns)
    if unknown:
        return f"The expression names unknown column(s) {', '.join(unknown)}. Use the table's field names."
    return None


def _where_clause(expression: str):
    return pglast.parse_sql(f"SELECT 1 WHERE ({expression})")[0].stmt.whereClause


def expression_columns(expression: str) -> set[str]:
    """The column names an (already accepted) expression refers to; empty when it does not parse."""
    try:
        node = _where_clause(expression)
    except pglast.parser.ParseError:
        return set()
    collector = _Collector()
    collector(node)
    return collector.columns


class _Renamer(Visitor):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_ColumnRef(self, ancestors, node):  # noqa: N802 - pglast's visitor naming
        last = node.fields[-1]
        if isinstance(last, ast.String) and last.sval == self.old:
            return ast.ColumnRef(fields=(*node.fields[:-1], ast.String(sval=self.new)))
        return None


def rename_column(expression: str, old: str, new: str) -> str:
    """The expression with column ``old`` renamed to ``new`` (re-printed by PostgreSQL's deparser)."""
    if old not in expression_columns(expression):
        return expression
    node = _where_clause(expression)
    from pglast.stream import RawStream

    renamed = _Renamer(old, new)(node)
    return RawStream()(renamed)
