"""Django admin for every designer model, with history (and revert) through django-simple-history."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from designer.models import (
    ConstraintColumn,
    DataField,
    DataTable,
    DeployRun,
    IndexColumn,
    Presence,
    Project,
    ProjectMembership,
    SchemaVersion,
    StickyNote,
    TableConstraint,
    TableGroup,
    TableIndex,
    TableLock,
    TableRelationship,
)
from designer.services import deploy as deploy_service


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
    actions = ["deploy_selected"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not deploy_service.can_deploy(request.user):
            actions.pop("deploy_selected", None)
        return actions

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and request.POST.get("action") == "deploy_selected":
            deploy_service.require_deployer(request.user)  # 403, not a silent "no action"
        return super().changelist_view(request, extra_context)

    @admin.action(description="Deploy selected projects")
    def deploy_selected(self, request, queryset):
        deploy_service.require_deployer(request.user)
        for project in queryset:
            try:
                plan = deploy_service.plan(project, measure=False)
                if plan.destructive:
                    self.message_user(
                        request,
                        f"{project.name}: the plan drops data; deploy it from its plan page, typing the name.",
                        messages.WARNING,
                    )
                    continue
                run = deploy_service.deploy(project, actor=request.user, expected_digest=plan.digest)
            except (deploy_service.DeployRefused, ValidationError) as exc:
                self.message_user(
                    request, f"{project.name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )
                continue
            except ValueError as exc:  # the design does not compile
                self.message_user(request, f"{project.name}: the design cannot be compiled: {exc}", messages.ERROR)
                continue
            level = messages.SUCCESS if run.status == "succeeded" else messages.ERROR
            self.message_user(request, f"{project.name}: deploy #{run.number} {run.get_status_display()}.", level)


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


@admin.register(IndexColumn)
class IndexColumnAdmin(admin.ModelAdmin):
    list_display = ["index", "position", "field"]
    list_filter = ["index__table__project"]
    search_fields = ["index__name", "field__field_name"]


@admin.register(ConstraintColumn)
class ConstraintColumnAdmin(admin.ModelAdmin):
    list_display = ["constraint", "position", "field"]
    list_filter = ["constraint__table__project"]
    search_fields = ["constraint__name", "field__field_name"]


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


@admin.register(TableGroup)
class TableGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "color", "created_at"]
    list_filter = ["project"]
    search_fields = ["name", "project__name", "tables__table_name"]
    filter_horizontal = ["tables"]


@admin.register(StickyNote)
class StickyNoteAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "created_by", "updated_at"]
    list_filter = ["project"]
    search_fields = ["text", "project__name"]


@admin.register(TableLock)
class TableLockAdmin(SimpleHistoryAdmin):
    list_display = [
        "table", "user", "lock_type", "locked_at", "expires_at", "released_at", "release_reason", "released_by",
    ]  # fmt: skip
    list_filter = ["lock_type", "release_reason"]
    search_fields = ["table__table_name", "user__username", "reason"]


@admin.register(DeployRun)
class DeployRunAdmin(admin.ModelAdmin):
    list_display = ["project", "number", "kind", "status", "started_by", "started_at", "duration_ms"]
    list_filter = ["status", "kind", "project"]
    search_fields = ["project__name", "error"]
    readonly_fields = [f.name for f in DeployRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    """Who has the project open (one row per websocket); pruned by the lock sweep."""

    list_display = ["user", "project", "connected_at", "seen_at"]
    list_filter = ["project"]
