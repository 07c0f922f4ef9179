from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class SchemaVersion(models.Model):
    """An immutable snapshot of a project's design (seed 002: SchemaVersion)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("designer.Project", on_delete=models.CASCADE, related_name="versions")
    version_number = models.PositiveIntegerField()
    schema_hash = models.CharField(max_length=64)
    schema_snapshot = models.JSONField()
    changes = models.JSONField(default=list, blank=True, help_text="Change operations against the parent.")
    parent_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    message = models.TextField(blank=True)
    is_merged = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-version_number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version_number"], name="version_number_unique_in_project"),
            models.CheckConstraint(condition=Q(version_number__gte=1), name="version_number_positive"),
        ]
        indexes = [models.Index(fields=["project", "version_number"], name="version_project_number_idx")]

    def __str__(self) -> str:
        return f"{self.project} v{self.version_number}"
