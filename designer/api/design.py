"""The API's table shape (seed 001) to and from the design: read from the canonical snapshot, written through
the designer's services (same validation, locks, history, revision bump and live broadcast as the pages).

Names in requests (columns, ``table.column`` references) are resolved here; every rule about them is the
services'. A refusal is re-keyed to where it sits in the request (``loc``), with the service's own message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from designer.ddl.names import object_name
from designer.models import DataField, DataTable, Project, TableRelationship
from designer.schema.snapshot import Snapshot
from designer.services import fields as field_service
from designer.services import indexes as index_service
from designer.services import relationships as relationship_service
from designer.services import tables as table_service

from .errors import ApiError, validation_details, validation_error
from .schemas import FieldPatch, FieldSpec, TableSchema

TABLE_ID_PREFIX = "tbl_"
# service keys -> the API's names for them
_FIELD_KEYS = {
    "field_name": "name",
    "name": "name",
    "data_type": "type",
    "field_config": "type",
    "default_value": "default",
    "is_required": "required",
    "is_unique": "unique",
    "sort_order": "name",
    "field": "name",
}


def table_id(uid) -> str:
    return f"{TABLE_ID_PREFIX}{uid.hex if hasattr(uid, 'hex') else str(uid).replace('-', '')}"


def find_table(project: Project, ident: str) -> DataTable:
    """A table by its API id (``tbl_<stable id>``) or its name; 404 ``TABLE_NOT_FOUND``."""
    qs = DataTable.objects.filter(project=project)
    table = None
    raw = ident[len(TABLE_ID_PREFIX) :] if ident.startswith(TABLE_ID_PREFIX) else ""
    if len(raw) == 32 and all(c in "0123456789abcdef" for c in raw):
        table = qs.filter(uid=raw).first()
    if table is None and len(ident) <= 63:
        table = qs.filter(table_name=ident).first()
    if table is None:
        raise ApiError("TABLE_NOT_FOUND", f"Table not found: {ident}")
    table.project = project
    return table


def find_field(table: DataTable, name: str) -> DataField:
    field = DataField.objects.filter(table=table, field_name=name).first() if len(name) <= 63 else None
    if field is None:
        names = ", ".join(table.fields.values_list("field_name", flat=True)) or "none"
        raise ApiError("COLUMN_NOT_FOUND", f"Column not found: {table.table_name}.{name} (columns: {names})")
    field.table = table
    return field


# --- reading: snapshot -> API ---------------------------------------------------------------------------------
def api_type(family: str, config: dict[str, Any]) -> dict[str, Any]:
    """The type as seed 001 names it, with the options that make it exact (round-trips through the API)."""
    out: dict[str, Any] = {}
    if family == "text":
        out["type"] = "string"
        if config.get("max_length"):
            out["max_length"] = config["max_length"]
        if config.get("choices"):
            out["choices"] = list(config["choices"])
    elif family == "number":
        out["type"] = config.get("kind", "integer")
        if out["type"] == "decimal" and config.get("precision"):
            out["precision"], out["scale"] = config["precision"], config.get("scale", 0)
        if config.get("identity"):
            out["identity"] = True
    elif family == "date":
        kind = config.get("kind", "timestamptz")
        out["type"] = kind if kind != "date" else "date"
        if kind == "date":
            out["kind"] = "date"
    else:
        out["type"] = family
    return out


def _typed_default(family: str, config: dict[str, Any], value: str | None) -> Any:
    if value is None:
        return None
    kind = config.get("kind")
    try:
        if family == "number" and kind in ("smallint", "integer", "bigint"):
            return int(value)
        if family == "number" and kind == "float":
            return float(value)
        if family == "boolean":
            return value.lower() in ("true", "t", "1", "yes", "on")
        if family == "json":
            return json.loads(value)
    except (ValueError, json.JSONDecodeError):
        return value
    return value


def field_out(field: dict[str, Any], pk_ids: list[str]) -> dict[str, Any]:
    out = api_type(field["data_type"], field.get("config") or {})
    out["required"] = bool(field["required"])
    default = _typed_default(field["data_type"], field.get("config") or {}, field.get("default"))
    if default is not None:
        out["default"] = default
    if field.get("unique"):
        out["unique"] = True
    if field["id"] in pk_ids:
        out["primary_key"] = True
    if field.get("description"):
        out["description"] = field["description"]
    return out


def table_schema_out(table: dict[str, Any], snapshot: Snapshot, index_order: dict | None = None) -> dict[str, Any]:
    """Seed 001's ``schema`` of a snapshot table; indexes in the order they were made (``index_order``: stable id
    -> creation time), as the request listed them."""
    names = {f["id"]: f["field_name"] for f in table["fields"]}
    pk = table.get("primary_key") or {}
    pk_ids = list(pk.get("fields") or [])
    schema: dict[str, Any] = {
        "fields": {f["field_name"]: field_out(f, pk_ids) for f in table["fields"]},
        "indexes": [],
    }
    ordered = sorted(table["indexes"], key=lambda i: ((index_order or {}).get(i["id"]) or 0, i["name"]))
    for index in ordered if index_order else table["indexes"]:
        columns = [names[i] for i in index["fields"]]
        plain = len(columns) == 1 and not index["unique"]
        if plain and index["name"] == object_name(table["table_name"], columns, "idx"):
            schema["indexes"].append(columns[0])
        else:
            schema["indexes"].append({"name": index["name"], "columns": columns, "unique": bool(index["unique"])})
    if len(pk_ids) > 1 or (pk_ids and pk.get("name")):
        schema["primary_key"] = [names[i] for i in pk_ids]
    uniques = [c for c in table["constraints"] if c["kind"] == "unique"]
    checks = [c for c in table["constraints"] if c["kind"] == "check"]
    if uniques:
        schema["unique"] = [{"name": c["name"], "columns": [names[i] for i in c["fields"]]} for c in uniques]
    if checks:
        schema["checks"] = [{"name": c["name"], "expression": c["expression"]} for c in checks]
    by_id = {t["id"]: t for t in snapshot["tables"]}
    fks = []
    for rel in snapshot["relationships"]:
        if rel["target_table"] != table["id"] or rel["type"] == "many_to_many":
            continue
        source = by_id[rel["source_table"]]
        source_field = next(f["field_name"] for f in source["fields"] if f["id"] == rel["source_field"])
        fks.append(
            {
                "column": names[rel["target_field"]],
                "references": f"{source['table_name']}.{source_field}",
                "name": rel["name"],
                "type": rel["type"],
                "on_delete": rel["on_delete"],
                "on_update": rel["on_update"],
            }
        )
    if fks:
        schema["foreign_keys"] = fks
    return schema


def columns_out(table: dict[str, Any]) -> list[dict[str, Any]]:
    pk_ids = list((table.get("primary_key") or {}).get("fields") or [])
    return [{"name": f["field_name"], **field_out(f, pk_ids)} for f in table["fields"]]


# --- writing: API -> services ---------------------------------------------------------------------------------
@contextmanager
def at(*loc: str | int, keys: dict[str, str] | None = None) -> Iterator[None]:
    """Re-key a service's refusal to where it sits in the request (``body.schema.fields.<name>.type``…)."""
    try:
        yield
    except ValidationError as exc:
        details = []
        for d in validation_details(exc, prefix=()):
            key = d["loc"][0] if d["loc"] else None
            mapped = (keys or {}).get(key, key) if key else None
            details.append({"loc": ["body", *loc, *([mapped] if mapped else [])], "msg": d["msg"]})
        raise validation_error(details) from exc


def _config(spec: FieldSpec | FieldPatch) -> dict[str, Any]:
    keys = ("max_length", "precision", "scale", "choices", "identity", "kind")
    return {k: getattr(spec, k) for k in keys if getattr(spec, k) is not None}


def _default_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def add_column(table: DataTable, *, actor, name: str, spec: FieldSpec, loc: tuple = ()) -> DataField:
    with at(*loc, keys=_FIELD_KEYS):
        return field_service.create_field(
            table,
            actor=actor,
            field_name=name,
            data_type=spec.type,
            field_config=_config(spec),
            is_required=spec.required,
            is_unique=bool(spec.unique),
            default_value=_default_text(spec.default),
            description=spec.description or "",
            primary_key=bool(spec.primary_key),
        )


def change_column(field: DataField, *, actor, patch: FieldPatch, loc: tuple = ()) -> DataField:
    given = patch.model_fields_set
    kwargs: dict[str, Any] = {}
    if "name" in given and patch.name is not None:
        kwargs["field_name"] = patch.name
    type_keys = {"type", "max_length", "precision", "scale", "choices", "identity", "kind"}
    if given & type_keys:
        kwargs["data_type"] = patch.type or field.data_type
        kwargs["field_config"] = _config(patch) if "type" in given else {**(field.field_config or {}), **_config(patch)}
    if patch.required is not None:
        kwargs["is_required"] = patch.required
    if patch.unique is not None:
        kwargs["is_unique"] = patch.unique
    if patch.primary_key is not None:
        kwargs["primary_key"] = patch.primary_key
    if patch.description is not None:
        kwargs["description"] = patch.description
    if patch.clear_default:
        kwargs["default_value"] = None
    elif "default" in given:
        kwargs["default_value"] = _default_text(patch.default)
    with at(*loc, keys=_FIELD_KEYS):
        return field_service.update_field(field, actor=actor, **kwargs)


def refusal(loc: tuple, msg: str) -> ApiError:
    """A 422 about one place in the request body."""
    return validation_error([{"loc": ["body", *loc], "msg": msg}])


def columns_named(table: DataTable, names: list[str], loc: tuple) -> list[DataField]:
    """The table's fields with these names, in this order; 422 naming the unknown ones and the known."""
    by_name = {f.field_name: f for f in DataField.objects.filter(table=table)}
    missing = [n for n in names if n not in by_name]
    if missing:
        known = ", ".join(sorted(by_name)) or "none"
        raise validation_error(
            [
                {
                    "loc": ["body", *loc],
                    "msg": f"{', '.join(missing)}: not a field of {table.table_name} (fields: {known}).",
                }
            ]
        )
    return [by_name[n] for n in names]


def _reference(project: Project, text: str, loc: tuple) -> DataField:
    table_name, _, column = text.partition(".")
    field = (
        DataField.objects.select_related("table")
        .filter(table__project=project, table__table_name=table_name, field_name=column)
        .first()
    )
    if field is None:
        raise validation_error(
            [{"loc": ["body", *loc], "msg": f"{text!r} is not a column of this project; write it as table.column."}]
        )
    return field


def _apply_keys_and_constraints(table: DataTable, schema: TableSchema, *, actor, base: tuple) -> None:
    """Primary key, indexes, unique and check constraints, foreign keys of ``schema`` (fields exist already)."""
    pk_names = schema.primary_key
    if isinstance(pk_names, str):
        pk_names = [pk_names]
    if pk_names is not None:
        with at(*base, "primary_key", keys={"primary_key": None, "pk_name": None}):
            index_service.set_primary_key(
                table, actor=actor, field_ids=[f.pk for f in columns_named(table, pk_names, (*base, "primary_key"))]
            )
    for i, index in enumerate(schema.indexes):
        loc = (*base, "indexes", i)
        spec = {"columns": [index], "unique": False, "name": None} if isinstance(index, str) else index.model_dump()
        with at(*loc, keys={"fields": "columns"}):
            index_service.create_index(
                table,
                actor=actor,
                field_ids=[f.pk for f in columns_named(table, spec["columns"], loc)],
                name=spec["name"],
                is_unique=spec["unique"],
            )
    for i, unique in enumerate(schema.unique):
        loc = (*base, "unique", i)
        with at(*loc, keys={"fields": "columns"}):
            index_service.create_constraint(
                table,
                actor=actor,
                kind="unique",
                field_ids=[f.pk for f in columns_named(table, unique.columns, loc)],
                name=unique.name,
            )
    for i, check in enumerate(schema.checks):
        with at(*base, "checks", i):
            index_service.create_constraint(
                table, actor=actor, kind="check", expression=check.expression, name=check.name
            )
    for i, fk in enumerate(schema.foreign_keys):
        loc = (*base, "foreign_keys", i)
        add_foreign_key(table, actor=actor, fk=fk, loc=loc)


def add_foreign_key(table: DataTable, *, actor, fk, loc: tuple) -> TableRelationship:
    column = columns_named(table, [fk.column], (*loc, "column"))[0]
    source = _reference(table.project, fk.references, (*loc, "references"))
    keys = {"source_field": "references", "target_field": "column", "relationship_name": "name"}
    with at(*loc, keys=keys):
        return relationship_service.create_relationship(
            table.project,
            actor=actor,
            source_field=source,
            target_field=column,
            relationship_type=fk.type,
            relationship_name=fk.name,
            on_delete=fk.on_delete,
            on_update=fk.on_update,
        )


@transaction.atomic
def create_table(project: Project, *, actor, table_name: str, description: str, schema: TableSchema) -> DataTable:
    """Seed 001's POST /tables: the table with its fields, keys, indexes and constraints, all or nothing."""
    with at(keys={"name": "table_name"}):
        try:
            table = table_service.create_table(project, actor=actor, table_name=table_name, description=description)
        except table_service.TableNameTaken as exc:
            raise ApiError(
                "TABLE_ALREADY_EXISTS", f"Table '{table_name.strip()}' already exists in project: {project.slug}"
            ) from exc
    table.project = project
    for name, spec in schema.fields.items():
        add_column(table, actor=actor, name=name, spec=spec, loc=("schema", "fields", name))
    _apply_keys_and_constraints(table, schema, actor=actor, base=("schema",))
    # ``updated_at`` stays null in answers until the table is changed after this request
    DataTable.objects.filter(pk=table.pk).update(updated_at=table.created_at)
    return table


@transaction.atomic
def replace_table(
    table: DataTable, *, actor, table_name: str | None, description: str | None, schema: TableSchema | None
) -> DataTable:
    """PUT: rename and describe the table, and make its schema exactly ``schema`` (fields matched by name:
    changed in place, added, or dropped; keys, indexes and constraints replaced)."""
    if table_name is not None or description is not None:
        with at(keys={"name": "table_name"}):
            try:
                table_service.update_table(table, actor=actor, table_name=table_name, description=description)
            except table_service.TableNameTaken as exc:
                raise ApiError(
                    "TABLE_ALREADY_EXISTS",
                    f"Table '{(table_name or '').strip()}' already exists in project: {table.project.slug}",
                ) from exc
    if schema is None:
        return table
    project = table.project
    # what this table holds that the new schema restates: its own foreign keys, indexes, constraints
    for rel in TableRelationship.objects.filter(target_table=table).exclude(relationship_type="many_to_many"):
        relationship_service.delete_relationship(rel, actor=actor)
    for index in table.indexes.all():
        index_service.delete_index(index, actor=actor)
    for constraint in table.constraints.all():
        index_service.delete_constraint(constraint, actor=actor)
    wanted = schema.fields
    for field in list(DataField.objects.filter(table=table)):
        if field.field_name not in wanted:
            field.table = table
            with at("schema", "fields", field.field_name, keys=_FIELD_KEYS):
                field_service.delete_field(field, actor=actor)
    existing = {f.field_name: f for f in DataField.objects.filter(table=table)}
    for name, spec in wanted.items():
        loc = ("schema", "fields", name)
        if name in existing:
            field = existing[name]
            field.table = table
            patch = FieldPatch(
                type=spec.type,
                required=spec.required,
                default=spec.default,
                clear_default=spec.default is None,
                unique=bool(spec.unique),
                primary_key=bool(spec.primary_key) if schema.primary_key is None else None,
                description=spec.description or "",
                **_config(spec),
            )
            change_column(field, actor=actor, patch=patch, loc=loc)
        else:
            add_column(table, actor=actor, name=name, spec=spec, loc=loc)
    _apply_keys_and_constraints(table, schema, actor=actor, base=("schema",))
    table.refresh_from_db()
    table.project = project
    return table
