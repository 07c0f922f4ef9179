"""Relationships (foreign keys) of a project, under ``/v1/public/{project_id}/relationships``: a relationship
belongs to the table holding the key, whose lock and revision its writes take (as in the designer)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from designer.models import TableRelationship
from designer.services import relationships as relationship_service
from designer.services.snapshots import project_snapshot

from . import design
from .auth import project_for
from .common import set_etag, writing
from .errors import ApiError, responses
from .schemas import RelationshipDeleted, RelationshipIn, RelationshipList, RelationshipOut, RelationshipPatch

router = Router(tags=["relationships"])
READ = ("UNAUTHORIZED", "PROJECT_NOT_FOUND")
WRITE = (*READ, "TABLE_NOT_FOUND", "REVISION_CONFLICT", "VALIDATION_ERROR", "TABLE_LOCKED", "RATE_LIMITED")


def relationships_out(snapshot: dict) -> list[dict]:
    tables = {t["id"]: t for t in snapshot["tables"]}
    fields = {f["id"]: f["field_name"] for t in snapshot["tables"] for f in t["fields"]}
    out = []
    for r in snapshot["relationships"]:
        source, target = tables[r["source_table"]], tables[r["target_table"]]
        junction = tables.get(r.get("junction_table") or "")
        out.append(
            {
                "name": r["name"],
                "type": r["type"],
                "table": target["table_name"],
                "column": fields[r["target_field"]],
                "references": f"{source['table_name']}.{fields[r['source_field']]}",
                "on_delete": r["on_delete"],
                "on_update": r["on_update"],
                "junction_table": junction["table_name"] if junction else None,
            }
        )
    return out


def _one(project, name: str) -> dict:
    return next(r for r in relationships_out(project_snapshot(project)) if r["name"] == name)


def _find(project, name: str) -> TableRelationship:
    rel = (
        TableRelationship.objects.select_related("target_table", "source_table", "target_field")
        .filter(project=project, relationship_name=name)
        .first()
        if len(name) <= 63
        else None
    )
    if rel is None:
        known = ", ".join(r["name"] for r in relationships_out(project_snapshot(project))) or "none"
        raise ApiError("RELATIONSHIP_NOT_FOUND", f"Relationship not found: {name} (relationships: {known})")
    rel.project = project
    rel.target_table.project = project
    return rel


@router.get(
    "/{project_id}/relationships",
    response={200: RelationshipList, **responses(*READ)},
    summary="The project's relationships",
)
def list_relationships(request: HttpRequest, project_id: str):
    project = project_for(request, project_id)
    found = relationships_out(project_snapshot(project))
    return {"relationships": found, "total": len(found)}


@router.post(
    "/{project_id}/relationships",
    response={201: RelationshipOut, **responses(*WRITE)},
    summary="Add a relationship (a foreign key; many_to_many generates its junction table)",
)
def add_relationship(request: HttpRequest, project_id: str, payload: RelationshipIn):
    project = project_for(request, project_id, write=True)
    table = design.find_table(project, payload.table)
    with writing(request, table):
        rel = design.add_foreign_key(table, actor=request.auth.user, fk=payload, loc=())
    set_etag(request, table)
    return Status(201, _one(project, rel.relationship_name))


@router.patch(
    "/{project_id}/relationships/{name}",
    response={200: RelationshipOut, **responses(*WRITE, "RELATIONSHIP_NOT_FOUND")},
    summary="Rename a relationship or change its ON DELETE / ON UPDATE actions",
)
def change_relationship(request: HttpRequest, project_id: str, name: str, payload: RelationshipPatch):
    project = project_for(request, project_id, write=True)
    rel = _find(project, name)
    keys = {"relationship_name": "name"}
    with writing(request, rel.target_table), design.at(keys=keys):
        rel = relationship_service.update_relationship(
            rel,
            actor=request.auth.user,
            relationship_name=payload.name,
            on_delete=payload.on_delete,
            on_update=payload.on_update,
        )
    set_etag(request, rel.target_table)
    return _one(project, rel.relationship_name)


@router.delete(
    "/{project_id}/relationships/{name}",
    response={200: RelationshipDeleted, **responses(*WRITE, "RELATIONSHIP_NOT_FOUND")},
    summary="Delete a relationship (a many_to_many one takes its junction table with it)",
)
def delete_relationship(request: HttpRequest, project_id: str, name: str):
    project = project_for(request, project_id, write=True)
    rel = _find(project, name)
    with writing(request, rel.target_table):
        relationship_service.delete_relationship(rel, actor=request.auth.user)
    return {"name": name, "deleted": True}
