"""Deterministic, readable names for objects the compiler derives (unique and choices constraints)."""

from __future__ import annotations

import hashlib
import re

from designer.schema.validation import IDENTIFIER_RE, MAX_IDENTIFIER_LENGTH, RESERVED_WORDS

KEPT_COLUMN_MARK = "__kept_"
KEPT_TAG = r"d[0-9]+r?"  # the tags deploys keep things under: d<run number>, r for a rollback's reverse plan
KEPT_COLUMN_RE = re.compile(rf"{KEPT_COLUMN_MARK}{KEPT_TAG}\Z")
KEPT_SCHEMA_RE = re.compile(rf"_kept_{KEPT_TAG}\Z")


def quote_ident(name: str) -> str:
    """An identifier as SQL (PostgreSQL and SQLite): bare when it is a plain lowercase word, else quoted."""
    if IDENTIFIER_RE.match(name) and name not in RESERVED_WORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A standard SQL string literal (PostgreSQL with standard_conforming_strings, and SQLite)."""
    return "'" + value.replace("'", "''") + "'"


def object_name(table: str, columns: list[str], suffix: str) -> str:
    """``<table>_<col>_<col>_<suffix>`` like PostgreSQL; shortened with a stable hash past 63 characters."""
    name = "_".join([table, *columns, suffix])
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER_LENGTH - len(suffix) - 10]}_{digest}_{suffix}"


def unique_name(table: str, field: str) -> str:
    """The UNIQUE constraint of a field marked unique."""
    return object_name(table, [field], "key")


def choices_name(table: str, field: str) -> str:
    """The CHECK constraint that restricts a text field to its ``choices``."""
    return object_name(table, [field], "check")


def kept_column(column: str, tag: str) -> str:
    """The name a dropped column is kept under until purged (``email__kept_d12``)."""
    suffix = f"{KEPT_COLUMN_MARK}{tag}"
    return column[: MAX_IDENTIFIER_LENGTH - len(suffix)] + suffix


def kept_schema(schema: str, tag: str) -> str:
    """The schema dropped tables of one deploy are moved into (``shop_kept_d12``)."""
    suffix = f"_kept_{tag}"
    return schema[: MAX_IDENTIFIER_LENGTH - len(suffix)] + suffix


def kept_schema_pattern(schema: str) -> str:
    """A regular expression (Python and PostgreSQL ``~``) matching exactly the kept schemas of ``schema``."""
    prefix = kept_schema(schema, "")
    return "^" + re.escape(prefix) + KEPT_TAG + "$"


def is_kept_column(column: str) -> bool:
    """Named as :func:`kept_column` names (tables too, on SQLite): ``<name>__kept_d<n>`` or ``…d<n>r``."""
    return bool(KEPT_COLUMN_RE.search(column))


def is_kept_schema(schema: str) -> bool:
    return bool(KEPT_SCHEMA_RE.search(schema))
