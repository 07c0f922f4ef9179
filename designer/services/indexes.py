"""Indexes (single, composite, unique) and table constraints (unique, check)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from designer.ddl.names import object_name
from designer.models import ConstraintColumn, DataField, DataTable, IndexColumn, TableConstraint, TableIndex
from designer.schema.expressions import check_expression_problem
from designer.schema.validation import validate_identifier

from ._edit import integrity_as_validation, require_editor, save, touch
from .locks import guard_write


def _fields_of(table: DataTable, field_ids: list, key: str = "fields") -> list[DataField]:
    ids = [str(f.pk if isinstance(f, DataField) else f) for f in field_ids or []]
    if not ids:
        raise ValidationError({key: ["Pick at least one field."]})
    if len(set(ids)) != len(ids):
        raise ValidationError({key: ["A field can appear only once."]})
    found = {str(f.pk): f for f in DataField.objects.filter(table=table, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({key: [f"Only fields of {table.table_name} can be used here. Reload and pick again."]})
    return [found[i] for i in ids]


def _unique_name(model, table: DataTable, name: str, what: str, *, relation: bool = True) -> str:
    """Valid and free. Index-backed names (indexes, unique constraints) share PostgreSQL's per-schema
    namespace with tables and other indexes, so they must be free across the whole project."""
    validate_identifier(name, "name", f"{what} name")
    if model.objects.filter(table=table, name=name).exists():
        raise ValidationError({"name": [f"{table.table_name} already has an {what.lower()} named {name!r}."]})
    if relation:
        owner = relation_name_owner(table.project_id, name)
        if owner:
            raise ValidationError(
                {
                    "name": [
                        f"{name!r} is already used by {owner}; in PostgreSQL index and table names share one "
                        "namespace per schema. Pick another name."
                    ]
                }
            )
    return name


def relation_name_owner(project_id, name: str) -> str | None:
    """What in the project already uses ``name`` as a relation (table, index, unique or primary key)."""
    if DataTable.objects.filter(project_id=project_id, table_name=name).exists():
        return f"table {name}"
    index = TableIndex.objects.filter(table__project_id=project_id, name=name).select_related("table").first()
    if index:
        return f"index {name} of {index.table.table_name}"
    unique = (
        TableConstraint.objects.filter(table__project_id=project_id, name=name, kind="unique")
        .select_related("table")
        .first()
    )
    if unique:
        return f"unique constraint {name} of {unique.table.table_name}"
    for table_name, pk_name in DataTable.objects.filter(project_id=project_id).values_list("table_name", "pk_name"):
        if (pk_name or f"{table_name}_pkey") == name and DataField.objects.filter(
            table__project_id=project_id, table__table_name=table_name, pk_position__isnull=False
        ).exists():
            return f"the primary key of {table_name}"
    return None


@transaction.atomic
def create_index(
    table: DataTable,
    *,
    actor,
    field_ids: list,
    name: str | None = None,
    is_unique: bool = False,
    lock_token=None,
    base_revision=None,
) -> TableIndex:
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    fields = _fields_of(table, field_ids)
    columns = [f.field_name for f in fields]
    same = [
        i.name
        for i in table.indexes.prefetch_related("columns__field")
        if [c.field.field_name for c in i.columns.all()] == columns and i.is_unique == bool(is_unique)
    ]
    if same:
        raise ValidationError({"fields": [f"Index {same[0]} already covers ({', '.join(columns)})."]})
    name = _unique_name(
        TableIndex, table, name or object_name(table.table_name, columns, "key" if is_unique else "idx"), "Index"
    )
    index = TableIndex(table=table, name=name, is_unique=bool(is_unique))
    with integrity_as_validation():
        save(index, actor)
        IndexColumn.objects.bulk_create(IndexColumn(index=index, field=f, position=i) for i, f in enumerate(fields))
    touch(table, actor)
    return index


@transaction.atomic
def delete_index(index: TableIndex, *, actor, lock_token=None, base_revision=None) -> None:
    table = index.table
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    index._history_user = actor
    index.delete()
    touch(table, actor)


@transaction.atomic
def create_constraint(
    table: DataTable,
    *,
    actor,
    kind: str,
    field_ids: list | None = None,
    expression: str = "",
    name: str | None = None,
    lock_token=None,
    base_revision=None,
) -> TableConstraint:
    """A UNIQUE over one or more fields, or a CHECK with a boolean SQL expression over the table's columns."""
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    if kind not in ("unique", "check"):
        raise ValidationError({"kind": [f"Constraint kind must be unique or check, got {kind!r}."]})
    fields: list[DataField] = []
    if kind == "unique":
        fields = _fields_of(table, field_ids or [])
        default = object_name(table.table_name, [f.field_name for f in fields], "key")
    else:
        expression = (expression or "").strip()
        columns = set(DataField.objects.filter(table=table).values_list("field_name", flat=True))
        problem = check_expression_problem(expression, columns)
        if problem:
            raise ValidationError({"expression": [problem]})
        default = object_name(table.table_name, [f"check{table.constraints.filter(kind='check').count() + 1}"], "check")
    constraint = TableConstraint(
        table=table,
        kind=kind,
        expression=expression if kind == "check" else "",
        name=_unique_name(TableConstraint, table, name or default, "Constraint", relation=kind == "unique"),
    )
    with integrity_as_validation():
        save(constraint, actor)
        ConstraintColumn.objects.bulk_create(
            ConstraintColumn(constraint=constraint, field=f, position=i) for i, f in enumerate(fields)
        )
    touch(table, actor)
    return constraint


@transaction.atomic
def delete_constraint(constraint: TableConstraint, *, actor, lock_token=None, base_revision=None) -> None:
    table = constraint.table
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    constraint._history_user = actor
    constraint.delete()
    touch(table, actor)


@transaction.atomic
def set_primary_key(
    table: DataTable, *, actor, field_ids: list, name: str | None = None, lock_token=None, base_revision=None
) -> None:
    """Make exactly these fields, in this order, the primary key (composite when several). Empty: no key."""
    require_editor(table.project, actor)
    guard_write(table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    fields = _fields_of(table, field_ids, key="primary_key") if field_ids else []
    DataField.objects.filter(table=table).update(pk_position=None)
    for position, field in enumerate(fields, start=1):
        field.pk_position = position
        field.is_required = True
        save(field, actor, update_fields=["pk_position", "is_required", "updated_at"])
    if name is not None:
        if name:
            validate_identifier(name, "pk_name", "Primary-key name")
        table.pk_name = name
    touch(table, actor)
