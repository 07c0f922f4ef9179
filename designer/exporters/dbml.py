"""DBML (dbdiagram.io) export.

Tables, columns with settings, composite keys and indexes, refs with actions, text choices as enums
(``<table>_<field>``), notes and the project. What DBML has no syntax for — CHECK constraints,
many-to-many relationships, display names, lifecycle status, and the ids of a design drawn in
Tablewright — goes in a ``// tablewright: {…}`` comment line above the table or ref. The project's table
groups and sticky notes (``layout.groups`` / ``layout.notes``, see ``services.imports.with_canvas``) become
``TableGroup`` and ``Note`` blocks. dbdiagram.io ignores
comments; Tablewright's DBML import reads them back, so export → import gives the same ``schema_hash``.
A multi-column UNIQUE constraint is a unique index whose note is ``unique constraint``.
"""

from __future__ import annotations

import json
from typing import Any

from designer.importers.dbml import META_PREFIX, UNIQUE_CONSTRAINT_NOTE
from designer.schema import ids
from designer.schema.snapshot import Snapshot

from . import ExportFormat, register
from .common import field_names, foreign_keys, many_to_many, prepare


def dbml_string(text: str) -> str:
    """A DBML string literal; a backslash is an escape there (dbdiagram.io and pydbml read ``\\`` as one)."""
    text = text.replace("\\", "\\\\")
    if "\n" in text:
        return "'''" + text.replace("'''", "\\'''") + "'''"
    return "'" + text.replace("'", "\\'") + "'"


def dbml_name(name: str) -> str:
    return name if name.replace("_", "a").isalnum() and not name[0].isdigit() else '"' + name.replace('"', '\\"') + '"'


def enum_name(table: dict[str, Any], field: dict[str, Any]) -> str:
    return f"{table['table_name']}_{field['field_name']}"


def dbml_type(table: dict[str, Any], field: dict[str, Any]) -> str:
    family, config = field["data_type"], field["config"]
    if family == "text":
        if config.get("choices"):
            return enum_name(table, field)
        return f"varchar({config['max_length']})" if config.get("max_length") else "text"
    if family == "number":
        kind = config.get("kind", "integer")
        if kind == "decimal":
            return f"numeric({config['precision']},{config.get('scale', 0)})" if config.get("precision") else "numeric"
        return {"float": '"double precision"'}.get(kind, kind)
    if family == "date":
        return config.get("kind", "timestamptz")
    return {"boolean": "boolean", "json": "jsonb", "uuid": "uuid"}[family]


def dbml_default(field: dict[str, Any]) -> str | None:
    value = field["default"]
    if value is None:
        return None
    if field["data_type"] == "number" or value in (
        "now()", "gen_random_uuid()", "current_timestamp", "current_date", "localtime", "localtimestamp",
    ):  # fmt: skip
        return f"`{value}`"
    if value == "current_time":
        return "`current_time`"
    if field["data_type"] == "boolean":
        return value
    return dbml_string(value)


def _meta_line(meta: dict[str, Any]) -> str:
    return f"// {META_PREFIX} {json.dumps(meta, sort_keys=True, ensure_ascii=False)}\n" if meta else ""


def _table_meta(table: dict[str, Any], snap: Snapshot) -> dict[str, Any]:
    tname = table["table_name"]
    meta: dict[str, Any] = {}
    if table["id"] != ids.table_id(tname):
        meta["id"] = table["id"]
    if table["name"] != tname:
        meta["name"] = table["name"]
    if table["status"] != "draft":
        meta["status"] = table["status"]
    fields = {}
    for f in table["fields"]:
        fmeta = {}
        if f["id"] != ids.field_id(tname, f["field_name"]):
            fmeta["id"] = f["id"]
        if f["name"] != f["field_name"]:
            fmeta["name"] = f["name"]
        if f["data_type"] == "text" and f["config"].get("choices") and f["config"].get("max_length"):
            fmeta["config"] = f["config"]
        if fmeta:
            fields[f["field_name"]] = fmeta
    if fields:
        meta["fields"] = fields
    indexes = {i["name"]: i["id"] for i in table["indexes"] if i["id"] != ids.index_id(tname, i["name"])}
    if indexes:
        meta["indexes"] = indexes
    constraints = {c["name"]: c["id"] for c in table["constraints"] if c["id"] != ids.constraint_id(tname, c["name"])}
    if constraints:
        meta["constraints"] = constraints
    checks = [{"name": c["name"], "expression": c["expression"]} for c in table["constraints"] if c["kind"] == "check"]
    if checks:
        meta["checks"] = checks
    tables = {t["id"]: t for t in snap["tables"]}
    fields_by_id = {f["id"]: f for t in snap["tables"] for f in t["fields"]}
    m2m = []
    for rel in many_to_many(snap):
        if rel["junction_table"] != table["id"]:
            continue
        entry = {
            "name": rel["name"],
            "source_table": tables[rel["source_table"]]["table_name"],
            "source_field": fields_by_id[rel["source_field"]]["field_name"],
            "target_table": tables[rel["target_table"]]["table_name"],
            "target_field": fields_by_id[rel["target_field"]]["field_name"],
            "on_delete": rel["on_delete"],
            "on_update": rel["on_update"],
            "status": rel["status"],
        }
        if rel["id"] != ids.relationship_id(rel["name"], tname):
            entry["id"] = rel["id"]
        m2m.append(entry)
    if m2m:
        meta["many_to_many"] = m2m
    return meta


def _column(table: dict[str, Any], field: dict[str, Any], single_pk: bool) -> str:
    settings = []
    if single_pk:
        settings.append("pk")
    if field["config"].get("identity"):
        settings.append("increment")
    if field["required"] and not single_pk:
        settings.append("not null")
    if field["unique"]:
        settings.append("unique")
    default = dbml_default(field)
    if default is not None:
        settings.append(f"default: {default}")
    if field["description"]:
        settings.append(f"note: {dbml_string(field['description'])}")
    suffix = f" [{', '.join(settings)}]" if settings else ""
    return f"  {dbml_name(field['field_name'])} {dbml_type(table, field)}{suffix}"


def _index_columns(table: dict[str, Any], field_ids: list[str]) -> str:
    names = [dbml_name(n) for n in field_names(table, field_ids)]
    return names[0] if len(names) == 1 else f"({', '.join(names)})"


def _ref_settings(rel: dict[str, Any]) -> str:
    settings = [
        f"{key}: {rel[f'on_{key}'].replace('_', ' ')}"
        for key in ("delete", "update")
        if rel[f"on_{key}"] != "no_action"
    ]
    return f" [{', '.join(settings)}]" if settings else ""


def _many_to_many_ref(rel: dict[str, Any], tables: dict, fields: dict) -> str:
    ends = [
        f"{dbml_name(tables[rel[f'{side}_table']]['table_name'])}.{dbml_name(fields[rel[f'{side}_field']]['field_name'])}"
        for side in ("source", "target")
    ]
    return f"Ref {dbml_name(rel['name'])}: {ends[0]} <> {ends[1]}{_ref_settings(rel)}\n"


def _plain_many_to_many(snap: Snapshot) -> dict[str, str]:
    """Many-to-many relationships whose junction table is exactly what importing ``a.x <> b.y`` generates:
    relationship id -> that ``<>`` Ref line (written instead of the junction table and its two refs).
    Checked by importing the Ref on its own and comparing, so export and import cannot drift apart."""
    from designer.importers.dbml import read_dbml

    tables = {t["id"]: t for t in snap["tables"]}
    fields = {f["id"]: f for t in snap["tables"] for f in t["fields"]}
    plain = {}
    for rel in many_to_many(snap):
        ends = {rel["source_table"]: rel["source_field"], rel["target_table"]: rel["target_field"]}
        if rel["junction_table"] not in tables or any(fields[f]["config"].get("choices") for f in ends.values()):
            continue
        mini = "".join(
            f"Table {dbml_name(tables[t]['table_name'])} {{\n  {dbml_name(fields[f]['field_name'])} "
            f"{dbml_type(tables[t], fields[f])} [pk]\n}}\n"
            for t, f in ends.items()
        )
        line = _many_to_many_ref(rel, tables, fields)
        try:
            generated = read_dbml(mini + line).snapshot
        except Exception:  # noqa: BLE001 - anything unusual: keep the explicit junction table
            continue
        junction = rel["junction_table"]
        actual = [r for r in snap["relationships"] if r["target_table"] == junction or r["id"] == rel["id"]]
        made = [r for r in generated["relationships"] if r["target_table"] == junction or r["type"] == "many_to_many"]
        made_table = next((t for t in generated["tables"] if t["id"] == junction), None)
        if made_table == tables[junction] and sorted(made, key=lambda r: r["id"]) == sorted(
            actual, key=lambda r: r["id"]
        ):
            plain[rel["id"]] = line
    return plain


def to_dbml(snapshot: Snapshot) -> str:
    snap = prepare(snapshot)
    out = []
    plain_m2m = _plain_many_to_many(snap)
    generated_junctions = {r["junction_table"] for r in many_to_many(snap) if r["id"] in plain_m2m}
    project = snap.get("project") or {}
    if project.get("name") or project.get("description"):
        body = "  database_type: 'PostgreSQL'\n"
        if project.get("description"):
            body += f"  Note: {dbml_string(project['description'])}\n"
        out.append(f"Project {dbml_name(project.get('name') or 'design')} {{\n{body}}}\n")
    for table in snap["tables"]:
        for field in table["fields"]:
            if field["data_type"] == "text" and field["config"].get("choices"):
                items = "".join(f"  {json.dumps(c, ensure_ascii=False)}\n" for c in field["config"]["choices"])
                out.append(f"Enum {enum_name(table, field)} {{\n{items}}}\n")
    for table in snap["tables"]:
        if table["id"] in generated_junctions:
            continue
        pk = table.get("primary_key")
        default_pk = pk and len(pk["fields"]) == 1 and pk["name"] == f"{table['table_name']}_pkey"
        lines = [_column(table, f, bool(default_pk) and f["id"] == pk["fields"][0]) for f in table["fields"]]
        index_lines = []
        if pk and not default_pk:
            index_lines.append(f"    {_index_columns(table, pk['fields'])} [pk, name: {dbml_string(pk['name'])}]")
        for c in table["constraints"]:
            if c["kind"] == "unique":
                note = dbml_string(UNIQUE_CONSTRAINT_NOTE)
                index_lines.append(
                    f"    {_index_columns(table, c['fields'])} [unique, name: {dbml_string(c['name'])}, note: {note}]"
                )
        for i in table["indexes"]:
            unique = "unique, " if i["unique"] else ""
            index_lines.append(f"    {_index_columns(table, i['fields'])} [{unique}name: {dbml_string(i['name'])}]")
        if index_lines:
            lines.append("\n  indexes {\n" + "\n".join(index_lines) + "\n  }")
        if table["description"]:
            lines.append(f"\n  Note: {dbml_string(table['description'])}")
        out.append(
            _meta_line(_table_meta(table, snap))
            + f"Table {dbml_name(table['table_name'])} {{\n"
            + "\n".join(lines)
            + "\n}\n"
        )
    for fk in foreign_keys(snap):
        if fk.table["id"] in generated_junctions:
            continue
        rel = fk.rel
        meta = {}
        if rel["id"] != ids.relationship_id(rel["name"], fk.table["table_name"]):
            meta["id"] = rel["id"]
        if rel["status"] != "draft":
            meta["status"] = rel["status"]
        arrow = "-" if rel["type"] == "one_to_one" else ">"
        suffix = _ref_settings(rel)
        out.append(
            _meta_line(meta)
            + f"Ref {dbml_name(rel['name'])}: {dbml_name(fk.table['table_name'])}.{dbml_name(fk.field['field_name'])} "
            f"{arrow} {dbml_name(fk.ref_table['table_name'])}.{dbml_name(fk.ref_field['field_name'])}{suffix}\n"
        )
    out += plain_m2m.values()
    out += _canvas(snap, generated_junctions)
    return "\n".join(out)


def _canvas(snap: Snapshot, hidden: set[str]) -> list[str]:
    """The project's table groups (``TableGroup name [color: #rrggbb] { table … }``) and sticky notes
    (``Note note_1 { '…' }``), when the snapshot carries them (``layout.groups`` / ``layout.notes``)."""
    layout = snap.get("layout") or {}
    names = {t["id"]: t["table_name"] for t in snap["tables"] if t["id"] not in hidden}
    out = []
    for group in layout.get("groups") or []:
        members = sorted(names[t] for t in group.get("tables", []) if t in names)
        if not members:
            continue  # DBML has no empty group
        color = f" [color: {group['color']}]" if group.get("color") else ""
        body = "".join(f"  {dbml_name(m)}\n" for m in members)
        out.append(f"TableGroup {dbml_name(group['name'])}{color} {{\n{body}}}\n")
    for n, note in enumerate(layout.get("notes") or [], start=1):
        out.append(f"Note note_{n} {{\n  {dbml_string(note['text'])}\n}}\n")
    return out


register(
    ExportFormat(key="dbml", label="DBML (dbdiagram.io)", extension="dbml", content_type="text/plain", render=to_dbml)
)
