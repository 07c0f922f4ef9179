from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .project import Project
from .table import DataField, DataTable, TableStatus


class RelationshipType(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "One to one"
    ONE_TO_MANY = "one_to_many", "One to many"
    MANY_TO_MANY = "many_to_many", "Many to many"


REFERENTIAL_ACTIONS = ("no_action", "restrict", "cascade", "set_null", "set_default")


class TableRelationship(models.Model):
    """A relationship between two tables (seed 002: TableRelationship).

    As in seed 002, the *source* is the "one" side (the referenced key, e.g. ``artist.artist_id``) and the
    *target* is the "many" side that holds the foreign-key column (e.g. ``album.artist_id``). For
    ``one_to_one`` the target column is also unique. For ``many_to_many`` both source and target are
    referenced keys and ``junction_table`` is the generated table that holds the two foreign keys (as two
    ``one_to_many`` relationships of its own).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="relationships")
    source_table = models.ForeignKey(DataTable, on_delete=models.CASCADE, related_name="relationships_as_source")
    target_table = models.ForeignKey(DataTable, on_delete=models.CASCADE, related_name="relationships_as_target")
    source_field = models.ForeignKey(DataField, on_delete=models.CASCADE, related_name="relationships_as_source")
    target_field = models.ForeignKey(DataField, on_delete=models.CASCADE, related_name="relationships_as_target")
    junction_table = models.ForeignKey(
        DataTable, null=True, blank=True, on_delete=models.SET_NULL, related_name="junction_for"
    )
    relationship_name = models.CharField(max_length=63, help_text="Also the foreign-key constraint name.")
    relationship_type = models.CharField(
        max_length=12, choices=RelationshipType.choices, default=RelationshipType.ONE_TO_MANY
    )
    cascade_config = models.JSONField(default=dict, blank=True, help_text='{"on_delete": ..., "on_update": ...}')
    status = models.CharField(max_length=12, choices=TableStatus.choices, default=TableStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["relationship_name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "relationship_name"], name="relationship_name_unique"),
            models.UniqueConstraint(fields=["project", "uid"], name="relationship_uid_unique_in_project"),
            models.CheckConstraint(
                condition=Q(relationship_type__in=RelationshipType.values), name="relationship_type_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=TableStatus.values), name="relationship_status_valid"),
        ]
        indexes = [models.Index(fields=["project", "status"], name="rel_project_status_idx")]

    def __str__(self) -> str:
        return self.relationship_name

    def clean(self) -> None:
        """Same project, fields of the named tables, known actions (the admin form shows these)."""
        errors: dict[str, list[str]] = {}
        for side in ("source", "target"):
            table = getattr(self, f"{side}_table", None) if getattr(self, f"{side}_table_id", None) else None
            field = getattr(self, f"{side}_field", None) if getattr(self, f"{side}_field_id", None) else None
            if table is not None and table.project_id != self.project_id:
                errors.setdefault(f"{side}_table", []).append(
                    "Relationships can only connect tables of the same project."
                )
            if field is not None and table is not None and field.table_id != table.pk:
                errors.setdefault(f"{side}_field", []).append(f"Pick a field of {table.table_name}.")
        if not isinstance(self.cascade_config or {}, dict):
            errors["cascade_config"] = ['Cascade configuration must be an object: {"on_delete": …, "on_update": …}.']
        for key in ("on_delete", "on_update"):
            if "cascade_config" in errors:
                break
            if (self.cascade_config or {}).get(key, "no_action") not in REFERENTIAL_ACTIONS:
                errors.setdefault("cascade_config", []).append(
                    f"{key} must be one of {', '.join(REFERENTIAL_ACTIONS)}."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def on_delete(self) -> str:
        return (self.cascade_config or {}).get("on_delete", "no_action")

    @property
    def on_update(self) -> str:
        return (self.cascade_config or {}).get("on_update", "no_action")
