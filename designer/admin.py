"""Django admin for every designer model, with history (and revert) through django-simple-history."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from designer.models import (
    ConstraintColumn,
    DataField,
    DataTable,
    IndexColumn,
    Presence,
    Project,
    ProjectMembership,
    SchemaVersion,
    TableConstraint,
    TableIndex,
    TableLock,
    TableRelationship,
)


class MembershipInline(admin.TabularInline):
    model = ProjectMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner", "is_active", "updated_at"]
    list_filter = ["is_active", "created_at"]
    search_fields = ["name", "slug", "description", "owner__username"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ProjectMembership)
class ProjectMembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["project__name", "user__username"]


class FieldInline(admin.TabularInline):
    model = DataField
    extra = 0
    fields = [
        "sort_order",
        "field_name",
        "name",
        "data_type",
        "field_config",
        "is_required",
        "is_unique",
        "pk_position",
        "default_value",
    ]
    ordering = ["sort_order"]


@admin.register(DataTable)
class DataTableAdmin(SimpleHistoryAdmin):
    list_display = ["table_name", "name", "project", "status", "revision", "updated_at"]
    list_filter = ["status", "project"]
    search_fields = ["table_name", "name", "description", "project__name"]
    readonly_fields = ["uid", "revision", "created_at", "updated_at"]
    inlines = [FieldInline]


@admin.register(DataField)
class DataFieldAdmin(SimpleHistoryAdmin):
    list_display = ["field_name", "table", "data_type", "is_required", "is_unique", "pk_position", "sort_order"]
    list_filter = ["data_type", "is_required", "is_unique", "table__project"]
    search_fields = ["field_name", "name", "table__table_name"]
    readonly_fields = ["uid", "created_at", "updated_at"]


@admin.register(TableRelationship)
class TableRelationshipAdmin(SimpleHistoryAdmin):
    list_display = ["relationship_name", "relationship_type", "source_table", "target_table", "project", "status"]
    list_filter = ["relationship_type", "status", "project"]
    search_fields = ["relationship_name", "source_table__table_name", "target_table__table_name"]
    readonly_fields = ["uid", "created_at", "updated_at"]


class IndexColumnInline(admin.TabularInline):
    model = IndexColumn
    extra = 0


@admin.register(TableIndex)
class TableIndexAdmin(SimpleHistoryAdmin):
    list_display = ["name", "table", "is_unique"]
    list_filter = ["is_unique", "table__project"]
    search_fields = ["name", "table__table_name"]
    inlines = [IndexColumnInline]


class ConstraintColumnInline(admin.TabularInline):
    model = ConstraintColumn
    extra = 0


@admin.register(TableConstraint)
class TableConstraintAdmin(SimpleHistoryAdmin):
    list_display = ["name", "table", "kind", "expression"]
    list_filter = ["kind", "table__project"]
    search_fields = ["name", "table__table_name", "expression"]
    inlines = [ConstraintColumnInline]


@admin.register(SchemaVersion)
class SchemaVersionAdmin(admin.ModelAdmin):
    list_display = ["project", "version_number", "schema_hash", "created_by", "created_at"]
    list_filter = ["project", "is_merged"]
    search_fields = ["project__name", "message", "schema_hash"]
    readonly_fields = ["created_at"]


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    """Who has a project page open (one row per websocket); rows go when the socket closes or stops answering."""

    list_display = ["user", "project", "connected_at", "seen_at"]
    list_filter = ["project"]
    search_fields = ["user__username", "project__name"]


@admin.register(TableLock)
class TableLockAdmin(SimpleHistoryAdmin):
    list_display = [
        "table",
        "user",
        "lock_type",
        "locked_at",
        "expires_at",
        "released_at",
        "release_reason",
        "released_by",
    ]
    list_filter = ["lock_type", "release_reason"]
    search_fields = ["table__table_name", "user__username", "reason"]
