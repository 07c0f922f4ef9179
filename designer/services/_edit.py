"""Helpers shared by the edit services: saving with history attribution, revisions, IntegrityError mapping."""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction

from designer.models import DataTable, Project, Role
from designer.realtime import events
from designer.schema.validation import ACTIVE, DELETED, DEPRECATED, DRAFT, cycle_message, find_required_cycle

from .permissions import require_role


def require_editor(project: Project, actor) -> None:
    """Editors and owners may change an active (not archived) project."""
    require_role(project, actor, Role.EDITOR)
    if not project.is_active:
        raise PermissionDenied(f"Project {project.name!r} is archived; restore it before editing.")


def save(instance: models.Model, actor, **kwargs) -> None:
    """Save and attribute the history record to ``actor``."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor
    instance.save(**kwargs)


def touch(table: DataTable, actor, *, schema_edit: bool = True) -> None:
    """Bump the table's revision (conflict detection), record who changed it, tell the project's viewers.

    Every schema write of a table ends here, so this is where seed 002's "Any → Draft: return to design mode
    for modifications" happens (``schema_edit``; a lifecycle transition passes ``False``): an edited Active or
    Deprecated table goes back to Draft (recorded in its history; the next deploy makes it Active again), and
    an edit of a soft-deleted table is refused (the caller's transaction rolls the edit back).
    """
    reason = back_to_draft_for_edit(table) if schema_edit else None
    table.revision += 1
    if reason:
        table._change_reason = reason
    try:
        save(table, actor)
    finally:
        table.__dict__.pop("_change_reason", None)
    events.schema_changed(table.project_id, table=table, by=actor)


def refuse_if_deleted(table: DataTable) -> None:
    """A soft-deleted table takes no schema edit (``locks.guard_write`` asks before anything changes)."""
    if table.status == DELETED:
        raise ValidationError(
            {
                "status": [
                    f"{table.table_name} is Deleted; restore it to Draft first (set its status to Draft), "
                    "then change it."
                ]
            }
        )


def back_to_draft_for_edit(table: DataTable) -> str | None:
    """Seed 002's lifecycle for a schema edit of ``table``: Deleted refuses it; Active/Deprecated → Draft.

    Returns the history's change reason when the status moved, else None.
    """
    refuse_if_deleted(table)
    if table.status in (ACTIVE, DEPRECATED):
        reason = f"back to Draft: edited while {table.status.title()} (deploy to make it Active)"
        table.status = DRAFT
        return reason
    return None


# Maps our database constraint names to (form field, message template) for races the checks missed.
_CONSTRAINT_MESSAGES = {
    "table_name_unique_in_project": ("name", "A table with this name already exists in this project."),
    "table_identifier_unique_in_project": ("table_name", "A table with this name already exists in this project."),
    "field_name_unique_in_table": ("name", "A field with this name already exists in this table."),
    "field_identifier_unique_in_table": ("field_name", "A field with this name already exists in this table."),
    "relationship_name_unique": ("relationship_name", "A relationship with this name already exists."),
    "index_name_unique_in_table": ("name", "An index with this name already exists in this table."),
    "constraint_name_unique_in_table": ("name", "A constraint with this name already exists in this table."),
}


@contextmanager
def integrity_as_validation(*, savepoint: bool = True):
    """Turn a unique-constraint race into the same ValidationError the pre-check would have raised.

    ``savepoint=False`` when the error always leaves the caller's own ``atomic`` block (a service that does
    nothing after the failed save): that block rolls back, so the savepoint would only cost two statements.
    """
    try:
        with transaction.atomic(savepoint=savepoint):
            yield
    except IntegrityError as exc:
        text = str(exc)
        for constraint, (field, message) in _CONSTRAINT_MESSAGES.items():
            if constraint in text:
                raise ValidationError({field: [message]}) from exc
        # SQLite names columns instead of constraints.
        match = re.search(r"UNIQUE constraint failed: designer_(\w+)\.(\w+), designer_\w+\.(\w+)", text)
        if match:
            raise ValidationError(
                {match.group(3): [f"This {match.group(3).replace('_', ' ')} is already used."]}
            ) from exc
        raise


def required_fk_edges(project: Project, *, field_required: dict | None = None, extra: tuple | None = None):
    """(referencing table, referenced table) names of required foreign keys in the project.

    ``field_required`` overrides ``is_required`` for some field ids (an edit being validated); ``extra``
    adds one (target_field, source_table_name, target_table_name) edge being created.
    """
    from designer.models import TableRelationship

    overrides = field_required or {}
    rows = (
        TableRelationship.objects.filter(project=project)
        .exclude(relationship_type="many_to_many")
        .values_list(
            "target_field_id", "target_field__is_required", "target_table__table_name", "source_table__table_name"
        )
    )
    edges = []
    for field_id, required, target_name, source_name in rows:
        if overrides.get(field_id, required):
            edges.append((target_name, source_name))
    if extra:
        edges.append(extra)
    return edges


def check_required_cycles(project: Project, field_key: str, **kwargs) -> None:
    cycle = find_required_cycle(required_fk_edges(project, **kwargs))
    if cycle:
        raise ValidationError({field_key: [cycle_message(cycle)]})
