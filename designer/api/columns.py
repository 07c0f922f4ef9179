"""Seed 000's columns endpoints and what a user then expects of a table: its indexes, its unique and check
constraints and its primary key, under ``/v1/public/{project_id}/tables/{table_id}/…``."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from designer.models import TableConstraint, TableIndex
from designer.services import fields as field_service
from designer.services import indexes as index_service

from . import design
from .auth import project_for
from .common import set_etag, snapshot_table, writing
from .errors import ApiError, responses
from .schemas import (
    ColumnDeleted,
    ColumnIn,
    ColumnList,
    ColumnOut,
    ConstraintIn,
    ConstraintList,
    ConstraintOut,
    FieldPatch,
    IndexList,
    IndexOut,
    IndexSpec,
    PrimaryKeyIn,
    PrimaryKeyOut,
    Removed,
)

router = Router(tags=["columns, indexes and constraints"])
TABLE = "/{project_id}/tables/{table_id}"
READ = ("UNAUTHORIZED", "PROJECT_NOT_FOUND", "TABLE_NOT_FOUND")
WRITE = (*READ, "REVISION_CONFLICT", "VALIDATION_ERROR", "TABLE_LOCKED", "RATE_LIMITED")


def _table(request: HttpRequest, project_id: str, table_id: str, *, write: bool = False):
    return design.find_table(project_for(request, project_id, write=write), table_id)


def _column(table, name: str) -> dict:
    current, _ = snapshot_table(table)
    return next(c for c in design.columns_out(current) if c["name"] == name)


# --- columns ---------------------------------------------------------------------------------------------------
@router.get(f"{TABLE}/columns", response={200: ColumnList, **responses(*READ)}, exclude_unset=True,
            summary="The table's columns")  # fmt: skip
def list_columns(request: HttpRequest, project_id: str, table_id: str):
    table = _table(request, project_id, table_id)
    current, _ = snapshot_table(table)
    set_etag(request, table)
    return {"table_id": design.table_id(table.uid), "columns": design.columns_out(current)}


@router.post(f"{TABLE}/columns", response={201: ColumnOut, **responses(*WRITE)}, exclude_unset=True,
             summary="Add a column")  # fmt: skip
def add_column(request: HttpRequest, project_id: str, table_id: str, payload: ColumnIn):
    table = _table(request, project_id, table_id, write=True)
    with writing(request, table):
        field = design.add_column(table, actor=request.auth.user, name=payload.name, spec=payload)
    set_etag(request, table)
    return Status(201, _column(table, field.field_name))


@router.patch(
    f"{TABLE}/columns/{{column}}",
    response={200: ColumnOut, **responses(*WRITE, "COLUMN_NOT_FOUND")},
    exclude_unset=True,
    summary="Change a column (only what is given: rename, type, required, default, unique, key, comment)",
)
def change_column(request: HttpRequest, project_id: str, table_id: str, column: str, payload: FieldPatch):
    table = _table(request, project_id, table_id, write=True)
    field = design.find_field(table, column)
    with writing(request, table):
        field = design.change_column(field, actor=request.auth.user, patch=payload)
    set_etag(request, table)
    return _column(table, field.field_name)


@router.delete(
    f"{TABLE}/columns/{{column}}",
    response={200: ColumnDeleted, **responses(*WRITE, "COLUMN_NOT_FOUND")},
    summary="Drop a column (its indexes and constraints go with it; refused while a relationship uses it)",
)
def drop_column(request: HttpRequest, project_id: str, table_id: str, column: str):
    table = _table(request, project_id, table_id, write=True)
    field = design.find_field(table, column)
    with writing(request, table), design.at("column", keys={"field": None}):
        removed = field_service.delete_field(field, actor=request.auth.user)
    set_etag(request, table)
    return {"table_id": design.table_id(table.uid), "column": column, "deleted": True, "removed": removed}


# --- indexes ---------------------------------------------------------------------------------------------------
def _indexes(table) -> list[dict]:
    current, _ = snapshot_table(table)
    names = {f["id"]: f["field_name"] for f in current["fields"]}
    return [
        {"name": i["name"], "columns": [names[f] for f in i["fields"]], "unique": bool(i["unique"])}
        for i in current["indexes"]
    ]


@router.get(f"{TABLE}/indexes", response={200: IndexList, **responses(*READ)}, summary="The table's indexes")
def list_indexes(request: HttpRequest, project_id: str, table_id: str):
    table = _table(request, project_id, table_id)
    set_etag(request, table)
    return {"table_id": design.table_id(table.uid), "indexes": _indexes(table)}


@router.post(f"{TABLE}/indexes", response={201: IndexOut, **responses(*WRITE)}, summary="Add an index")
def add_index(request: HttpRequest, project_id: str, table_id: str, payload: IndexSpec):
    table = _table(request, project_id, table_id, write=True)
    with writing(request, table), design.at(keys={"fields": "columns"}):
        index = index_service.create_index(
            table,
            actor=request.auth.user,
            field_ids=[f.pk for f in design.columns_named(table, payload.columns, ("columns",))],
            name=payload.name,
            is_unique=payload.unique,
        )
    set_etag(request, table)
    return Status(201, next(i for i in _indexes(table) if i["name"] == index.name))


@router.delete(
    f"{TABLE}/indexes/{{name}}",
    response={200: Removed, **responses(*WRITE, "INDEX_NOT_FOUND")},
    summary="Drop an index",
)
def drop_index(request: HttpRequest, project_id: str, table_id: str, name: str):
    table = _table(request, project_id, table_id, write=True)
    index = TableIndex.objects.filter(table=table, name=name).first()
    if index is None:
        known = ", ".join(i["name"] for i in _indexes(table)) or "none"
        raise ApiError("INDEX_NOT_FOUND", f"Index not found: {table.table_name}.{name} (indexes: {known})")
    index.table = table
    with writing(request, table):
        index_service.delete_index(index, actor=request.auth.user)
    set_etag(request, table)
    return {"table_id": design.table_id(table.uid), "name": name, "deleted": True}


# --- unique and check constraints ------------------------------------------------------------------------------
def _constraints(table) -> list[dict]:
    current, _ = snapshot_table(table)
    names = {f["id"]: f["field_name"] for f in current["fields"]}
    out = []
    for c in current["constraints"]:
        if c["kind"] == "unique":
            out.append({"name": c["name"], "kind": "unique", "columns": [names[f] for f in c["fields"]]})
        else:
            out.append({"name": c["name"], "kind": "check", "expression": c["expression"]})
    return out


@router.get(
    f"{TABLE}/constraints",
    response={200: ConstraintList, **responses(*READ)},
    exclude_unset=True,
    summary="The table's unique and check constraints",
)
def list_constraints(request: HttpRequest, project_id: str, table_id: str):
    table = _table(request, project_id, table_id)
    set_etag(request, table)
    return {"table_id": design.table_id(table.uid), "constraints": _constraints(table)}


@router.post(
    f"{TABLE}/constraints",
    response={201: ConstraintOut, **responses(*WRITE)},
    exclude_unset=True,
    summary="Add a unique or check constraint",
)
def add_constraint(request: HttpRequest, project_id: str, table_id: str, payload: ConstraintIn):
    table = _table(request, project_id, table_id, write=True)
    if payload.kind == "unique" and not payload.columns:
        raise design.refusal(("columns",), 'A unique constraint needs its columns, e.g. ["email"].')
    if payload.kind == "check" and not (payload.expression or "").strip():
        raise design.refusal(("expression",), 'A check constraint needs a boolean SQL expression, e.g. "price >= 0".')
    with writing(request, table), design.at(keys={"fields": "columns"}):
        fields = design.columns_named(table, payload.columns, ("columns",)) if payload.kind == "unique" else []
        constraint = index_service.create_constraint(
            table,
            actor=request.auth.user,
            kind=payload.kind,
            field_ids=[f.pk for f in fields],
            expression=payload.expression or "",
            name=payload.name,
        )
    set_etag(request, table)
    return Status(201, next(c for c in _constraints(table) if c["name"] == constraint.name))


@router.delete(
    f"{TABLE}/constraints/{{name}}",
    response={200: Removed, **responses(*WRITE, "CONSTRAINT_NOT_FOUND")},
    summary="Drop a unique or check constraint",
)
def drop_constraint(request: HttpRequest, project_id: str, table_id: str, name: str):
    table = _table(request, project_id, table_id, write=True)
    constraint = TableConstraint.objects.filter(table=table, name=name).first()
    if constraint is None:
        known = ", ".join(c["name"] for c in _constraints(table)) or "none"
        raise ApiError(
            "CONSTRAINT_NOT_FOUND", f"Constraint not found: {table.table_name}.{name} (constraints: {known})"
        )
    constraint.table = table
    with writing(request, table):
        index_service.delete_constraint(constraint, actor=request.auth.user)
    set_etag(request, table)
    return {"table_id": design.table_id(table.uid), "name": name, "deleted": True}


# --- primary key -----------------------------------------------------------------------------------------------
def _primary_key(table) -> dict:
    current, _ = snapshot_table(table)
    names = {f["id"]: f["field_name"] for f in current["fields"]}
    pk = current.get("primary_key") or {}
    return {
        "table_id": design.table_id(table.uid),
        "columns": [names[f] for f in pk.get("fields") or []],
        "name": pk.get("name") or f"{table.table_name}_pkey",
    }


@router.get(f"{TABLE}/primary_key", response={200: PrimaryKeyOut, **responses(*READ)}, summary="The primary key")
def get_primary_key(request: HttpRequest, project_id: str, table_id: str):
    table = _table(request, project_id, table_id)
    set_etag(request, table)
    return _primary_key(table)


@router.put(
    f"{TABLE}/primary_key",
    response={200: PrimaryKeyOut, **responses(*WRITE)},
    summary="Make exactly these columns, in this order, the primary key ([] removes it)",
)
def set_primary_key(request: HttpRequest, project_id: str, table_id: str, payload: PrimaryKeyIn):
    table = _table(request, project_id, table_id, write=True)
    with writing(request, table), design.at(keys={"primary_key": "columns", "pk_name": "name"}):
        index_service.set_primary_key(
            table,
            actor=request.auth.user,
            field_ids=[f.pk for f in design.columns_named(table, payload.columns, ("columns",))],
            name=payload.name,
        )
    set_etag(request, table)
    return _primary_key(table)
