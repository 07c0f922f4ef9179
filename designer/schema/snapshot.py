"""The canonical schema snapshot: the one representation that versions, diff, DDL, import and export speak.

Pure Python, no ORM. (``designer.services.snapshots`` turns a project into a snapshot and back.)

Format 1 (every list in a deterministic order; every id is the object's stable ``uid``)::

    {
      "format": 1,
      "project": {"name": str, "slug": str, "description": str},          # not hashed
      "tables": [                                                         # sorted by table_name
        {"id": str, "name": str, "table_name": str, "description": str, "status": str,
         "primary_key": {"name": str, "fields": [field id, ...]} | null,   # composite keys in order
         "fields": [                                                       # column order
           {"id": str, "name": str, "field_name": str, "data_type": family, "config": {...},
            "required": bool, "unique": bool, "default": str | null, "description": str}],
         "indexes": [{"id": str, "name": str, "fields": [field id, ...], "unique": bool}],       # by name
         "constraints": [{"id": str, "name": str, "kind": "unique" | "check",
                          "fields": [field id, ...], "expression": str}]}],                     # by name
      "relationships": [                                                  # sorted by name
        {"id": str, "name": str, "type": "one_to_one" | "one_to_many" | "many_to_many",
         "source_table": id, "source_field": id,      # the referenced ("one") side
         "target_table": id, "target_field": id,      # the side holding the foreign-key column
         "on_delete": action, "on_update": action, "junction_table": id | null, "status": str}],
      "layout": {"tables": {table id: {"x": int, "y": int}}}              # not hashed
    }

``schema_hash`` is the sha256 of the canonical JSON of the hashed part (``format``, ``tables``,
``relationships``): moving a box or renaming the project does not change the schema.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError

from .types import check_default, normalize_type
from .validation import (
    STATUSES,
    cycle_message,
    find_required_cycle,
    identifier_problem,
)

FORMAT = 1
HASHED_KEYS = ("format", "tables", "relationships")
RELATIONSHIP_TYPES = ("one_to_one", "one_to_many", "many_to_many")
REFERENTIAL_ACTIONS = ("no_action", "restrict", "cascade", "set_null", "set_default")
Snapshot = dict[str, Any]


def empty_snapshot() -> Snapshot:
    return {
        "format": FORMAT,
        "project": {"name": "", "slug": "", "description": ""},
        "tables": [],
        "relationships": [],
        "layout": {"tables": {}},
    }


def canonical_json(data: Any) -> str:
    """The canonical text: sorted keys, no insignificant whitespace, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hashed_part(snapshot: Snapshot) -> dict[str, Any]:
    return {key: snapshot.get(key) for key in HASHED_KEYS}


def schema_hash(snapshot: Snapshot) -> str:
    """sha256 (hex) of the canonical form of the schema part of ``snapshot``."""
    return hashlib.sha256(canonical_json(hashed_part(canonicalize(snapshot))).encode("utf-8")).hexdigest()


def dumps(snapshot: Snapshot, *, indent: int | None = 2) -> str:
    """Serialise for files: canonical order, pretty by default, with the hash alongside."""
    doc = canonicalize(snapshot)
    doc["schema_hash"] = schema_hash(doc)
    return json.dumps(doc, sort_keys=True, indent=indent, ensure_ascii=False) + "\n"


def loads(text: str) -> Snapshot:
    """Parse a snapshot file. Raises ``ValidationError`` with the line and column of broken JSON."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from exc
    if not isinstance(data, dict):
        raise ValidationError("A schema snapshot must be a JSON object with 'format', 'tables' and 'relationships'.")
    if data.get("format") != FORMAT:
        raise ValidationError(
            f"Unsupported snapshot format {data.get('format')!r}; this version reads format {FORMAT}."
        )
    stated = data.pop("schema_hash", None)
    if stated is not None:
        _check_stated_hash(data, stated)
    return canonicalize(data)


def _check_stated_hash(data: dict[str, Any], stated: Any) -> None:
    """A file that states its ``schema_hash`` must match it: else it was edited after it was written."""
    try:
        actual = schema_hash(data)
    except (KeyError, TypeError, AttributeError):
        return  # not a well-formed snapshot: validate_snapshot names what is wrong with it
    if stated != actual:
        raise ValidationError(
            f"The file's schema_hash ({str(stated)[:16]}…) does not match its content (sha256 {actual[:16]}…): "
            f'the file was edited by hand. Remove the "schema_hash" line to import it as it is now, or set it '
            f"to {actual}."
        )


def canonicalize(snapshot: Snapshot) -> Snapshot:
    """A deep copy with every list in canonical order and defaults filled in."""
    doc = json.loads(json.dumps(snapshot))  # a snapshot is JSON; this copies ~5x faster than deepcopy
    doc.setdefault("format", FORMAT)
    doc.setdefault("project", {"name": "", "slug": "", "description": ""})
    doc.setdefault("layout", {"tables": {}})
    tables = doc.setdefault("tables", [])
    for table in tables:
        table.setdefault("description", "")
        table.setdefault("status", "draft")
        table.setdefault("primary_key", None)
        table.setdefault("indexes", [])
        table.setdefault("constraints", [])
        for field in table.setdefault("fields", []):
            field.setdefault("config", {})
            field.setdefault("required", False)
            field.setdefault("unique", False)
            field.setdefault("default", None)
            field.setdefault("description", "")
            field.setdefault("name", field.get("field_name", ""))
        for constraint in table["constraints"]:
            constraint.setdefault("fields", [])
            constraint.setdefault("expression", "")
        for index in table["indexes"]:
            index.setdefault("unique", False)
        table["indexes"].sort(key=lambda i: (i["name"], i["id"]))
        table["constraints"].sort(key=lambda c: (c["name"], c["id"]))
        table.setdefault("name", table.get("table_name", ""))
    tables.sort(key=lambda t: (t["table_name"], t["id"]))
    relationships = doc.setdefault("relationships", [])
    for rel in relationships:
        rel.setdefault("type", "one_to_many")
        rel.setdefault("on_delete", "no_action")
        rel.setdefault("on_update", "no_action")
        rel.setdefault("junction_table", None)
        rel.setdefault("status", "draft")
    relationships.sort(key=lambda r: (r["name"], r["id"]))
    return doc


# --- lookups used by diff, DDL and exporters ---------------------------------------------------
def tables_by_id(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in snapshot["tables"]}


def fields_by_id(snapshot: Snapshot) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """field id -> (table, field)."""
    return {f["id"]: (t, f) for t in snapshot["tables"] for f in t["fields"]}


# --- whole-document validation (import, restore) ----------------------------------------------
def validate_snapshot(snapshot: Snapshot) -> list[str]:
    """Every rule a design must satisfy, checked on a snapshot. Returns messages naming the object.

    The same rules the services apply to single edits (they share the rule functions), so a design
    imported from a file obeys everything a design drawn by hand does.
    """
    errors: list[str] = []
    tables = snapshot.get("tables", [])
    field_index: dict[str, tuple[dict, dict]] = {}
    table_ids: dict[str, dict] = {}

    for dupe, count in Counter(t.get("table_name") for t in tables).items():
        if count > 1:
            errors.append(f"Table name {dupe!r} is used {count} times; table names must be unique in a project.")
    for dupe, count in Counter(t.get("name") for t in tables).items():
        if count > 1 and dupe:
            errors.append(f"Table display name {dupe!r} is used {count} times; it must be unique in a project.")
    ids = Counter(t.get("id") for t in tables)
    errors.extend(f"Table id {i!r} is used {n} times." for i, n in ids.items() if n > 1)

    for table in tables:
        tname = table.get("table_name", "")
        problem = identifier_problem(tname, "Table name")
        if problem:
            errors.append(problem)
        if table.get("status", "draft") not in STATUSES:
            errors.append(f"Table {tname}: status {table.get('status')!r} is not one of {', '.join(STATUSES)}.")
        table_ids[table.get("id")] = table
        names = Counter(f.get("field_name") for f in table.get("fields", []))
        errors.extend(
            f"Table {tname}: field name {n!r} is used {c} times; field names must be unique in a table."
            for n, c in names.items()
            if c > 1
        )
        for field in table.get("fields", []):
            fname = field.get("field_name", "")
            where = f"Table {tname}, field {fname or '?'}"
            problem = identifier_problem(fname, "Field name")
            if problem:
                errors.append(f"{where}: {problem}")
            field_index[field.get("id")] = (table, field)
            try:
                ftype = normalize_type(field.get("data_type", ""), field.get("config"))
                check_default(ftype, field.get("default"))
            except ValidationError as exc:
                errors.extend(f"{where}: {m}" for m in _messages(exc))
        local_ids = {f.get("id") for f in table.get("fields", [])}
        pk = table.get("primary_key")
        if pk:
            for fid in pk.get("fields", []):
                if fid not in local_ids:
                    errors.append(f"Table {tname}: primary key names field id {fid!r}, which is not in the table.")
                elif not field_index[fid][1].get("required"):
                    errors.append(
                        f"Table {tname}: primary-key field {field_index[fid][1]['field_name']} must be Required."
                    )
        for kind, items in (("index", table.get("indexes", [])), ("constraint", table.get("constraints", []))):
            for item in items:
                problem = identifier_problem(item.get("name", ""), f"{kind.title()} name")
                if problem:
                    errors.append(f"Table {tname}: {problem}")
                for fid in item.get("fields", []):
                    if fid not in local_ids:
                        errors.append(f"Table {tname}: {kind} {item.get('name')} names unknown field id {fid!r}.")
                if kind == "index" and not item.get("fields"):
                    errors.append(f"Table {tname}: index {item.get('name')} needs at least one field.")
                if kind == "constraint":
                    if item.get("kind") not in ("unique", "check"):
                        errors.append(f"Table {tname}: constraint {item.get('name')} kind must be unique or check.")
                    elif item["kind"] == "check" and not item.get("expression", "").strip():
                        errors.append(f"Table {tname}: check constraint {item.get('name')} needs an expression.")
                    elif item["kind"] == "unique" and not item.get("fields"):
                        errors.append(f"Table {tname}: unique constraint {item.get('name')} needs fields.")

    relation_owners: dict[str, list[str]] = {}
    for table in tables:
        tname = table.get("table_name", "")
        relation_owners.setdefault(tname, []).append(f"table {tname}")
        if table.get("primary_key"):
            relation_owners.setdefault(table["primary_key"].get("name") or f"{tname}_pkey", []).append(
                f"the primary key of {tname}"
            )
        for index in table.get("indexes", []):
            relation_owners.setdefault(index.get("name", ""), []).append(f"index {index.get('name')} of {tname}")
        for constraint in table.get("constraints", []):
            if constraint.get("kind") == "unique":
                relation_owners.setdefault(constraint.get("name", ""), []).append(
                    f"unique constraint {constraint.get('name')} of {tname}"
                )
    errors.extend(
        f"The name {name!r} is used by {' and '.join(owners)}; tables, indexes, unique constraints and primary keys "
        "share one namespace per PostgreSQL schema."
        for name, owners in relation_owners.items()
        if len(owners) > 1 and name
    )

    required_edges: list[tuple[str, str]] = []
    for dupe, count in Counter(r.get("name") for r in snapshot.get("relationships", [])).items():
        if count > 1:
            errors.append(f"Relationship name {dupe!r} is used {count} times; it must be unique in a project.")
    for rel in snapshot.get("relationships", []):
        rname = rel.get("name", "?")
        problem = identifier_problem(rel.get("name", ""), "Relationship name")
        if problem:
            errors.append(problem)
        if rel.get("type") not in RELATIONSHIP_TYPES:
            errors.append(f"Relationship {rname}: type must be one of {', '.join(RELATIONSHIP_TYPES)}.")
        for side in ("source", "target"):
            tid, fid = rel.get(f"{side}_table"), rel.get(f"{side}_field")
            if tid not in table_ids:
                errors.append(f"Relationship {rname}: {side} table {tid!r} is not in this project.")
            elif fid not in field_index or field_index[fid][0] is not table_ids[tid]:
                errors.append(f"Relationship {rname}: {side} field {fid!r} is not a field of that table.")
        for action_key in ("on_delete", "on_update"):
            if rel.get(action_key, "no_action") not in REFERENTIAL_ACTIONS:
                errors.append(f"Relationship {rname}: {action_key} must be one of {', '.join(REFERENTIAL_ACTIONS)}.")
        if rel.get("type") != "many_to_many" and rel.get("target_field") in field_index:
            target_table, target_field = field_index[rel["target_field"]]
            source = table_ids.get(rel.get("source_table"))
            if target_field.get("required") and source is not None:
                required_edges.append((target_table["table_name"], source["table_name"]))
    cycle = find_required_cycle(required_edges)
    if cycle:
        errors.append(cycle_message(cycle))
    return errors


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)
