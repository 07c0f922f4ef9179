"""Create, change and delete relationships (foreign keys), including generated many-to-many junctions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from designer.models import DataField, DataTable, Project, TableRelationship
from designer.models.relationship import REFERENTIAL_ACTIONS, RelationshipType
from designer.schema.types import normalize_type
from designer.schema.validation import MAX_IDENTIFIER_LENGTH, validate_identifier

from . import fields as field_service
from . import tables as table_service
from ._edit import check_required_cycles, integrity_as_validation, require_editor, save, touch
from .layout import place_between
from .locks import guard_write, refuse_if_locked_by_others


def _check_action(value: str, key: str) -> str:
    value = (value or "no_action").strip().lower().replace(" ", "_")
    if value not in REFERENTIAL_ACTIONS:
        raise ValidationError({key: [f"{key} must be one of {', '.join(REFERENTIAL_ACTIONS)}, got {value!r}."]})
    return value


def _check_name(project: Project, name: str, exclude_pk=None) -> str:
    validate_identifier(name, "relationship_name", "Relationship name")
    qs = TableRelationship.objects.filter(project=project, relationship_name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"relationship_name": [f"A relationship named {name!r} already exists. Pick another."]})
    return name


def default_name(target_table: str, target_field: str, project: Project) -> str:
    """PostgreSQL's own naming (``<table>_<column>_fkey``), numbered when taken, within 63 characters."""
    base = f"{target_table}_{target_field}_fkey"[:MAX_IDENTIFIER_LENGTH]
    name, n = base, 2
    taken = set(TableRelationship.objects.filter(project=project).values_list("relationship_name", flat=True))
    while name in taken:
        suffix = f"{n}"
        name, n = base[: MAX_IDENTIFIER_LENGTH - len(suffix)] + suffix, n + 1
    return name


def _is_single_key(field: DataField) -> bool:
    if field.is_unique:
        return True
    if field.pk_position is not None:
        return (
            not DataField.objects.filter(table_id=field.table_id, pk_position__isnull=False)
            .exclude(pk=field.pk)
            .exists()
        )
    return False


def _check_compatible(source: DataField, target: DataField) -> None:
    s = normalize_type(source.data_type, source.field_config)
    t = normalize_type(target.data_type, target.field_config)
    skind, tkind = s.config.get("kind"), t.config.get("kind")
    if s.family != t.family or (s.family in ("number", "date") and skind != tkind):
        raise ValidationError(
            {
                "target_field": [
                    f"{target.table.table_name}.{target.field_name} is {t.label} but "
                    f"{source.table.table_name}.{source.field_name} is {s.label}; a foreign key needs the same type."
                ]
            }
        )


def _resolve(project: Project, field: DataField | str, key: str) -> DataField:
    if not isinstance(field, DataField):
        field = DataField.objects.select_related("table__project").filter(pk=field).first()
        if field is None:
            raise ValidationError({key: ["That field does not exist (any more). Reload and pick again."]})
    if field.table.project_id != project.pk:
        raise ValidationError(
            {
                key: [
                    f"{field.table.table_name}.{field.field_name} belongs to another project; relationships can only "
                    "connect tables of the same project."
                ]
            }
        )
    return field


@transaction.atomic
def create_relationship(
    project: Project,
    *,
    actor,
    source_field: DataField | str,
    target_field: DataField | str | None = None,
    relationship_type: str = RelationshipType.ONE_TO_MANY,
    relationship_name: str | None = None,
    on_delete: str = "no_action",
    on_update: str = "no_action",
    lock_token=None,
    base_revision=None,
) -> TableRelationship:
    """Connect two tables.

    ``source_field`` is the referenced key (primary key or unique) on the "one" side; ``target_field`` is the
    column on the "many" side that holds the foreign key. For ``many_to_many`` both are referenced keys and a
    junction table with two foreign keys and a composite primary key is generated.

    A relationship belongs to its target table (the one holding the foreign key, whose panel adds it): the
    write needs that table's lock token and revision.
    """
    require_editor(project, actor)
    if relationship_type not in RelationshipType.values:
        raise ValidationError(
            {
                "relationship_type": [
                    f"Type must be one of {', '.join(RelationshipType.values)}, got {relationship_type!r}."
                ]
            }
        )
    if target_field is None:
        raise ValidationError({"target_field": ["Pick the field that holds the foreign key."]})
    source = _resolve(project, source_field, "source_field")
    target = _resolve(project, target_field, "target_field")
    guard_write(target.table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    return _create_relationship(
        project, actor, source, target, relationship_type, relationship_name, on_delete, on_update
    )


def _create_relationship(
    project: Project,
    actor,
    source: DataField,
    target: DataField,
    relationship_type: str,
    relationship_name: str | None,
    on_delete: str,
    on_update: str,
) -> TableRelationship:
    on_delete = _check_action(on_delete, "on_delete")
    on_update = _check_action(on_update, "on_update")
    if relationship_type == RelationshipType.MANY_TO_MANY:
        return _create_many_to_many(project, actor, source, target, relationship_name, on_delete, on_update)

    if not _is_single_key(source):
        raise ValidationError(
            {
                "source_field": [
                    f"{source.table.table_name}.{source.field_name} is neither the primary key nor unique, so a "
                    "foreign key cannot reference it. Mark it unique or make it the primary key."
                ]
            }
        )
    if source.pk == target.pk:
        raise ValidationError({"target_field": ["A field cannot reference itself. Pick another field."]})
    _check_compatible(source, target)
    if on_delete == "set_null" and target.is_required:
        raise ValidationError(
            {"on_delete": [f"ON DELETE SET NULL needs {target.field_name} to be optional, but it is Required."]}
        )
    name = _check_name(project, relationship_name or default_name(target.table.table_name, target.field_name, project))
    if target.is_required:
        check_required_cycles(project, "target_field", extra=(target.table.table_name, source.table.table_name))
    rel = TableRelationship(
        project=project,
        source_table=source.table,
        source_field=source,
        target_table=target.table,
        target_field=target,
        relationship_name=name,
        relationship_type=relationship_type,
        cascade_config={"on_delete": on_delete, "on_update": on_update},
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with integrity_as_validation():
        save(rel, actor)
    if relationship_type == RelationshipType.ONE_TO_ONE and not target.is_unique:
        target.is_unique = True
        save(target, actor)
    touch(target.table, actor)
    return rel


@transaction.atomic
def create_relationship_with_column(
    project: Project,
    *,
    actor,
    source_field: DataField | str,
    target_table: DataTable,
    field_name: str,
    is_required: bool = False,
    relationship_type: str = RelationshipType.ONE_TO_MANY,
    relationship_name: str | None = None,
    on_delete: str = "no_action",
    on_update: str = "no_action",
    lock_token=None,
    base_revision=None,
) -> TableRelationship:
    """Add the foreign-key column to ``target_table`` (same type as the referenced key) and the relationship,
    all or nothing: if the relationship is refused, the new column is not kept either.

    Both writes go through ``target_table``'s lock (``lock_token``, ``base_revision`` as for any write; the
    relationship is then based on the revision the new column produced). Errors about the new column are keyed
    ``field_name``.
    """
    require_editor(project, actor)
    if target_table.project_id != project.pk:
        raise ValidationError({"target_table": ["That table belongs to another project."]})
    source = _resolve(project, source_field, "source_field")
    column = field_service.create_field(
        target_table,
        actor=actor,
        field_name=field_name,
        data_type=source.data_type,
        field_config={k: v for k, v in source.field_config.items() if k != "identity"},
        is_required=is_required,
        lock_token=lock_token,
        base_revision=base_revision,
    )
    return create_relationship(
        project,
        actor=actor,
        source_field=source,
        target_field=column,
        relationship_type=relationship_type,
        relationship_name=relationship_name,
        on_delete=on_delete,
        on_update=on_update,
        lock_token=lock_token,
        base_revision=None if base_revision is None else column.table.revision,
    )


def _junction_column(table: DataTable, field: DataField, taken: set[str]) -> str:
    name = (
        field.field_name if field.field_name.startswith(table.table_name) else f"{table.table_name}_{field.field_name}"
    )
    name = name[:MAX_IDENTIFIER_LENGTH]
    if name in taken:
        name = f"{name[: MAX_IDENTIFIER_LENGTH - 3]}_to"
    taken.add(name)
    return name


def _create_many_to_many(project, actor, source, target, relationship_name, on_delete, on_update):
    for key, field in (("source_field", source), ("target_field", target)):
        if not _is_single_key(field):
            raise ValidationError(
                {key: [f"{field.table.table_name}.{field.field_name} must be the primary key or unique to join on it."]}
            )
    junction_name = f"{source.table.table_name}_{target.table.table_name}"[:MAX_IDENTIFIER_LENGTH]
    name = _check_name(project, relationship_name or junction_name)
    junction = table_service.create_table(
        project,
        actor=actor,
        table_name=junction_name,
        description=f"Junction of {source.table.table_name} and {target.table.table_name} (many-to-many {name}).",
    )
    taken: set[str] = set()
    links = []
    for side in (source, target):
        column = field_service._create_field(
            junction,
            actor=actor,
            field_name=_junction_column(side.table, side, taken),
            data_type=side.data_type,
            name=None,
            field_config={k: v for k, v in side.field_config.items() if k != "identity"},
            is_required=True,
            is_unique=False,
            default_value=None,
            description="",
            primary_key=True,
            sort_order=None,
        )
        links.append(
            _create_relationship(project, actor, side, column, RelationshipType.ONE_TO_MANY, None, on_delete, on_update)
        )
    rel = TableRelationship(
        project=project,
        source_table=source.table,
        source_field=source,
        target_table=target.table,
        target_field=target,
        junction_table=junction,
        relationship_name=name,
        relationship_type=RelationshipType.MANY_TO_MANY,
        cascade_config={"on_delete": on_delete, "on_update": on_update},
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with integrity_as_validation():
        save(rel, actor)
    touch(target.table, actor)
    place_between(junction, source.table, target.table)
    return rel


@transaction.atomic
def update_relationship(
    rel: TableRelationship,
    *,
    actor,
    relationship_name: str | None = None,
    on_delete: str | None = None,
    on_update: str | None = None,
    lock_token=None,
    base_revision=None,
) -> TableRelationship:
    require_editor(rel.project, actor)
    guard_write(rel.target_table, actor=actor, lock_token=lock_token, base_revision=base_revision)
    before = (rel.relationship_name, dict(rel.cascade_config or {}))
    if relationship_name is not None and relationship_name != rel.relationship_name:
        rel.relationship_name = _check_name(rel.project, relationship_name, exclude_pk=rel.pk)
    config = dict(rel.cascade_config or {})
    if on_delete is not None:
        config["on_delete"] = _check_action(on_delete, "on_delete")
        if (
            config["on_delete"] == "set_null"
            and rel.relationship_type != "many_to_many"
            and rel.target_field.is_required
        ):
            raise ValidationError(
                {
                    "on_delete": [
                        f"ON DELETE SET NULL needs {rel.target_field.field_name} to be optional, but it is Required."
                    ]
                }
            )
    if on_update is not None:
        config["on_update"] = _check_action(on_update, "on_update")
    rel.cascade_config = config
    with integrity_as_validation():
        save(rel, actor)
    if rel.relationship_type == RelationshipType.MANY_TO_MANY and rel.junction_table_id:
        for link in TableRelationship.objects.filter(target_table=rel.junction_table):
            link.cascade_config = {
                "on_delete": config.get("on_delete", "no_action"),
                "on_update": config.get("on_update", "no_action"),
            }
            save(link, actor)
    touch(rel.target_table, actor, schema_edit=before != (rel.relationship_name, rel.cascade_config))
    return rel


@transaction.atomic
def delete_relationship(rel: TableRelationship, *, actor, lock_token=None, base_revision=None) -> None:
    """Delete a relationship; a many-to-many one takes its generated junction table with it."""
    require_editor(rel.project, actor)
    target = rel.target_table
    guard_write(target, actor=actor, lock_token=lock_token, base_revision=base_revision)
    junction = rel.junction_table
    if junction is not None:
        refuse_if_locked_by_others([junction], actor)
    rel._history_user = actor
    rel.delete()
    if junction is not None:
        table_service._delete_table(junction, actor)
    if DataTable.objects.filter(pk=target.pk).exists():
        touch(target, actor)
