"""Stable ids for objects that arrive from outside (introspection, SQL and DBML import).

A design drawn in Tablewright gets random UUIDs. Objects read from a database or a file have no id of
their own, so they get a name-derived UUID5: reading the same schema twice — from a SQL file or from the
live database — gives the same ids and so the same ``schema_hash``.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6f1d3c64-8f0b-4f5e-9a57-3f1f0c1b7a01")


def table_id(table: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"table:{table}"))


def field_id(table: str, field: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"field:{table}.{field}"))


def index_id(table: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"index:{table}.{name}"))


def constraint_id(table: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"constraint:{table}.{name}"))


def relationship_id(name: str, target_table: str = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"relationship:{target_table}.{name}"))
