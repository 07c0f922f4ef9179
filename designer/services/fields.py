"""Create, change, reorder and delete fields (columns), including primary-key membership."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from designer.models import DataField, DataTable, TableRelationship
from designer.schema.expressions import expression_columns, rename_column
from designer.schema.types import check_default, normalize_type
from designer.schema.validation import validate_identifier

from ._edit import check_required_cycles, integrity_as_validation, require_editor, save, touch
from .locks import guard_write

_UNSET: Any = object()


def _check_field_name(table: DataTable, field_name: str, exclude_pk=None) -> str:
    field_name = (field_name or "").strip()
    validate_identifier(field_name, "field_name", "Field name")
    qs = DataField.objects.filter(table=table, field_name=field_name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError(
            {"field_name": [f"Table {table.table_name} already has a field named {field_name!r}. Pick another name."]}
        )
    return field_name


def _check_display_name(table: DataTable, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if len(name) > 120:
        raise ValidationError({"name": [f"Display name is {len(name)} characters long; the limit is 120."]})
    qs = DataField.objects.filter(table=table, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"name": [f"Another field of {table.table_name} is already called {name!r}."]})
    return name


def _next_pk_position(table: DataTable) -> int:
    return (DataField.objects.filter(table=table).aggregate(m=Max("pk_position"))["m"] or 0) + 1


def _renumber_pk(table: DataTable) -> None:
    pk_fields = list(DataField.objects.filter(table=table, pk_position__isnull=False).order_by("pk_position"))
    # Two passes keep the (table, pk_position) unique index satisfied at every step.
    offset = 1000
    for i, field in enumerate(pk_fields, start=1):
        DataField.objects.filter(pk=field.pk).update(pk_position=offset + i)
    for i, field in enumerate(pk_fields, start=1):
        DataField.objects.filter(pk=field.pk).update(pk_position=i)


@transaction.atomic
def create_field(
    table: DataTable,
    *,
    actor,
    field_name: str,
    data_type: str,
    name: str | None = None,
    field_config: dict | None = None,
    is_required: bool = False,
    is_unique: bool = False,
    default_value: str | None = None,
    description: str = "",
    primary_key: bool = False,
    sort_order: int | None = None,
    lock_token=None,
    base_revision=None,
) -> DataField:
    """Add a column. A primary-key field is always Required (NOT NULL)."""
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    return _create_field(
        table,
        actor=actor,
        field_name=field_name,
        data_type=data_type,
        name=name,
        field_config=field_config,
        is_required=is_required,
        is_unique=is_unique,
        default_value=default_value,
        description=description,
        primary_key=primary_key,
        sort_order=sort_order,
    )


def _create_field(
    table: DataTable,
    *,
    actor,
    field_name: str,
    data_type: str,
    name: str | None,
    field_config: dict | None,
    is_required: bool,
    is_unique: bool,
    default_value: str | None,
    description: str,
    primary_key: bool,
    sort_order: int | None,
) -> DataField:
    field_name = _check_field_name(table, field_name)
    display = _check_display_name(table, name or field_name)
    ftype = normalize_type(data_type, field_config)
    default = check_default(ftype, default_value)
    if sort_order is None:
        highest = DataField.objects.filter(table=table).aggregate(m=Max("sort_order"))["m"]
        sort_order = 0 if highest is None else highest + 1
    if sort_order < 0:
        raise ValidationError({"sort_order": ["Sort order must be 0 or more."]})
    field = DataField(
        table=table,
        field_name=field_name,
        name=display,
        data_type=ftype.family,
        field_config=ftype.config,
        is_required=bool(is_required or primary_key),
        is_unique=bool(is_unique),
        default_value=default,
        description=description or "",
        sort_order=sort_order,
        pk_position=_next_pk_position(table) if primary_key else None,
    )
    with integrity_as_validation():
        save(field, actor)
    touch(table, actor)
    return field


@transaction.atomic
def update_field(
    field: DataField,
    *,
    actor,
    field_name: str | None = None,
    name: str | None = None,
    data_type: str | None = None,
    field_config: dict | None = None,
    is_required: bool | None = None,
    is_unique: bool | None = None,
    default_value: Any = _UNSET,
    description: str | None = None,
    primary_key: bool | None = None,
    lock_token=None,
    base_revision=None,
) -> DataField:
    """Change a column. Only the arguments given change; the default is re-checked against the new type."""
    table = field.table
    require_editor(table.project, actor)
    renamed_from = None
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    before = _state(field)
    if field_name is not None and field_name != field.field_name:
        old = renamed_from = field.field_name
        field.field_name = _check_field_name(table, field_name, exclude_pk=field.pk)
        if field.name == old and name is None:
            name = field.field_name
    if name is not None:
        field.name = _check_display_name(table, name or field.field_name, exclude_pk=field.pk)
    if data_type is not None or field_config is not None:
        ftype = normalize_type(
            data_type or field.data_type, field_config if field_config is not None else field.field_config
        )
        field.data_type, field.field_config = ftype.family, ftype.config
    else:
        ftype = normalize_type(field.data_type, field.field_config)
    if default_value is not _UNSET:
        field.default_value = default_value
    field.default_value = check_default(ftype, field.default_value)
    if description is not None:
        field.description = description
    if is_unique is not None:
        field.is_unique = bool(is_unique)
    if primary_key is not None:
        if primary_key and field.pk_position is None:
            field.pk_position = _next_pk_position(table)
            field.is_required = True
        elif not primary_key and field.pk_position is not None:
            field.pk_position = None
    if is_required is not None:
        if not is_required and field.pk_position is not None:
            raise ValidationError(
                {"is_required": [f"{field.field_name} is part of the primary key, so it must stay Required."]}
            )
        field.is_required = bool(is_required)
    if field.is_required:
        _check_set_null(field)
        check_required_cycles(table.project, "is_required", field_required={field.pk: True})
    with integrity_as_validation(savepoint=False):  # the ValidationError leaves update_field's atomic
        save(field, actor)
    if renamed_from:
        _follow_rename_in_checks(table, actor, renamed_from, field.field_name)
    if primary_key is False:
        _renumber_pk(table)
    touch(table, actor, schema_edit=_state(field) != before)  # an unchanged save keeps an Active table Active
    return field


def _state(field: DataField) -> tuple:
    config = dict(field.field_config or {})
    return (
        field.field_name, field.name, field.data_type, config, field.is_required, field.is_unique,
        field.default_value, field.description, field.pk_position,
    )  # fmt: skip


def _follow_rename_in_checks(table: DataTable, actor, old: str, new: str) -> None:
    """CHECK expressions name columns: a renamed column is renamed in them too."""
    for constraint in table.constraints.filter(kind="check"):
        expression = rename_column(constraint.expression, old, new)
        if expression != constraint.expression:
            constraint.expression = expression
            save(constraint, actor)


def _check_set_null(field: DataField) -> None:
    rel = (
        TableRelationship.objects.filter(target_field=field, cascade_config__on_delete="set_null")
        .values_list("relationship_name", flat=True)
        .first()
    )
    if rel:
        raise ValidationError(
            {
                "is_required": [
                    f"Relationship {rel} sets {field.field_name} to NULL on delete, so it cannot be Required. "
                    "Change the relationship's ON DELETE first."
                ]
            }
        )


@transaction.atomic
def delete_field(field: DataField, *, actor, lock_token=None, base_revision=None) -> list[str]:
    """Delete a column. Refused while a relationship uses it; indexes and constraints on it (CHECKs naming
    it included) go with it.

    Returns the names of the indexes and constraints removed.
    """
    table = field.table
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    rels = sorted(
        set(TableRelationship.objects.filter(source_field=field).values_list("relationship_name", flat=True))
        | set(TableRelationship.objects.filter(target_field=field).values_list("relationship_name", flat=True))
    )
    if rels:
        raise ValidationError(
            {
                "field": [
                    f"{table.table_name}.{field.field_name} is used by relationship {', '.join(rels)}. "
                    "Delete the relationship first."
                ]
            }
        )
    removed = []
    for constraint in table.constraints.filter(kind="check"):
        if field.field_name in expression_columns(constraint.expression):
            removed.append(constraint.name)
            constraint._history_user = actor
            constraint.delete()
    for index in table.indexes.filter(columns__field=field).distinct():
        removed.append(index.name)
        index._history_user = actor
        index.delete()
    for constraint in table.constraints.filter(columns__field=field).distinct():
        removed.append(constraint.name)
        constraint._history_user = actor
        constraint.delete()
    was_pk = field.pk_position is not None
    field._history_user = actor
    field.delete()
    if was_pk:
        _renumber_pk(table)
    touch(table, actor)
    return removed


@transaction.atomic
def reorder_fields(table: DataTable, *, actor, field_ids: list, lock_token=None, base_revision=None) -> None:
    """Put the table's fields in the given order (every field of the table exactly once)."""
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    current = {str(pk) for pk in DataField.objects.filter(table=table).values_list("pk", flat=True)}
    wanted = [str(pk) for pk in field_ids]
    if set(wanted) != current or len(wanted) != len(current):
        raise ValidationError(
            {"field_ids": ["The new order must list every field of the table exactly once. Reload and try again."]}
        )
    fields = {str(f.pk): f for f in DataField.objects.filter(table=table)}
    changed = []
    for position, pk in enumerate(wanted):
        if fields[pk].sort_order != position:
            fields[pk].sort_order = position
            changed.append(fields[pk])
    for field in changed:
        save(field, actor, update_fields=["sort_order", "updated_at"])
    touch(table, actor)
