"""Django admin for every designer model, with history (and revert) through django-simple-history.

Schema objects (tables, fields — also the inline on a table —, relationships, indexes, constraints) are written
through ``designer.services`` like every other edit: the same validation, lifecycle, revision bump and history
attribution. Staff edits count as unattended writes (``locks.unattended``): each write locks its table for its own
transaction and is refused while someone else holds the table's lock. A refusal is shown on the form (or as a
message, for deletes), never as a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from designer.api import keys as key_service
from designer.models import (
    ApiKey,
    ConstraintColumn,
    DataField,
    DataTable,
    DeployRun,
    Environment,
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
from designer.services import fields as field_service
from designer.services import indexes as index_service
from designer.services import locks
from designer.services import projects as project_service
from designer.services import relationships as relationship_service
from designer.services import tables as table_service

ADMIN_REASON = "admin"


# --- writes through the services ----------------------------------------------------------------------------
class Refused(Exception):
    """A service refused an admin write: ``errors`` are (form prefix or None for the main form, {key: messages})."""

    def __init__(self, errors: list[tuple[str | None, dict[str | None, list[str]]]]):
        self.errors = errors
        super().__init__("; ".join(m for _, e in errors for ms in e.values() for m in ms))


def _messages_of(exc: Exception) -> dict[str | None, list[str]]:
    if isinstance(exc, ValidationError):
        return exc.message_dict if hasattr(exc, "error_dict") else {None: list(exc.messages)}
    if isinstance(exc, locks.TableLocked | locks.StaleRevision):
        return {None: [exc.message]}
    return {None: [str(exc) or "You may not change this."]}


def call(fn: Callable[..., Any], *args, prefix: str | None = None, **kwargs) -> Any:
    """Run a service write as an unattended staff write; its refusal becomes :class:`Refused` for ``prefix``."""
    try:
        with locks.unattended(ADMIN_REASON):
            return fn(*args, **kwargs)
    except (ValidationError, PermissionDenied, locks.TableLocked, locks.StaleRevision) as exc:
        raise Refused([(prefix, _messages_of(exc))]) from exc


# Service error keys that name a different admin input.
ERROR_KEYS = {
    "primary_key": "pk_position",
    "on_delete": "cascade_config",
    "on_update": "cascade_config",
    "field_ids": None,
    "fields": None,
}


def add_errors(form: forms.BaseForm, errors: dict[str | None, list[str]]) -> None:
    for key, msgs in errors.items():
        key = ERROR_KEYS.get(key, key) if key is not None else None
        editable = key in form.fields and not form.fields[key].disabled
        form.add_error(key if editable else None, list(msgs))


def with_refusal(form_class: type[forms.BaseForm], request, *, main: bool) -> type[forms.BaseForm]:
    """The form class again, showing the errors of the refused attempt (see ``ServiceAdmin.changeform_view``)."""
    refusal = getattr(request, "_admin_refusal", None)
    if not refusal:
        return form_class

    class RefusedForm(form_class):  # type: ignore[misc, valid-type]
        def clean(self):
            cleaned = super().clean()
            for prefix, errors in refusal:
                if prefix == self.prefix or (main and prefix is None):
                    add_errors(self, errors)
            if main and any(prefix is not None for prefix, _ in refusal):
                self.add_error(None, "Nothing was saved: see the errors below.")
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


def refuse_revert_unless_changeable(model_admin: admin.ModelAdmin, request) -> None:
    """simple-history's revert form saves on POST without asking ``revert_disabled``: a read-only record refuses."""
    if request.method == "POST" and not model_admin.has_change_permission(request):
        raise PermissionDenied("This record is read-only; it cannot be reverted.")


class CascadeDeletes:
    """Deleting a table (or project) takes its lock rows and index/constraint columns with it; the admin must not
    refuse that because those records cannot be deleted one by one."""

    cascaded = (TableLock, IndexColumn, ConstraintColumn)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed = set(perms_needed) - {str(m._meta.verbose_name) for m in self.cascaded}
        return deleted, counts, perms_needed, protected


class RefusalShown:
    """Saves and deletes that go through the services; a refusal re-renders the form with the reasons."""

    atomic_changelist = True  # "Delete selected" all or nothing (not for actions that must commit on their own)

    def _retry_showing_refusal(self, view: Callable[..., Any], request, *args) -> Any:
        try:
            with transaction.atomic():
                return view(request, *args)
        except Refused as exc:  # everything the attempt wrote is rolled back; bind the same POST again
            request._admin_refusal = exc.errors
            return view(request, *args)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._retry_showing_refusal(super().changeform_view, request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_refusal(super().get_form(request, obj, change=change, **kwargs), request, main=True)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except Refused as exc:
            self.message_user(request, f"Not deleted: {exc}", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        if not self.atomic_changelist:
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except Refused as exc:  # "Delete selected": all or nothing
            self.message_user(request, f"Nothing was deleted: {exc}", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ServiceAdmin(RefusalShown, CascadeDeletes, SimpleHistoryAdmin):
    """A historical model's admin whose writes go through the services (reverting an old version too)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        refuse_revert_unless_changeable(self, request)
        return self._retry_showing_refusal(super().history_form_view, request, object_id, version_id, extra_context)


class ServiceInline(admin.TabularInline):
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_refusal(formset.form, request, main=False)
        return formset


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved instance the row the service created (for the log entry and the redirect)."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj.refresh_from_db()


def _changed(new, current, attrs) -> dict[str, Any]:
    return {a: getattr(new, a) for a in attrs if current is None or getattr(current, a) != getattr(new, a)}


class MembershipInline(ServiceInline):
    model = ProjectMembership
    extra = 0
    autocomplete_fields = ["user"]


def save_membership_forms(project: Project, actor, formset) -> None:
    """Members added, re-roled or removed through the project service (an owner always remains; ``Project.owner``
    follows the roles)."""
    done: dict[str, list] = {"new": [], "changed": [], "deleted": []}
    stored = {m.pk: m for m in ProjectMembership.objects.filter(project=project).select_related("user")}
    for form in formset.forms:
        new = form.instance
        old = stored.get(new.pk) if not new._state.adding else None
        if form in formset.deleted_forms:
            if old is not None:
                call(
                    project_service.remove_member, project, actor=actor, username=old.user.username, prefix=form.prefix
                )
                done["deleted"].append(old)
            continue
        if not form.has_changed():
            continue
        if old is not None and old.user_id != new.user_id:
            call(project_service.remove_member, project, actor=actor, username=old.user.username, prefix=form.prefix)
        saved = call(
            project_service.set_member,
            project,
            actor=actor,
            username=new.user.username,
            role=new.role,
            prefix=form.prefix,
        )
        if old is None:
            done["new"].append(saved)
        else:
            done["changed"].append((saved, list(form.changed_data)))
    _formset_done(formset, done)


@admin.register(Project)
class ProjectAdmin(RefusalShown, CascadeDeletes, admin.ModelAdmin):
    list_display = ["name", "slug", "owner", "is_active", "updated_at"]
    list_filter = ["is_active", "created_at"]
    search_fields = ["name", "slug", "description", "owner__username"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    actions = ["deploy_selected"]
    atomic_changelist = False  # a deploy commits its own run record as it goes

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj is not None else []  # the slug names the deploy target's schema

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    def save_model(self, request, obj, form, change):
        actor = request.user
        if not change:
            project = call(
                project_service.create_project,
                actor=obj.owner,
                name=obj.name,
                description=obj.description,
                slug=obj.slug or None,
            )
            if not obj.is_active:
                call(project_service.set_archived, project, actor=actor, archived=True)
            _adopt(obj, project)
            return
        current = Project.objects.get(pk=obj.pk)
        edits = _changed(obj, current, ["name", "description"])
        if edits:
            call(project_service.update_project, current, actor=actor, **edits)
        if obj.is_active != current.is_active:
            call(project_service.set_archived, current, actor=actor, archived=not obj.is_active)
        if obj.owner_id != current.owner_id:  # the named owner is always an owner member
            call(project_service.set_member, current, actor=actor, username=obj.owner.username, role="owner")
            Project.objects.filter(pk=obj.pk).update(owner=obj.owner)
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        save_membership_forms(form.instance, request.user, formset)
        form.instance.refresh_from_db()

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
class ProjectMembershipAdmin(RefusalShown, admin.ModelAdmin):
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["project__name", "user__username"]

    def get_readonly_fields(self, request, obj=None):
        return ["project", "user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = call(
            project_service.set_member, obj.project, actor=request.user, username=obj.user.username, role=obj.role
        )
        if not change:
            _adopt(obj, saved)

    def delete_model(self, request, obj):
        membership = ProjectMembership.objects.filter(pk=obj.pk).select_related("project", "user").first()
        if membership is not None:
            call(
                project_service.remove_member, membership.project, actor=request.user, username=membership.user.username
            )


# --- fields (the inline on a table and their own page) ------------------------------------------------------
FIELD_ATTRS = (
    "field_name", "name", "data_type", "field_config", "is_required", "is_unique", "default_value", "description",
)  # fmt: skip


def save_field_forms(table: DataTable, actor, entries: list[tuple[forms.ModelForm, bool]]) -> dict[str, list]:
    """Create, change and delete fields as the forms ask, through the field service; then apply the primary-key
    order (``pk_position``) and the field order (``sort_order``) they ask for. ``entries``: (form, deleted).

    Returns what changed, in the shape a formset's ``new_objects`` / ``changed_objects`` / ``deleted_objects`` have.
    """
    done: dict[str, list] = {"new": [], "changed": [], "deleted": []}
    stored = {f.pk: f for f in DataField.objects.filter(table=table)}
    wanted_sort: dict = {}
    wanted_pk: dict = {}
    for form, deleted in entries:
        new = form.instance
        old = stored.get(new.pk) if not new._state.adding else None
        if deleted:
            if old is not None:
                call(field_service.delete_field, DataField.objects.get(pk=old.pk), actor=actor, prefix=form.prefix)
                done["deleted"].append(old)
            continue
        attrs = [a for a in FIELD_ATTRS if a in form.fields]
        is_pk = new.pk_position is not None
        if old is None:
            kwargs = {a: getattr(new, a) for a in attrs}
            if "pk_position" in form.fields:
                kwargs["primary_key"] = is_pk
            field = call(field_service.create_field, table, actor=actor, prefix=form.prefix, **kwargs)
            _adopt(new, field)
            done["new"].append(new)
            if "sort_order" in form.changed_data:
                wanted_sort[field.pk] = new.sort_order
        else:
            kwargs = _changed(new, old, attrs)
            if "data_type" in kwargs or "field_config" in kwargs:
                kwargs.update(data_type=new.data_type, field_config=new.field_config)
            if "pk_position" in form.fields and is_pk != (old.pk_position is not None):
                kwargs["primary_key"] = is_pk
            if kwargs:
                fresh = DataField.objects.get(pk=old.pk)
                call(field_service.update_field, fresh, actor=actor, prefix=form.prefix, **kwargs)
                done["changed"].append((new, sorted(kwargs)))
            if "sort_order" in form.fields and new.sort_order != old.sort_order:
                wanted_sort[old.pk] = new.sort_order
        if "pk_position" in form.fields and is_pk:
            wanted_pk[new.pk] = new.pk_position
    _apply_key_and_order(table, actor, wanted_pk, wanted_sort)
    return done


def _apply_key_and_order(table: DataTable, actor, wanted_pk: dict, wanted_sort: dict) -> None:
    now = list(DataField.objects.filter(table=table).order_by("sort_order", "field_name"))
    key_now = [f.pk for f in sorted((f for f in now if f.pk_position is not None), key=lambda f: f.pk_position)]
    position = {f.pk: wanted_pk.get(f.pk, f.pk_position) for f in now if f.pk_position is not None}
    key_wanted = sorted(position, key=lambda pk: (position[pk], pk not in wanted_pk, key_now.index(pk)))
    if key_wanted != key_now:
        call(index_service.set_primary_key, DataTable.objects.get(pk=table.pk), actor=actor, field_ids=key_wanted)
    if wanted_sort:
        order = sorted(
            range(len(now)),
            key=lambda i: (wanted_sort.get(now[i].pk, now[i].sort_order), now[i].pk not in wanted_sort, i),
        )
        ids = [now[i].pk for i in order]
        if ids != [f.pk for f in now]:
            call(field_service.reorder_fields, DataTable.objects.get(pk=table.pk), actor=actor, field_ids=ids)


def _formset_done(formset, done: dict[str, list]) -> None:
    formset.new_objects, formset.changed_objects, formset.deleted_objects = (
        done["new"],
        done["changed"],
        done["deleted"],
    )


class FieldInline(ServiceInline):
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


class DataTableForm(forms.ModelForm):
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = DataTable
        fields = ["project", "name", "table_name", "description", "status", "pk_name", "position_x", "position_y"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:  # the stored revision (also when reverting to an old version)
            self.fields["base_revision"].initial = (
                DataTable.objects.filter(pk=self.instance.pk).values_list("revision", flat=True).first()
            )


@admin.register(DataTable)
class DataTableAdmin(ServiceAdmin):
    form = DataTableForm
    list_display = ["table_name", "name", "project", "status", "revision", "updated_at"]
    list_filter = ["status", "project"]
    search_fields = ["table_name", "name", "description", "project__name"]
    readonly_fields = ["uid", "revision", "schema_definition", "created_by", "created_at", "updated_at"]
    inlines = [FieldInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        actor = request.user
        if not change:
            if obj.status != "draft":
                raise Refused(
                    [(None, {"status": ["A new table starts as Draft; it becomes Active by deploying the project."]})]
                )
            table = call(
                table_service.create_table,
                obj.project,
                actor=actor,
                table_name=obj.table_name,
                name=obj.name,
                description=obj.description,
                position=(obj.position_x, obj.position_y),
            )
            if obj.pk_name:
                call(table_service.update_table, table, actor=actor, pk_name=obj.pk_name)
            _adopt(obj, table)
            return
        current = DataTable.objects.select_related("project").get(pk=obj.pk)
        based_on = form.cleaned_data.get("base_revision")
        if based_on is not None and based_on != current.revision:
            raise Refused([(None, {None: [locks.StaleRevision(current, based_on).message]})])
        moving_to = obj.status if obj.status != current.status else None
        if moving_to == "draft":  # back to design mode first, then the edits
            call(table_service.transition_table, current, actor=actor, status="draft")
            moving_to = None
        edits = _changed(
            obj, current, [a for a in ("table_name", "name", "description", "pk_name") if a in form.fields]
        )
        if moving_to and edits:
            raise Refused([(None, {"status": [_STATUS_ALONE]})])
        if edits:
            call(table_service.update_table, current, actor=actor, **edits)
        if (obj.position_x, obj.position_y) != (current.position_x, current.position_y):
            call(table_service.move_table, current, actor=actor, x=obj.position_x, y=obj.position_y)
        if moving_to:
            call(table_service.transition_table, current, actor=actor, status=moving_to)
        request._admin_moved_to = moving_to
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is not DataField:  # pragma: no cover - the table has only the field inline
            raise Refused([(None, {None: ["This inline cannot be saved here."]})])
        entries = [
            (f, f in formset.deleted_forms) for f in formset.forms if f.has_changed() or f in formset.deleted_forms
        ]
        entries = [(f, deleted) for f, deleted in entries if not (deleted and f.instance._state.adding)]
        _formset_done(formset, save_field_forms(form.instance, request.user, entries))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        wanted = getattr(request, "_admin_moved_to", None)
        status = DataTable.objects.filter(pk=form.instance.pk).values_list("status", flat=True).first()
        if wanted is not None and status != wanted:  # a field change put it back to Draft
            raise Refused([(None, {"status": [_STATUS_ALONE]})])
        form.instance.refresh_from_db()

    def delete_model(self, request, obj):
        table = DataTable.objects.filter(pk=obj.pk).select_related("project").first()
        if table is not None:
            call(table_service.delete_table, table, actor=request.user)


_STATUS_ALONE = (
    "Change the status on its own: saving a change to the table's schema returns an Active or Deprecated table "
    "to Draft."
)


@admin.register(DataField)
class DataFieldAdmin(ServiceAdmin):
    list_display = ["field_name", "table", "data_type", "is_required", "is_unique", "pk_position", "sort_order"]
    list_filter = ["data_type", "is_required", "is_unique", "table__project"]
    search_fields = ["field_name", "name", "table__table_name"]
    readonly_fields = ["uid", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "table"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        table = DataTable.objects.select_related("project").get(pk=obj.table_id)
        save_field_forms(table, request.user, [(form, False)])
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        field = DataField.objects.filter(pk=obj.pk).select_related("table__project").first()
        if field is not None:
            call(field_service.delete_field, field, actor=request.user)


# --- relationships --------------------------------------------------------------------------------------------
@admin.register(TableRelationship)
class TableRelationshipAdmin(ServiceAdmin):
    list_display = ["relationship_name", "relationship_type", "source_table", "target_table", "project", "status"]
    list_filter = ["relationship_type", "status", "project"]
    search_fields = ["relationship_name", "source_table__table_name", "target_table__table_name"]
    readonly_fields = ["uid", "status", "junction_table", "created_by", "created_at", "updated_at"]
    fixed_after_creation = [
        "project",
        "source_table",
        "source_field",
        "target_table",
        "target_field",
        "relationship_type",
    ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *self.fixed_after_creation] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        actor = request.user
        config = obj.cascade_config or {}
        if not change:
            rel = call(
                relationship_service.create_relationship,
                obj.project,
                actor=actor,
                source_field=obj.source_field,
                target_field=obj.target_field,
                relationship_type=obj.relationship_type,
                relationship_name=obj.relationship_name or None,
                on_delete=config.get("on_delete", "no_action"),
                on_update=config.get("on_update", "no_action"),
            )
            _adopt(obj, rel)
            return
        current = TableRelationship.objects.select_related("project", "target_table", "target_field").get(pk=obj.pk)
        kwargs = _changed(obj, current, ["relationship_name"])
        before = current.cascade_config or {}
        for key in ("on_delete", "on_update"):
            if config.get(key, "no_action") != before.get(key, "no_action"):
                kwargs[key] = config.get(key, "no_action")
        if kwargs:
            call(relationship_service.update_relationship, current, actor=actor, **kwargs)
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        rel = TableRelationship.objects.filter(pk=obj.pk).select_related("project", "target_table").first()
        if rel is not None:
            call(relationship_service.delete_relationship, rel, actor=request.user)


# --- indexes and constraints: added and deleted through the services; to change one, delete it and add another
class ColumnInline(ServiceInline):
    extra = 1

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is None

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class IndexColumnInline(ColumnInline):
    model = IndexColumn


class ConstraintColumnInline(ColumnInline):
    model = ConstraintColumn


def _column_ids(formsets) -> list:
    rows = []
    for formset in formsets:
        _formset_done(formset, {"new": [], "changed": [], "deleted": []})
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("field") is not None and not data.get("DELETE"):
                rows.append((data.get("position") or 0, len(rows), data["field"].pk))
    return [pk for _, _, pk in sorted(rows)]


class AddOnlyServiceAdmin(ServiceAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        """Nothing yet: the columns come with the inline (``save_related``)."""


@admin.register(TableIndex)
class TableIndexAdmin(AddOnlyServiceAdmin):
    list_display = ["name", "table", "is_unique"]
    list_filter = ["is_unique", "table__project"]
    search_fields = ["name", "table__table_name"]
    inlines = [IndexColumnInline]

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        table = DataTable.objects.select_related("project").get(pk=obj.table_id)
        index = call(
            index_service.create_index,
            table,
            actor=request.user,
            field_ids=_column_ids(formsets),
            name=obj.name or None,
            is_unique=obj.is_unique,
        )
        _adopt(obj, index)

    def delete_model(self, request, obj):
        index = TableIndex.objects.filter(pk=obj.pk).select_related("table__project").first()
        if index is not None:
            call(index_service.delete_index, index, actor=request.user)


@admin.register(TableConstraint)
class TableConstraintAdmin(AddOnlyServiceAdmin):
    list_display = ["name", "table", "kind", "expression"]
    list_filter = ["kind", "table__project"]
    search_fields = ["name", "table__table_name", "expression"]
    inlines = [ConstraintColumnInline]

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        table = DataTable.objects.select_related("project").get(pk=obj.table_id)
        constraint = call(
            index_service.create_constraint,
            table,
            actor=request.user,
            kind=obj.kind,
            field_ids=_column_ids(formsets),
            expression=obj.expression,
            name=obj.name or None,
        )
        _adopt(obj, constraint)

    def delete_model(self, request, obj):
        constraint = TableConstraint.objects.filter(pk=obj.pk).select_related("table__project").first()
        if constraint is not None:
            call(index_service.delete_constraint, constraint, actor=request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IndexColumn)
class IndexColumnAdmin(ReadOnlyAdmin):
    """Part of an index: add or delete the index (its columns come with it)."""

    list_display = ["index", "position", "field"]
    list_filter = ["index__table__project"]
    search_fields = ["index__name", "field__field_name"]


@admin.register(ConstraintColumn)
class ConstraintColumnAdmin(ReadOnlyAdmin):
    """Part of a constraint: add or delete the constraint (its columns come with it)."""

    list_display = ["constraint", "position", "field"]
    list_filter = ["constraint__table__project"]
    search_fields = ["constraint__name", "field__field_name"]


@admin.register(SchemaVersion)
class SchemaVersionAdmin(admin.ModelAdmin):
    """Versions are saved from the designer and by deploys; their snapshot and hash are never edited by hand."""

    list_display = ["project", "version_number", "schema_hash", "created_by", "created_at"]
    list_filter = ["project", "is_merged"]
    search_fields = ["project__name", "message", "schema_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
    """Locks are taken and given back by the designer; staff can only break active ones (recorded, broadcast)."""

    list_display = [
        "table", "user", "lock_type", "locked_at", "expires_at", "released_at", "release_reason", "released_by",
    ]  # fmt: skip
    list_filter = ["lock_type", "release_reason"]
    search_fields = ["table__table_name", "user__username", "reason"]
    actions = ["force_release_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        refuse_revert_unless_changeable(self, request)
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.action(description="Force release selected locks")
    def force_release_selected(self, request, queryset):
        freed = []
        for lock in queryset.filter(released_at__isnull=True).select_related("table__project", "user"):
            try:
                locks.force_release(lock.table, actor=request.user, reason=f"released in the admin by {request.user}")
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{lock.table}: {' '.join(_flat(exc))}", messages.ERROR)
                continue
            freed.append(f"{lock.table} (held by {lock.user})")
        if freed:
            self.message_user(request, f"Released the lock on {', '.join(freed)}.", messages.SUCCESS)
        elif not queryset.filter(released_at__isnull=True).exists():
            self.message_user(request, "None of the selected locks is active; nothing to release.", messages.WARNING)


def _flat(exc: Exception) -> list[str]:
    return [m for ms in _messages_of(exc).values() for m in ms]


@admin.register(DeployRun)
class DeployRunAdmin(admin.ModelAdmin):
    list_display = ["project", "environment", "number", "kind", "status", "started_by", "started_at", "duration_ms"]
    list_filter = ["status", "kind", "environment__name", "project"]
    search_fields = ["project__name", "error"]
    readonly_fields = [f.name for f in DeployRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    """A project's environments (owners manage them on the Deploy page); the schema suffix is fixed once made."""

    list_display = ["project", "name", "position", "schema_suffix", "deploy_right", "allow_seeding"]
    list_filter = ["deploy_right", "allow_seeding", "project"]
    search_fields = ["project__name", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["project", "schema_suffix", "created_at"] if obj is not None else ["created_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.runs.exists()  # its runs are its history


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    """Who has the project open (one row per websocket); pruned by the lock sweep."""

    list_display = ["user", "project", "connected_at", "seen_at"]
    list_filter = ["project"]
    search_fields = ["user__username", "project__name"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created on the API keys page or by ``manage.py create_api_key`` (the raw key is shown once there);
    here staff see them — never their hash — and revoke them (recorded: when and by whom)."""

    list_display = ["name", "user", "shown_prefix", "read_only", "scope", "created_at", "last_used_at", "revoked"]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter), "created_at", "last_used_at"]
    search_fields = ["name", "prefix", "user__username", "projects__name", "projects__slug"]
    fields = [
        "name", "user", "shown_prefix", "read_only", "scope", "created_at", "last_used_at", "revoked_at", "revoked_by",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["revoke_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "revoked_by").prefetch_related("projects")

    def has_add_permission(self, request) -> bool:
        return False  # a key's raw value is shown once, where it is created: the API keys page or the command

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # scope and owner are checked by the service at creation; revoke instead of editing

    def has_revoke_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("designer.change_apikey")

    @admin.display(description="prefix", ordering="prefix")
    def shown_prefix(self, key: ApiKey) -> str:
        return f"{key.prefix}…"

    @admin.display(description="scope")
    def scope(self, key: ApiKey) -> str:
        names = sorted(p.name for p in key.projects.all())
        return ", ".join(names) if names else "all the user's projects"

    @admin.display(description="revoked", ordering="revoked_at")
    def revoked(self, key: ApiKey) -> str:
        if key.revoked_at is None:
            return "—"
        by = f" by {key.revoked_by}" if key.revoked_by else ""
        return f"{key.revoked_at:%Y-%m-%d %H:%M}{by}"

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True).select_related("user"))
        if not active:
            self.message_user(request, "None of the selected keys is active; nothing to revoke.", messages.WARNING)
            return
        done = []
        for key in active:
            try:
                key_service.revoke(key, actor=request.user)
            except PermissionDenied as exc:
                self.message_user(request, f"{key}: {exc}", messages.ERROR)
                continue
            done.append(f"{key} of {key.user}")
        if done:
            self.message_user(request, f"Revoked {len(done)} key(s): {', '.join(done)}.", messages.SUCCESS)
