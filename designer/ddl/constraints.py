"""The table-level constraint clauses both dialects write inside CREATE TABLE (same names, same order)."""

from __future__ import annotations

from collections.abc import Callable

from .names import choices_name, unique_name


def constraint_clauses(table: dict, q: Callable[[str], str], lit: Callable[[str], str], check: Callable) -> list[str]:
    """PRIMARY KEY, a UNIQUE per unique field, a CHECK per field with choices, then the table's constraints.

    ``q`` quotes identifiers, ``lit`` quotes strings, ``check(expression, columns)`` re-emits a CHECK
    expression from its parse tree.
    """
    name = table["table_name"]
    by_id = {f["id"]: f for f in table["fields"]}
    out = []
    pk = table.get("primary_key")
    if pk:
        out.append(
            f"CONSTRAINT {q(pk['name'])} PRIMARY KEY ({', '.join(q(by_id[i]['field_name']) for i in pk['fields'])})"
        )
    for f in table["fields"]:
        if f.get("unique"):
            out.append(f"CONSTRAINT {q(unique_name(name, f['field_name']))} UNIQUE ({q(f['field_name'])})")
        if (f.get("config") or {}).get("choices"):
            out.append(f"CONSTRAINT {q(choices_name(name, f['field_name']))} CHECK ({choices_check(f, q, lit)})")
    columns = {f["field_name"] for f in table["fields"]}
    for c in table["constraints"]:
        if c["kind"] == "check":
            out.append(f"CONSTRAINT {q(c['name'])} CHECK ({check(c['expression'], columns)})")
        else:
            out.append(
                f"CONSTRAINT {q(c['name'])} UNIQUE ({', '.join(q(by_id[i]['field_name']) for i in c['fields'])})"
            )
    return out


def choices_check(field: dict, q: Callable[[str], str], lit: Callable[[str], str]) -> str:
    """``"status" IN ('a', 'b')`` for a text field with choices."""
    return f"{q(field['field_name'])} IN ({', '.join(lit(c) for c in field['config']['choices'])})"
