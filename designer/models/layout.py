from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from .project import Project
from .table import DataTable

COLOR_PATTERN = r"^#[0-9a-f]{6}$"


class TableGroup(models.Model):
    """A named, coloured area on the canvas around its member tables (which move with it). Layout, not schema."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="table_groups")
    name = models.CharField(max_length=80)
    color = models.CharField(max_length=7, default="#2f6fde", help_text="#rrggbb")
    tables = models.ManyToManyField(DataTable, related_name="table_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="table_group_name_unique_in_project"),
            models.CheckConstraint(condition=Q(color__regex=COLOR_PATTERN), name="table_group_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class StickyNote(models.Model):
    """A free-text note on the canvas."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(max_length=2000)
    color = models.CharField(max_length=7, default="#fff3a8", help_text="#rrggbb")
    position_x = models.IntegerField(default=0)
    position_y = models.IntegerField(default=0)
    width = models.PositiveIntegerField(default=220)
    height = models.PositiveIntegerField(default=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(color__regex=COLOR_PATTERN), name="sticky_note_color_hex"),
            models.CheckConstraint(condition=Q(width__gte=80, height__gte=40), name="sticky_note_min_size"),
        ]

    def __str__(self) -> str:
        return self.text[:40]
