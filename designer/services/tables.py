"""Create, change, move, transition and delete tables."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from designer.models import DataTable, Project
from designer.realtime import events
from designer.schema.validation import canvas_numbers, check_transition, validate_identifier

from ._edit import integrity_as_validation, require_editor, save, touch
from .locks import guard_write, refuse_if_locked_by_others, refuse_layout_during_deploy


class TableNameTaken(ValidationError):
    """The project already has a table of this name (the API answers 409 ``TABLE_ALREADY_EXISTS``)."""


def _check_table_name(project: Project, table_name: str, exclude_pk=None) -> str:
    table_name = (table_name or "").strip()
    validate_identifier(table_name, "table_name", "Table name")
    qs = DataTable.objects.filter(project=project, table_name=table_name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise TableNameTaken(
            {"table_name": [f"A table named {table_name!r} already exists in this project. Pick another name."]}
        )
    return table_name


def _check_display_name(project: Project, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if len(name) > 120:
        raise ValidationError({"name": [f"Display name is {len(name)} characters long; the limit is 120."]})
    qs = DataTable.objects.filter(project=project, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"name": [f"Another table is already called {name!r} in this project."]})
    return name


def next_free_position(project: Project) -> tuple[int, int]:
    """The free spot nearest the top left corner, overlapping no table at its real size and no note."""
    from .layout import new_table_position

    return new_table_position(project)


@transaction.atomic
def create_table(
    project: Project,
    *,
    actor,
    table_name: str,
    name: str | None = None,
    description: str = "",
    position: tuple[int, int] | None = None,
) -> DataTable:
    """Add a table. A new table has no lock yet: open it for editing (``locks.acquire``) to add fields."""
    require_editor(project, actor)
    table_name = _check_table_name(project, table_name)
    display = _check_display_name(project, name or table_name)
    x, y = position if position is not None else next_free_position(project)
    table = DataTable(
        project=project,
        table_name=table_name,
        name=display,
        description=description or "",
        position_x=int(x),
        position_y=int(y),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with integrity_as_validation():
        save(table, actor)
    events.schema_changed(project.pk, table=table, what="created", by=actor)
    return table


@transaction.atomic
def update_table(
    table: DataTable,
    *,
    actor,
    table_name: str | None = None,
    name: str | None = None,
    description: str | None = None,
    pk_name: str | None = None,
    lock_token=None,
    base_revision=None,
) -> DataTable:
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    before = (table.table_name, table.name, table.description, table.pk_name)
    if table_name is not None and table_name != table.table_name:
        old = table.table_name
        table.table_name = _check_table_name(table.project, table_name, exclude_pk=table.pk)
        if table.name == old and name is None:
            name = table.table_name
    if name is not None:
        table.name = _check_display_name(table.project, name or table.table_name, exclude_pk=table.pk)
    if description is not None:
        table.description = description
    if pk_name is not None:
        if pk_name:
            validate_identifier(pk_name, "pk_name", "Primary-key name")
        table.pk_name = pk_name
    changed = before != (table.table_name, table.name, table.description, table.pk_name)
    with integrity_as_validation():
        touch(table, actor, schema_edit=changed)  # saving an unchanged form keeps an Active table Active
    return table


@transaction.atomic
def move_table(table: DataTable, *, actor, x: int, y: int) -> DataTable:
    """Save a table's position on the canvas.

    Layout is not schema: no lock needed (dragging a box never conflicts with editing its columns, and a drag
    must not be refused), the revision stays; viewers are told so their diagram follows.
    """
    require_editor(table.project, actor)
    refuse_layout_during_deploy([table])
    table.position_x, table.position_y = canvas_numbers(x, y)
    DataTable.objects.filter(pk=table.pk).update(position_x=table.position_x, position_y=table.position_y)
    events.schema_changed(table.project_id, table=table, what="layout", by=actor)
    return table


@transaction.atomic
def transition_table(
    table: DataTable, *, actor, status: str, by_deploy: bool = False, lock_token=None, base_revision=None
) -> DataTable:
    """Move a table through its lifecycle exactly as seed 002 draws it (see ``check_transition``)."""
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision, schema_edit=False)
    check_transition(table.status, status, by_deploy=by_deploy)
    table.status = status
    touch(table, actor, schema_edit=False)
    return table


def is_deployed(table: DataTable) -> bool:
    """Whether the table is part of what is deployed now in any environment (its last effective deploy)."""
    from .deploy import deployed_anywhere

    return str(table.uid) in deployed_anywhere(table.project)


def hard_delete_refusal(table: DataTable) -> str | None:
    """Why the table may not be deleted outright, or ``None`` when it may.

    Only a Draft table that is not deployed is removed from the design. A deployed table goes through seed 002's
    soft delete instead (Active -> Deprecated -> Deleted), so its history and the deploy that drops it stay.
    """
    if table.status == "deleted":
        return f"{table.table_name} is already deleted (soft). Mark it Draft to bring it back."
    if table.status != "draft":
        return (
            f"{table.table_name} is {table.get_status_display()}: it is not removed outright. "
            "Deprecate it, then mark it Deleted (the next deploy drops it, keeping its data aside)."
        )
    if is_deployed(table):
        return (
            f"{table.table_name} is deployed: it is not removed outright. Deploy the project (it becomes Active), "
            "then deprecate it and mark it Deleted."
        )
    return None


@transaction.atomic
def delete_table(table: DataTable, *, actor, lock_token=None, base_revision=None) -> list[str]:
    """Delete a Draft, never deployed table from the design with its fields, indexes and relationships.

    Any other table is refused with the way to soft-delete it (:func:`hard_delete_refusal`), and so is the
    delete while another table losing a foreign key with it is locked by someone else. Returns the names of
    the relationships that went with it, so the caller can tell the user.
    """
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision, schema_edit=False)
    refusal = hard_delete_refusal(table)
    if refusal:
        raise ValidationError({"status": [refusal]})
    return _delete_table(table, actor)


def _delete_table(table: DataTable, actor) -> list[str]:
    from designer.models import TableRelationship

    rels = TableRelationship.objects.filter(project=table.project).filter(
        source_table=table
    ) | TableRelationship.objects.filter(project=table.project, target_table=table)
    others = {r.target_table for r in rels.select_related("target_table") if r.target_table_id != table.pk}
    refuse_if_locked_by_others(others, actor)
    removed = sorted(set(rels.values_list("relationship_name", flat=True)))
    for rel in rels.distinct():
        rel._history_user = actor
        rel.delete()
    project_id, table_id, table_name = table.project_id, table.pk, table.table_name
    table._history_user = actor
    table.delete()
    table.pk, table.table_name = table_id, table_name
    events.schema_changed(project_id, table=table, what="deleted", by=actor)
    for other in others:
        if DataTable.objects.filter(pk=other.pk).exists():
            # It loses its foreign key: a schema edit (back to Draft), except that a soft-deleted table keeps
            # its status rather than blocking this delete.
            touch(other, actor, schema_edit=other.status != "deleted")
    return removed


@transaction.atomic
def retire_table(table: DataTable, *, actor) -> bool:
    """Delete a table the way its lifecycle allows: a never-deployed Draft goes from the design (False); an Active
    or Deprecated table is soft-deleted — Deprecated, then Deleted — and stays in the design until the next deploy
    drops it with its data kept aside (True). Anything else is refused with the way forward."""
    if hard_delete_refusal(table) is None:
        delete_table(table, actor=actor)
        return False
    if table.status == "active":
        transition_table(table, actor=actor, status="deprecated")
    if table.status == "deprecated":
        transition_table(table, actor=actor, status="deleted")
        return True
    raise ValidationError({"status": [hard_delete_refusal(table)]})
