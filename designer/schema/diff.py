"""The difference between two snapshots as an ordered list of change operations.

Pure Python, no ORM, no I/O. Objects are matched by their stable ``id``, so a renamed table, field,
index, constraint or relationship is reported as a rename (and compiled to ``ALTER … RENAME``), never as
drop + add. Each operation is a JSON-able dict (versions store them in ``SchemaVersion.changes``)::

    {"op": "add_table" | "drop_table" | "rename_table" | "alter_table"
           | "add_field" | "drop_field" | "rename_field" | "alter_field"
           | "set_primary_key"
           | "add_index" | "drop_index" | "rename_index" | "alter_index"
           | "add_constraint" | "drop_constraint" | "rename_constraint" | "alter_constraint"
           | "add_relationship" | "drop_relationship" | "rename_relationship" | "alter_relationship",
     "table": table id (for table-level objects), "id": object id,
     "changes": {attribute: [before, after]}   # for alter_* (and renames: {"name": [old, new]})
     "summary": "Rename field album.title → album.name"}

``deployable(snapshot)`` is the part of a design that lives in the database (no Deleted tables, no
many-to-many relationship rows — their junction tables carry the real foreign keys); DDL is compiled from
the diff of two deployable snapshots.
"""

from __future__ import annotations

from typing import Any

from .snapshot import Snapshot, canonicalize
from .types import type_label

Op = dict[str, Any]

FIELD_ATTRS = ("data_type", "config", "required", "unique", "default", "description", "name")
TABLE_ATTRS = ("description", "status", "name")
REL_ATTRS = ("type", "source_table", "source_field", "target_table", "target_field", "on_delete", "on_update")


def deployable(snapshot: Snapshot, *, canonical: bool = False) -> Snapshot:
    """The part of the design that exists in the database: no Deleted tables, no m2m relationship rows.

    With ``canonical=True`` the snapshot is taken as already canonical and shared, not copied (read only).
    """
    doc = dict(snapshot) if canonical else canonicalize(snapshot)
    doc["tables"] = [t for t in doc["tables"] if t.get("status") != "deleted"]
    live = {t["id"] for t in doc["tables"]}
    doc["relationships"] = [
        r
        for r in doc["relationships"]
        if r["type"] != "many_to_many"
        and r.get("status") != "deleted"
        and r["source_table"] in live
        and r["target_table"] in live
    ]
    return doc


def _label(field: dict[str, Any]) -> str:
    return type_label(field["data_type"], field.get("config") or {})


def _show(attr: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "none"
    return str(value)


def diff(old: Snapshot, new: Snapshot, *, canonical: bool = False) -> list[Op]:
    """Change operations that turn ``old`` into ``new``, in a stable, readable order.

    ``canonical=True``: both are already canonical (skips the copies; they are only read).
    """
    if not canonical:
        old, new = canonicalize(old), canonicalize(new)
    ops: list[Op] = []
    old_tables = {t["id"]: t for t in old["tables"]}
    new_tables = {t["id"]: t for t in new["tables"]}
    old_fields = {f["id"]: (t, f) for t in old["tables"] for f in t["fields"]}
    new_fields = {f["id"]: (t, f) for t in new["tables"] for f in t["fields"]}

    def fname(fid: str, side: dict) -> str:
        table, field = side[fid]
        return f"{table['table_name']}.{field['field_name']}"

    for tid, table in old_tables.items():
        if tid not in new_tables:
            ops.append({"op": "drop_table", "table": tid, "id": tid, "summary": f"Drop table {table['table_name']}"})
    for tid, table in new_tables.items():
        if tid not in old_tables:
            ops.append({"op": "add_table", "table": tid, "id": tid, "summary": f"Add table {table['table_name']}"})
    for tid, new_t in new_tables.items():
        old_t = old_tables.get(tid)
        if old_t is None:
            continue
        ops.extend(_table_ops(old_t, new_t))

    old_rels = {r["id"]: r for r in old["relationships"]}
    new_rels = {r["id"]: r for r in new["relationships"]}
    for rid, rel in old_rels.items():
        if rid not in new_rels:
            ops.append(
                {
                    "op": "drop_relationship",
                    "id": rid,
                    "summary": f"Drop relationship {rel['name']} "
                    f"({fname(rel['target_field'], old_fields)} → {fname(rel['source_field'], old_fields)})",
                }
            )
    for rid, rel in new_rels.items():
        old_r = old_rels.get(rid)
        if old_r is None:
            ops.append(
                {
                    "op": "add_relationship",
                    "id": rid,
                    "summary": f"Add relationship {rel['name']} "
                    f"({fname(rel['target_field'], new_fields)} → {fname(rel['source_field'], new_fields)}, "
                    f"{rel['type'].replace('_', '-')})",
                }
            )
            continue
        if old_r["name"] != rel["name"]:
            ops.append(
                {
                    "op": "rename_relationship",
                    "id": rid,
                    "changes": {"name": [old_r["name"], rel["name"]]},
                    "summary": f"Rename relationship {old_r['name']} → {rel['name']}",
                }
            )
        changes = {a: [old_r.get(a), rel.get(a)] for a in REL_ATTRS if old_r.get(a) != rel.get(a)}
        if old_r.get("status") != rel.get("status"):
            changes["status"] = [old_r.get("status"), rel.get("status")]
        if changes:
            shown = "; ".join(
                f"{a.replace('_', ' ')} {_show(a, b)} → {_show(a, c)}"
                for a, (b, c) in changes.items()
                if a not in ("source_table", "source_field", "target_table", "target_field")
            )
            if any(a in changes for a in ("source_field", "target_field")):
                shown = (shown + "; " if shown else "") + (
                    f"now {fname(rel['target_field'], new_fields)} → {fname(rel['source_field'], new_fields)}"
                )
            ops.append(
                {
                    "op": "alter_relationship",
                    "id": rid,
                    "changes": changes,
                    "summary": f"Change relationship {rel['name']}: {shown}",
                }
            )
    return ops


def _table_ops(old_t: dict, new_t: dict) -> list[Op]:
    tid = new_t["id"]
    ops: list[Op] = []
    tname = new_t["table_name"]
    if old_t["table_name"] != tname:
        ops.append(
            {
                "op": "rename_table",
                "table": tid,
                "id": tid,
                "changes": {"table_name": [old_t["table_name"], tname]},
                "summary": f"Rename table {old_t['table_name']} → {tname}",
            }
        )
    changes = {a: [old_t.get(a), new_t.get(a)] for a in TABLE_ATTRS if old_t.get(a) != new_t.get(a)}
    if changes:
        shown = "; ".join(f"{a} {_show(a, b)!s} → {_show(a, c)!s}" for a, (b, c) in changes.items())
        ops.append(
            {
                "op": "alter_table",
                "table": tid,
                "id": tid,
                "changes": changes,
                "summary": f"Change table {tname}: {shown}",
            }
        )

    old_f = {f["id"]: f for f in old_t["fields"]}
    new_f = {f["id"]: f for f in new_t["fields"]}
    for fid, field in old_f.items():
        if fid not in new_f:
            ops.append(
                {
                    "op": "drop_field",
                    "table": tid,
                    "id": fid,
                    "summary": f"Drop field {tname}.{field['field_name']} ({_label(field)})",
                }
            )
    for fid, field in new_f.items():
        before = old_f.get(fid)
        if before is None:
            extra = ", required" if field["required"] else ""
            ops.append(
                {
                    "op": "add_field",
                    "table": tid,
                    "id": fid,
                    "summary": f"Add field {tname}.{field['field_name']} ({_label(field)}{extra})",
                }
            )
            continue
        if before["field_name"] != field["field_name"]:
            ops.append(
                {
                    "op": "rename_field",
                    "table": tid,
                    "id": fid,
                    "changes": {"field_name": [before["field_name"], field["field_name"]]},
                    "summary": f"Rename field {tname}.{before['field_name']} → {tname}.{field['field_name']}",
                }
            )
        changes = {a: [before.get(a), field.get(a)] for a in FIELD_ATTRS if before.get(a) != field.get(a)}
        if changes:
            parts = []
            if "data_type" in changes or "config" in changes:
                parts.append(f"type {_label(before)} → {_label(field)}")
            parts += [
                f"{a} {_show(a, b)} → {_show(a, c)}"
                for a, (b, c) in changes.items()
                if a not in ("data_type", "config")
            ]
            ops.append(
                {
                    "op": "alter_field",
                    "table": tid,
                    "id": fid,
                    "changes": changes,
                    "summary": f"Change field {tname}.{field['field_name']}: {'; '.join(parts)}",
                }
            )

    def names(ids: list[str], fields: dict) -> str:
        return ", ".join(fields[i]["field_name"] for i in ids if i in fields)

    if old_t.get("primary_key") != new_t.get("primary_key"):
        old_pk, new_pk = old_t.get("primary_key"), new_t.get("primary_key")
        before = f"{old_pk['name']} ({names(old_pk['fields'], old_f)})" if old_pk else "none"
        after = f"{new_pk['name']} ({names(new_pk['fields'], new_f)})" if new_pk else "none"
        ops.append(
            {
                "op": "set_primary_key",
                "table": tid,
                "id": tid,
                "changes": {"primary_key": [old_pk, new_pk]},
                "summary": f"Change primary key of {tname}: {before} → {after}",
            }
        )

    for kind, key in (("index", "indexes"), ("constraint", "constraints")):
        olds = {i["id"]: i for i in old_t[key]}
        news = {i["id"]: i for i in new_t[key]}
        for oid, item in olds.items():
            if oid not in news:
                ops.append(
                    {"op": f"drop_{kind}", "table": tid, "id": oid, "summary": f"Drop {kind} {item['name']} on {tname}"}
                )
        for oid, item in news.items():
            before = olds.get(oid)
            if before is None:
                what = _describe(kind, item, new_f)
                ops.append(
                    {
                        "op": f"add_{kind}",
                        "table": tid,
                        "id": oid,
                        "summary": f"Add {kind} {item['name']} on {tname} {what}",
                    }
                )
                continue
            if before["name"] != item["name"]:
                ops.append(
                    {
                        "op": f"rename_{kind}",
                        "table": tid,
                        "id": oid,
                        "changes": {"name": [before["name"], item["name"]]},
                        "summary": f"Rename {kind} {before['name']} → {item['name']} on {tname}",
                    }
                )
            attrs = [a for a in item if a not in ("id", "name")]
            changes = {a: [before.get(a), item.get(a)] for a in attrs if before.get(a) != item.get(a)}
            if changes:
                ops.append(
                    {
                        "op": f"alter_{kind}",
                        "table": tid,
                        "id": oid,
                        "changes": changes,
                        "summary": f"Change {kind} {item['name']} on {tname}: "
                        f"{_describe(kind, before, old_f)} → {_describe(kind, item, new_f)}",
                    }
                )
    return ops


def _describe(kind: str, item: dict, fields: dict) -> str:
    cols = ", ".join(fields[i]["field_name"] for i in item.get("fields", []) if i in fields)
    if kind == "index":
        return f"{'unique ' if item.get('unique') else ''}({cols})"
    if item.get("kind") == "check":
        return f"check ({item.get('expression', '')})"
    return f"unique ({cols})"


def summarize(ops: list[Op]) -> str:
    """One line: counts by kind, e.g. ``2 tables added, 1 field renamed``."""
    if not ops:
        return "no changes"
    counts: dict[str, int] = {}
    for op in ops:
        verb, _, noun = op["op"].partition("_")
        counts[f"{noun}|{verb}"] = counts.get(f"{noun}|{verb}", 0) + 1
    past = {"add": "added", "drop": "dropped", "rename": "renamed", "alter": "changed", "set": "changed"}
    parts = []
    for key, n in counts.items():
        noun, verb = key.split("|")
        noun = noun.replace("_", " ").replace("primary key", "primary key")
        plural = noun if n == 1 else ("indexes" if noun == "index" else noun + "s")
        parts.append(f"{n} {plural} {past.get(verb, verb)}")
    return ", ".join(parts)
