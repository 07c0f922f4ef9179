from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from designer.schema.types import FAMILIES, check_default, normalize_type
from designer.schema.validation import STATUSES, validate_identifier

from .project import Project


class TableStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    DELETED = "deleted", "Deleted"


assert tuple(TableStatus.values) == STATUSES


class DataTable(models.Model):
    """A designed table (seed 002: DataTable). ``uid`` is its stable id in snapshots."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, editable=False, help_text="Stable id across versions and copies.")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(max_length=120, help_text="Display name, unique within the project.")
    table_name = models.CharField(max_length=63, help_text="Database identifier (snake_case).")
    description = models.TextField(blank=True)
    schema_definition = models.JSONField(default=dict, blank=True, help_text="Free-form extra metadata.")
    status = models.CharField(max_length=12, choices=TableStatus.choices, default=TableStatus.DRAFT)
    pk_name = models.CharField(max_length=63, blank=True, help_text="Primary-key constraint name; blank: <table>_pkey")
    position_x = models.IntegerField(default=0)
    position_y = models.IntegerField(default=0)
    revision = models.PositiveIntegerField(default=1, help_text="Bumped on every change, for conflict detection.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["table_name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="table_name_unique_in_project"),
            models.UniqueConstraint(fields=["project", "table_name"], name="table_identifier_unique_in_project"),
            models.UniqueConstraint(fields=["project", "uid"], name="table_uid_unique_in_project"),
            models.CheckConstraint(condition=Q(status__in=STATUSES), name="table_status_valid"),
            models.CheckConstraint(condition=Q(table_name__regex=r"^[a-z][a-z0-9_]*$"), name="table_identifier_format"),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="table_project_status_idx"),
            models.Index(fields=["name"], name="table_name_idx"),
            models.Index(fields=["table_name"], name="table_identifier_idx"),
        ]

    def __str__(self) -> str:
        return self.table_name

    def clean(self) -> None:
        """The same identifier rule the services apply (so the admin form shows it too)."""
        validate_identifier(self.table_name, "table_name", "Table name")


class DataField(models.Model):
    """A column (seed 002: DataField). ``pk_position`` not null = part of the primary key, in that order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    table = models.ForeignKey(DataTable, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=120, help_text="Display name, unique within the table.")
    field_name = models.CharField(max_length=63, help_text="Column identifier (snake_case).")
    data_type = models.CharField(max_length=10, choices=[(f, f) for f in FAMILIES])
    is_required = models.BooleanField(default=False, help_text="NOT NULL")
    is_unique = models.BooleanField(default=False)
    default_value = models.TextField(null=True, blank=True)
    field_config = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    sort_order = models.IntegerField(default=0)
    pk_position = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["table", "sort_order", "field_name"]
        constraints = [
            models.UniqueConstraint(fields=["table", "name"], name="field_name_unique_in_table"),
            models.UniqueConstraint(fields=["table", "field_name"], name="field_identifier_unique_in_table"),
            models.UniqueConstraint(fields=["table", "uid"], name="field_uid_unique_in_table"),
            models.UniqueConstraint(
                fields=["table", "pk_position"],
                condition=Q(pk_position__isnull=False),
                name="field_pk_position_unique",
            ),
            models.CheckConstraint(condition=Q(data_type__in=FAMILIES), name="field_data_type_valid"),
            models.CheckConstraint(condition=Q(sort_order__gte=0), name="field_sort_order_non_negative"),
            models.CheckConstraint(
                condition=Q(pk_position__isnull=True) | Q(is_required=True), name="field_pk_is_required"
            ),
            models.CheckConstraint(condition=Q(field_name__regex=r"^[a-z][a-z0-9_]*$"), name="field_identifier_format"),
        ]
        indexes = [
            models.Index(fields=["table", "sort_order"], name="field_table_order_idx"),
            models.Index(fields=["name"], name="field_name_idx"),
            models.Index(fields=["field_name"], name="field_identifier_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.table_id and self.table.table_name}.{self.field_name}"

    def clean(self) -> None:
        """Identifier, type options and a type-checked default, as the services check them."""
        validate_identifier(self.field_name, "field_name", "Field name")
        ftype = normalize_type(self.data_type, self.field_config)
        self.data_type, self.field_config = ftype.family, ftype.config
        self.default_value = check_default(ftype, self.default_value)
        if self.pk_position is not None and not self.is_required:
            raise ValidationError({"is_required": ["A primary-key field must be Required."]})


class TableIndex(models.Model):
    """An index on one or more columns of a table (unique or not)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    table = models.ForeignKey(DataTable, on_delete=models.CASCADE, related_name="indexes")
    name = models.CharField(max_length=63)
    is_unique = models.BooleanField(default=False)
    fields = models.ManyToManyField(DataField, through="IndexColumn", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["table", "name"]
        verbose_name_plural = "table indexes"
        constraints = [
            models.UniqueConstraint(fields=["table", "name"], name="index_name_unique_in_table"),
            models.UniqueConstraint(fields=["table", "uid"], name="index_uid_unique_in_table"),
        ]

    def __str__(self) -> str:
        return self.name


class IndexColumn(models.Model):
    index = models.ForeignKey(TableIndex, on_delete=models.CASCADE, related_name="columns")
    field = models.ForeignKey(DataField, on_delete=models.CASCADE, related_name="index_columns")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["index", "position"]
        constraints = [
            models.UniqueConstraint(fields=["index", "position"], name="index_column_position_unique"),
            models.UniqueConstraint(fields=["index", "field"], name="index_column_field_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.index_id}#{self.position}"


class ConstraintKind(models.TextChoices):
    UNIQUE = "unique", "Unique"
    CHECK = "check", "Check"


class TableConstraint(models.Model):
    """A table-level UNIQUE (one or more columns) or CHECK constraint. The primary key lives on the fields."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    table = models.ForeignKey(DataTable, on_delete=models.CASCADE, related_name="constraints")
    name = models.CharField(max_length=63)
    kind = models.CharField(max_length=10, choices=ConstraintKind.choices)
    expression = models.TextField(blank=True, help_text="For check constraints: the boolean SQL expression.")
    fields = models.ManyToManyField(DataField, through="ConstraintColumn", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["table", "name"]
        constraints = [
            models.UniqueConstraint(fields=["table", "name"], name="constraint_name_unique_in_table"),
            models.UniqueConstraint(fields=["table", "uid"], name="constraint_uid_unique_in_table"),
            models.CheckConstraint(condition=Q(kind__in=ConstraintKind.values), name="constraint_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind="check") | ~Q(expression=""), name="constraint_check_has_expression"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ConstraintColumn(models.Model):
    constraint = models.ForeignKey(TableConstraint, on_delete=models.CASCADE, related_name="columns")
    field = models.ForeignKey(DataField, on_delete=models.CASCADE, related_name="constraint_columns")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["constraint", "position"]
        constraints = [
            models.UniqueConstraint(fields=["constraint", "position"], name="constraint_column_position_unique"),
            models.UniqueConstraint(fields=["constraint", "field"], name="constraint_column_field_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.constraint_id}#{self.position}"
