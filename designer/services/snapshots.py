"""A project's design as a canonical snapshot, and a snapshot back into a project (import, restore)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from designer.models import (
    ConstraintColumn,
    DataField,
    DataTable,
    IndexColumn,
    Project,
    Role,
    TableConstraint,
    TableIndex,
    TableRelationship,
)
from designer.realtime import events
from designer.schema.snapshot import Snapshot, canonicalize, validate_snapshot
from designer.schema.types import normalize_type

from .locks import refuse_if_project_locked
from .permissions import require_role
from .projects import create_project


def project_snapshot(project: Project) -> Snapshot:
    """The canonical snapshot of a project's current design, in a constant number of queries (7)."""
    tables = list(DataTable.objects.filter(project=project).order_by("table_name"))
    fields_by_table: dict[Any, list[DataField]] = defaultdict(list)
    for field in DataField.objects.filter(table__project=project).order_by("sort_order", "field_name"):
        fields_by_table[field.table_id].append(field)
    field_uid = {f.pk: str(f.uid) for fs in fields_by_table.values() for f in fs}
    table_uid = {t.pk: str(t.uid) for t in tables}

    index_cols: dict[Any, list[str]] = defaultdict(list)
    for index_id, field_id in (
        IndexColumn.objects.filter(index__table__project=project)
        .order_by("index_id", "position")
        .values_list("index_id", "field_id")
    ):
        index_cols[index_id].append(field_uid[field_id])
    indexes_by_table: dict[Any, list[dict]] = defaultdict(list)
    for index in TableIndex.objects.filter(table__project=project):
        indexes_by_table[index.table_id].append(
            {"id": str(index.uid), "name": index.name, "unique": index.is_unique, "fields": index_cols[index.pk]}
        )

    constraint_cols: dict[Any, list[str]] = defaultdict(list)
    for constraint_id, field_id in (
        ConstraintColumn.objects.filter(constraint__table__project=project)
        .order_by("constraint_id", "position")
        .values_list("constraint_id", "field_id")
    ):
        constraint_cols[constraint_id].append(field_uid[field_id])
    constraints_by_table: dict[Any, list[dict]] = defaultdict(list)
    for constraint in TableConstraint.objects.filter(table__project=project):
        constraints_by_table[constraint.table_id].append(
            {
                "id": str(constraint.uid),
                "name": constraint.name,
                "kind": constraint.kind,
                "fields": constraint_cols[constraint.pk],
                "expression": constraint.expression,
            }
        )

    doc_tables = []
    layout = {}
    for table in tables:
        fields = fields_by_table[table.pk]
        pk_fields = sorted((f for f in fields if f.pk_position is not None), key=lambda f: f.pk_position)
        doc_tables.append(
            {
                "id": str(table.uid),
                "name": table.name,
                "table_name": table.table_name,
                "description": table.description,
                "status": table.status,
                "primary_key": (
                    {"name": table.pk_name or f"{table.table_name}_pkey", "fields": [str(f.uid) for f in pk_fields]}
                    if pk_fields
                    else None
                ),
                "fields": [
                    {
                        "id": str(f.uid),
                        "name": f.name,
                        "field_name": f.field_name,
                        "data_type": f.data_type,
                        "config": normalize_type(f.data_type, f.field_config).config,
                        "required": f.is_required,
                        "unique": f.is_unique,
                        "default": f.default_value,
                        "description": f.description,
                    }
                    for f in fields
                ],
                "indexes": indexes_by_table[table.pk],
                "constraints": constraints_by_table[table.pk],
            }
        )
        layout[str(table.uid)] = {"x": table.position_x, "y": table.position_y}

    relationships = [
        {
            "id": str(r.uid),
            "name": r.relationship_name,
            "type": r.relationship_type,
            "source_table": table_uid[r.source_table_id],
            "source_field": field_uid[r.source_field_id],
            "target_table": table_uid[r.target_table_id],
            "target_field": field_uid[r.target_field_id],
            "on_delete": r.on_delete,
            "on_update": r.on_update,
            "junction_table": table_uid.get(r.junction_table_id),
            "status": r.status,
        }
        for r in TableRelationship.objects.filter(project=project)
    ]
    return canonicalize(
        {
            "format": 1,
            "project": {"name": project.name, "slug": project.slug, "description": project.description},
            "tables": doc_tables,
            "relationships": relationships,
            "layout": {"tables": layout},
        }
    )


@transaction.atomic
def import_snapshot(snapshot: Snapshot, *, actor, project: Project | None = None, name: str | None = None) -> Project:
    """Create a project from a snapshot (or replace the design of ``project`` with it), all or nothing.

    Stable ids are kept, so exporting and importing gives the same ``schema_hash``. Raises
    ``ValidationError`` listing every problem found (nothing is written then).
    """
    snapshot = canonicalize(snapshot)
    problems = validate_snapshot(snapshot)
    if problems:
        raise ValidationError(problems)
    if project is None:
        meta = snapshot.get("project") or {}
        project = create_project(
            actor=actor, name=name or meta.get("name") or "Imported schema", description=meta.get("description", "")
        )
    else:
        require_role(project, actor, Role.EDITOR)
        if not project.is_active:
            raise PermissionDenied(f"Project {project.name!r} is archived; restore it before importing into it.")
        replace_design(project, snapshot, actor=actor)
        return project
    _write_design(project, snapshot, actor)
    return project


def replace_design(project: Project, snapshot: Snapshot, *, actor) -> None:
    """Replace the project's design with the snapshot (used by import into a project and version restore).

    Refused (``TableLocked``) while someone else holds a lock on any table of the project.
    """
    refuse_if_project_locked(project, actor)
    TableRelationship.objects.filter(project=project).delete()
    DataTable.objects.filter(project=project).delete()
    _write_design(project, canonicalize(snapshot), actor)
    events.schema_changed(project.pk, what="replaced", by=actor)


def _write_design(project: Project, snapshot: Snapshot, actor) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    layout = dict((snapshot.get("layout") or {}).get("tables", {}))
    if any(t["id"] not in layout for t in snapshot["tables"]):  # imported without positions: lay them out
        from designer.diagram.from_snapshot import diagram_from_snapshot

        for box in diagram_from_snapshot(snapshot).boxes:
            layout.setdefault(box.id, {"x": box.x, "y": box.y})
    tables: dict[str, DataTable] = {}
    fields: dict[str, DataField] = {}
    new_tables, new_fields = [], []
    for n, t in enumerate(snapshot["tables"]):
        pos = layout.get(t["id"]) or {"x": (n % 5) * 320 + 40, "y": (n // 5) * 280 + 40}
        pk = t.get("primary_key") or {}
        pk_name = pk.get("name", "")
        table = DataTable(
            project=project,
            uid=t["id"],
            name=t.get("name") or t["table_name"],
            table_name=t["table_name"],
            description=t.get("description", ""),
            status=t.get("status", "draft"),
            pk_name="" if pk_name == f"{t['table_name']}_pkey" else pk_name,
            position_x=int(pos.get("x", 0)),
            position_y=int(pos.get("y", 0)),
            created_by=user,
        )
        tables[t["id"]] = table
        new_tables.append(table)
        pk_order = {fid: i for i, fid in enumerate(pk.get("fields", []), start=1)}
        for order, f in enumerate(t["fields"]):
            ftype = normalize_type(f["data_type"], f.get("config"))
            field = DataField(
                table=table,
                uid=f["id"],
                name=f.get("name") or f["field_name"],
                field_name=f["field_name"],
                data_type=ftype.family,
                field_config=ftype.config,
                is_required=bool(f.get("required")),
                is_unique=bool(f.get("unique")),
                default_value=f.get("default"),
                description=f.get("description", ""),
                sort_order=order,
                pk_position=pk_order.get(f["id"]),
            )
            fields[f["id"]] = field
            new_fields.append(field)
    bulk_create_with_history(new_tables, DataTable, default_user=user)
    bulk_create_with_history(new_fields, DataField, default_user=user)

    index_columns, constraint_columns = [], []
    indexes, constraints = [], []
    for t in snapshot["tables"]:
        for i in t["indexes"]:
            index = TableIndex(table=tables[t["id"]], uid=i["id"], name=i["name"], is_unique=bool(i.get("unique")))
            indexes.append(index)
            index_columns += [
                IndexColumn(index=index, field=fields[fid], position=p) for p, fid in enumerate(i["fields"])
            ]
        for c in t["constraints"]:
            constraint = TableConstraint(
                table=tables[t["id"]], uid=c["id"], name=c["name"], kind=c["kind"], expression=c.get("expression", "")
            )
            constraints.append(constraint)
            constraint_columns += [
                ConstraintColumn(constraint=constraint, field=fields[fid], position=p)
                for p, fid in enumerate(c["fields"])
            ]
    bulk_create_with_history(indexes, TableIndex, default_user=user)
    bulk_create_with_history(constraints, TableConstraint, default_user=user)
    IndexColumn.objects.bulk_create(index_columns)
    ConstraintColumn.objects.bulk_create(constraint_columns)

    rels = [
        TableRelationship(
            project=project,
            uid=r["id"],
            relationship_name=r["name"],
            relationship_type=r["type"],
            source_table=tables[r["source_table"]],
            source_field=fields[r["source_field"]],
            target_table=tables[r["target_table"]],
            target_field=fields[r["target_field"]],
            junction_table=tables.get(r.get("junction_table")) if r.get("junction_table") else None,
            cascade_config={"on_delete": r.get("on_delete", "no_action"), "on_update": r.get("on_update", "no_action")},
            status=r.get("status", "draft"),
            created_by=user,
        )
        for r in snapshot["relationships"]
    ]
    bulk_create_with_history(rels, TableRelationship, default_user=user)
