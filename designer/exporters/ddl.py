"""PostgreSQL and SQLite DDL for the Export menu: the deploy compiler (``designer.ddl``) run on the diff
from the empty design, so an exported script and a deploy create exactly the same tables, keys,
constraint names, defaults and comments.

The PostgreSQL script names no schema (it creates the design wherever the session's ``search_path``
points) and quotes only names that need it; running it and importing the live schema gives back the
same snapshot. The SQLite script is what a SQLite deploy target runs, with ``PRAGMA foreign_keys = ON``
in front and the descriptions SQLite cannot store written as SQL comments above each table.
"""

from __future__ import annotations

from designer.ddl import postgresql as pg_ddl
from designer.ddl import sqlite as sqlite_ddl
from designer.schema.snapshot import Snapshot

from . import ExportFormat, register
from .common import header, prepare


def to_postgresql(snapshot: Snapshot) -> str:
    """One script creating the design in an empty PostgreSQL schema (tables, keys, indexes, comments)."""
    snap = prepare(snapshot)
    if not snap["tables"]:
        return header(snap)
    return header(snap) + "\n" + pg_ddl.create_script(snap, readable_names=True)


def to_sqlite(snapshot: Snapshot) -> str:
    """One script for SQLite; foreign keys are declared inside CREATE TABLE and enforced once
    ``PRAGMA foreign_keys = ON``."""
    snap = prepare(snapshot)
    described = {t["table_name"]: _description_comment(t) for t in snap["tables"]}
    out = [header(snap), "PRAGMA foreign_keys = ON;\n"]
    for statement in sqlite_ddl.create_statements(snap):
        comment = described.get(statement.table, "") if statement.sql.startswith("CREATE TABLE") else ""
        out.append(comment + statement.sql + "\n")
    return "\n".join(out)


def _description_comment(table: dict) -> str:
    lines = [f"{table['table_name']}: {line}" for line in (table.get("description") or "").splitlines()]
    for field in table["fields"]:
        lines += [f"  {field['field_name']}: {line}" for line in (field.get("description") or "").splitlines()]
    return "".join(f"-- {line}\n" for line in lines)


register(
    ExportFormat(
        key="postgresql", label="PostgreSQL DDL", extension="sql", content_type="text/plain", render=to_postgresql
    )
)
register(
    ExportFormat(key="sqlite", label="SQLite DDL", extension="sqlite.sql", content_type="text/plain", render=to_sqlite)
)
