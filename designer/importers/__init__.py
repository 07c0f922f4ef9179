"""Importers: DBML, PostgreSQL DDL, a live PostgreSQL schema and snapshot JSON, each read into a snapshot.

Every reader returns an :class:`ImportResult`: the canonical snapshot plus every object of the input that
the design model cannot hold (views, functions, triggers, domains, exotic types, partitions…), named one
by one, and notes on what was converted on the way (enum → text with choices, serial → identity…).
Broken input raises :class:`ImportSyntaxError` with the line (and column) and what was expected.

Reading is pure: nothing is written. ``designer.services.imports`` applies a result to a project in one
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

Snapshot = dict[str, Any]


@dataclass(frozen=True)
class Unsupported:
    """One object of the input the design model cannot hold, and what the import did with it."""

    kind: str  # "view", "function", "trigger", "domain", "column type", "index", "table group", …
    name: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.detail}"


@dataclass
class ImportResult:
    snapshot: Snapshot
    unsupported: list[Unsupported] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source_format: str = ""
    # Canvas layout the source carried (not schema, so not in the snapshot; ``apply_import`` creates them):
    # table groups {"name", "color" ("#rrggbb" or None: the next default), "tables": [table_name, ...]}
    # and free-standing notes {"name", "text"}.
    groups: list[dict[str, Any]] = field(default_factory=list)
    sticky_notes: list[dict[str, Any]] = field(default_factory=list)
    # Set by ``apply_import`` into an existing project: the names of its table groups that were removed
    # because none of their tables is in the import.
    removed_groups: list[str] = field(default_factory=list)

    @property
    def table_names(self) -> list[str]:
        return [t["table_name"] for t in self.snapshot["tables"]]


class ImportSyntaxError(ValidationError):
    """Input that cannot be read: says where (line, column) and what was expected there."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        self.line, self.column, self.reason = line, column, message
        where = ""
        if line is not None:
            where = f"Line {line}, column {column}: " if column is not None else f"Line {line}: "
        super().__init__(where + message)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset into ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


@dataclass(frozen=True)
class ImportFormat:
    key: str
    label: str
    read: Callable[..., ImportResult]
    needs_schema: bool = False  # a live database takes a schema name as well


def formats() -> dict[str, ImportFormat]:
    from . import dbml, json_snapshot, live, sql

    return {
        f.key: f
        for f in (
            ImportFormat("dbml", "DBML (dbdiagram.io)", dbml.read_dbml),
            ImportFormat("sql", "PostgreSQL DDL", sql.read_sql),
            ImportFormat("live", "Live PostgreSQL database", live.read_live, needs_schema=True),
            ImportFormat("json", "Canonical JSON snapshot", json_snapshot.read_json),
        )
    }


def read(source: str, fmt: str, *, schema: str = "public") -> ImportResult:
    """Read ``source`` (text, or a connection URL for ``live``) in format ``fmt``."""
    known = formats()
    if fmt not in known:
        raise ValidationError(f"Unknown import format {fmt!r}; use one of {', '.join(known)}.")
    if known[fmt].needs_schema:
        return _refuse_nul_in(known[fmt].read(source, schema=schema))
    if "\x00" in source:  # PostgreSQL's parser would stop reading there, and PostgreSQL text cannot hold it
        line, column = line_and_column(source, source.index("\x00"))
        raise ImportSyntaxError("a NUL character (\\x00); remove it and read again.", line=line, column=column)
    return _refuse_nul_in(known[fmt].read(source))


def _refuse_nul_in(result: ImportResult) -> ImportResult:
    """A NUL that came in escaped (JSON ``\\u0000``) cannot be stored either: refused, naming where it is."""

    def find(value: Any, where: str) -> str | None:
        if isinstance(value, str):
            return where if "\x00" in value else None
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        return next((hit for key, item in items if (hit := find(item, f"{where}.{key}" if where else str(key)))), None)

    where = find(result.snapshot, "") or find(result.groups, "groups") or find(result.sticky_notes, "notes")
    if where is not None:
        raise ImportSyntaxError(f"{where} contains a NUL character (\\x00), which cannot be stored; remove it.")
    return result
