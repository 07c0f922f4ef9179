"""Seed 001's tables endpoints and seed 000's PUT, under ``/v1/public/{project_id}/tables``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from designer.services import tables as table_service

from . import design
from .auth import project_for
from .common import table_out, tables_out, writing
from .errors import responses
from .schemas import TableDeleted, TableIn, TableList, TableOut, TablePut

router = Router(tags=["tables"])


class Page(Schema):
    limit: int | None = Field(None, ge=1, le=1000, description="Tables per page (default API_PAGE_SIZE, 100).")
    offset: int = Field(0, ge=0, le=1_000_000)
    include_deleted: bool = Field(False, description="Also list soft-deleted tables.")


@router.post(
    "/{project_id}/tables",
    response={
        201: TableOut,
        **responses("UNAUTHORIZED", "PROJECT_NOT_FOUND", "TABLE_ALREADY_EXISTS", "VALIDATION_ERROR", "RATE_LIMITED"),
    },
    by_alias=True,
    exclude_unset=True,
    summary="Create a table with its schema",
)
def create_table(request: HttpRequest, project_id: str, payload: TableIn):
    project = project_for(request, project_id, write=True)
    with writing(request):
        table = design.create_table(
            project,
            actor=request.auth.user,
            table_name=payload.table_name,
            description=payload.description,
            schema=payload.schema_,
        )
    return Status(201, table_out(request, table))


@router.get(
    "/{project_id}/tables",
    response={200: TableList, **responses("UNAUTHORIZED", "PROJECT_NOT_FOUND", "VALIDATION_ERROR")},
    by_alias=True,
    exclude_unset=True,
    summary="List the project's tables",
)
def list_tables(request: HttpRequest, project_id: str, page: Query[Page]):
    project = project_for(request, project_id)
    limit = page.limit or settings.API_PAGE_SIZE
    everything = tables_out(project, include_deleted=page.include_deleted)
    chosen = everything[page.offset : page.offset + limit]
    for body in chosen:
        body.pop("_revision")
    return {"tables": chosen, "total": len(everything), "limit": limit, "offset": page.offset}


@router.get(
    "/{project_id}/tables/{table_id}",
    response={200: TableOut, **responses("UNAUTHORIZED", "PROJECT_NOT_FOUND", "TABLE_NOT_FOUND")},
    by_alias=True,
    exclude_unset=True,
    summary="A table with its schema",
)
def get_table(request: HttpRequest, project_id: str, table_id: str):
    project = project_for(request, project_id)
    return table_out(request, design.find_table(project, table_id))


@router.put(
    "/{project_id}/tables/{table_id}",
    response={
        200: TableOut,
        **responses(
            "UNAUTHORIZED",
            "PROJECT_NOT_FOUND",
            "TABLE_NOT_FOUND",
            "TABLE_ALREADY_EXISTS",
            "REVISION_CONFLICT",
            "VALIDATION_ERROR",
            "TABLE_LOCKED",
            "RATE_LIMITED",
        ),
    },
    by_alias=True,
    exclude_unset=True,
    summary="Rename, describe, or replace the whole schema of a table",
)
def put_table(request: HttpRequest, project_id: str, table_id: str, payload: TablePut):
    project = project_for(request, project_id, write=True)
    table = design.find_table(project, table_id)
    with writing(request, table):
        table = design.replace_table(
            table,
            actor=request.auth.user,
            table_name=payload.table_name,
            description=payload.description,
            schema=payload.schema_,
        )
    return table_out(request, table)


@router.delete(
    "/{project_id}/tables/{table_id}",
    response={
        200: TableDeleted,
        **responses(
            "UNAUTHORIZED",
            "PROJECT_NOT_FOUND",
            "TABLE_NOT_FOUND",
            "REVISION_CONFLICT",
            "VALIDATION_ERROR",
            "TABLE_LOCKED",
            "RATE_LIMITED",
        ),
    },
    summary="Delete a table (a deployed one is soft-deleted, its data kept)",
)
def delete_table(request: HttpRequest, project_id: str, table_id: str):
    project = project_for(request, project_id, write=True)
    table = design.find_table(project, table_id)
    ident, name = design.table_id(table.uid), table.table_name
    with writing(request, table):
        soft = table_service.retire_table(table, actor=request.auth.user)
    return {"id": ident, "table_name": name, "deleted": True, "deleted_at": timezone.now(), "soft": soft}
