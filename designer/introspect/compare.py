"""Compare an intended design with a live (introspected) schema, by names.

A design has random ids and an introspected schema name-derived ids, so the two are compared through a
name-keyed normal form that keeps only what the database holds: no display names, statuses, layout, or
column order (PostgreSQL cannot reorder columns), Deleted tables and many-to-many rows left out (their
junction tables carry the foreign keys), CHECK expressions and defaults in one canonical spelling.
Convergence is ``differences(intended, live) == []``; drift is the same comparison against the last
deployed version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from designer.importers.pgtypes import normalize_expression
from designer.schema.diff import deployable
from designer.schema.snapshot import Snapshot
from designer.schema.types import check_default, normalize_type


def _default(field: dict) -> str | None:
    value = field.get("default")
    if value is None or (field.get("config") or {}).get("identity"):
        return None
    try:
        value = check_default(normalize_type(field["data_type"], field.get("config")), value)
    except ValidationError:
        return value
    if value is None:
        return None
    if field["data_type"] == "date" and (field.get("config") or {}).get("kind") == "timestamptz":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat()
    return value


def comparable(snapshot: Snapshot, dialect: str = "postgresql") -> dict[str, Any]:
    """The database-relevant content of a snapshot keyed by names.

    ``dialect="sqlite"`` leaves out what SQLite cannot hold: descriptions, identity, UUID-generating defaults.
    """
    doc = deployable(snapshot)
    sqlite = dialect == "sqlite"
    field_names: dict[str, str] = {}
    table_names: dict[str, str] = {}
    tables: dict[str, Any] = {}
    for t in doc["tables"]:
        table_names[t["id"]] = t["table_name"]
        for f in t["fields"]:
            field_names[f["id"]] = f["field_name"]
    for t in doc["tables"]:
        pk = t.get("primary_key")
        tables[t["table_name"]] = {
            "description": "" if sqlite else t.get("description") or "",
            "primary_key": {"name": pk["name"], "fields": [field_names[i] for i in pk["fields"]]} if pk else None,
            "fields": {
                f["field_name"]: {
                    "type": f["data_type"],
                    "config": {
                        k: v
                        for k, v in sorted((f.get("config") or {}).items())
                        if v not in (None, False) and not (sqlite and k == "identity")
                    },
                    "required": bool(f.get("required")),
                    "unique": bool(f.get("unique")),
                    "default": _sqlite_default(f) if sqlite else _default(f),
                    "description": "" if sqlite else f.get("description") or "",
                }
                for f in t["fields"]
            },
            "indexes": {
                i["name"]: {"fields": [field_names[x] for x in i["fields"]], "unique": bool(i.get("unique"))}
                for i in t["indexes"]
            },
            "constraints": {
                c["name"]: (
                    {"kind": "check", "expression": normalize_expression(c.get("expression", ""))}
                    if c["kind"] == "check"
                    else {"kind": "unique", "fields": [field_names[x] for x in c["fields"]]}
                )
                for c in t["constraints"]
            },
        }
    relationships = {
        r["name"]: {
            "from": f"{table_names[r['target_table']]}.{field_names[r['target_field']]}",
            "to": f"{table_names[r['source_table']]}.{field_names[r['source_field']]}",
            "on_delete": r.get("on_delete", "no_action"),
            "on_update": r.get("on_update", "no_action"),
        }
        for r in doc["relationships"]
    }
    return {"tables": tables, "relationships": relationships}


def _sqlite_default(field: dict) -> str | None:
    value = _default(field)
    if value in ("gen_random_uuid()",):
        return None
    return {"current_timestamp": "now()", "localtimestamp": "now()", "localtime": "current_time"}.get(value, value)


def differences(
    intended: Snapshot, live: Snapshot, *, intended_label: str = "design", dialect: str = "postgresql"
) -> list[str]:
    """Every difference between the intended schema and the live one, as readable sentences."""
    a, b = comparable(intended, dialect), comparable(live, dialect)
    out: list[str] = []
    _walk(a["tables"], b["tables"], "table", out, intended_label)
    _walk(a["relationships"], b["relationships"], "foreign key", out, intended_label)
    return out


_CHILDREN = {"fields": "field", "indexes": "index", "constraints": "constraint"}


def _walk(want: dict, have: dict, what: str, out: list[str], label: str, prefix: str = "") -> None:
    for name in sorted(set(want) | set(have)):
        path = f"{prefix}{name}"
        if name not in have:
            out.append(f"{what} {path} is in the {label} but missing from the database")
            continue
        if name not in want:
            out.append(f"{what} {path} is in the database but not in the {label}")
            continue
        w, h = want[name], have[name]
        for key in sorted(set(w) | set(h)):
            if key in _CHILDREN and isinstance(w.get(key), dict):
                _walk(w[key], h[key], _CHILDREN[key], out, label, f"{path}.")
            elif w.get(key) != h.get(key):
                out.append(f"{what} {path}: {key} is {w.get(key)!r} in the {label} but {h.get(key)!r} in the database")
