"""The side panel: one table's editor (table, fields, relationships, indexes, constraints) as HTMX partials.

Every write calls a service. A refused edit answers 422 with the same form re-rendered, the posted values
kept and the message beside the offending input; a successful one answers with the updated part of the
panel and an ``HX-Trigger: diagram-changed`` naming the boxes to redraw.

The whole panel is the partial ``designer/panel.html#table-panel`` (one per table, ``read_only`` when the
user may not edit), so other features (locks) can decorate it.

Locks (issue 4): every write carries the caller's lock token and the revision its form was based on
(:func:`lock_args`; ``static/designer/collab.js`` adds both to every request from the panel) and goes through the
services' guard. Not holding the lock is answered 423 by ``designer.middleware`` into ``#lock-errors`` (the form
and what was typed stay as they are); a stale revision re-renders the whole panel at its current state with
the posted values kept (409, :func:`guarded`). Successful writes name the table's new revision in
``X-Table-Revision`` so the next write is based on it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from designer.forms import (
    ACTIONS,
    TYPE_CHOICES,
    checked,
    error_dict,
    field_changes,
    field_error_dict,
    field_kwargs,
    type_choice,
)
from designer.models import DataField, DataTable, Role, TableConstraint, TableIndex, TableRelationship
from designer.models.relationship import RelationshipType
from designer.schema.types import type_label
from designer.schema.validation import TRANSITIONS
from designer.services import fields as field_service
from designer.services import indexes as index_service
from designer.services import relationships as rel_service
from designer.services import tables as table_service
from designer.services.locks import StaleRevision, active_lock
from designer.services.permissions import can_edit, remember_role, role_of, with_role

from ._htmx import diagram_changed, position_saved, refusals_as_403, retarget, trigger
from .projects import get_project_for

PANEL = "designer/panel.html"
FIELD_INPUTS = {
    "field_name",
    "name",
    "data_type",
    "field_config",
    "is_required",
    "is_unique",
    "primary_key",
    "default_value",
    "description",
}


def get_table(request: HttpRequest, slug: str, table_id) -> DataTable:
    project = get_project_for(request, slug)
    table = get_object_or_404(DataTable, project=project, pk=table_id)
    table.project = project  # share the role cache
    return table


def get_field(request: HttpRequest, slug: str, table_id, field_id) -> DataField:
    """The field with its table and project, the user's role in the project and the field's FK marker
    (``is_fk``: a foreign-key column of its table), in one query; 404 unless the user may see the project."""
    fk = TableRelationship.objects.filter(target_field=OuterRef("pk"), target_table=OuterRef("table_id")).exclude(
        relationship_type=RelationshipType.MANY_TO_MANY
    )
    fields = with_role(DataField.objects.select_related("table__project"), request.user, "table__project")
    field = (
        fields.annotate(is_fk=Exists(fk))
        .filter(pk=field_id, table_id=table_id, table__project__slug=slug)
        .order_by()
        .first()
    )
    if field is not None:
        remember_role(field.table.project, request.user, field)
    if field is None or role_of(field.table.project, request.user) is None:
        raise Http404("No such field, or you are not a member of its project.")
    return field


def _decorate(fields: list[DataField], fk_ids: set | None) -> list[DataField]:
    """Type labels and FK markers for the rows (``fk_ids`` None: the fields come from :func:`get_field`, which
    read their ``is_fk``)."""
    for f in fields:
        f.type_label = type_label(f.data_type, f.field_config or {})
        if fk_ids is not None:
            f.is_fk = f.pk in fk_ids
    return fields


def field_values(field: DataField | None) -> dict:
    """The edit form's input values for a stored field (or the Add field defaults)."""
    if field is None:
        return {"data_type": "text"}
    config = field.field_config or {}
    return {
        "field_name": field.field_name,
        "data_type": type_choice(field.data_type, config),
        "max_length": config.get("max_length", ""),
        "precision": config.get("precision", ""),
        "scale": config.get("scale", ""),
        "choices": ", ".join(config.get("choices", [])),
        "identity": config.get("identity", False),
        "is_required": field.is_required,
        "is_unique": field.is_unique,
        "primary_key": field.pk_position is not None,
        "default_value": field.default_value or "",
        "description": field.description,
    }


def panel_context(request: HttpRequest, table: DataTable, **extra) -> dict:
    project = table.project
    rels = list(
        TableRelationship.objects.filter(Q(source_table=table) | Q(target_table=table))
        .select_related("source_table", "source_field", "target_table", "target_field", "target_field")
        .order_by("relationship_name")
    )
    fk_ids = {
        r.target_field_id for r in rels if r.target_table_id == table.pk and r.relationship_type != "many_to_many"
    }
    fields = _decorate(list(table.fields.order_by("sort_order", "field_name")), fk_ids)
    editable = can_edit(project, request.user)
    lock = active_lock(table)
    if lock is not None and lock.expires_at <= timezone.now():
        lock = None
    context = {
        "project": project,
        "table": table,
        "fields": fields,
        "relationships": rels,
        "indexes": table.indexes.prefetch_related("columns__field"),
        "constraints": table.constraints.prefetch_related("columns__field"),
        "key_fields": DataField.objects.filter(table__project=project)
        .filter(Q(pk_position__isnull=False) | Q(is_unique=True))
        .exclude(table__status="deleted")
        .select_related("table")
        .order_by("table__table_name", "sort_order"),
        "transitions": [to for (frm, to), how in TRANSITIONS.items() if frm == table.status and how == "manual"],
        "can_edit": editable,
        "read_only": not editable,
        "lock": lock,
        "can_force": role_of(project, request.user) == Role.OWNER or request.user.is_staff,
        "hard_delete_refusal": lambda: table_service.hard_delete_refusal(table),  # only read for a Draft table
        "type_choices": TYPE_CHOICES,
        "actions": ACTIONS,
        "relationship_types": RelationshipType.choices,
        "errors": {},
        "fv": field_values(None),
        "form": {},
    }
    context.update(extra)
    return context


def lock_args(request: HttpRequest) -> dict:
    """The caller's lock token and the table revision the submitted form was based on."""
    return {
        "lock_token": request.POST.get("lock_token") or None,
        "base_revision": request.POST.get("base_revision") or None,
    }


def _kept_form(request: HttpRequest, kwargs: dict) -> dict:
    return {"form": request.POST.dict(), "form_fields": request.POST.getlist("fields")}


def guarded(kept: Callable[[HttpRequest, dict], dict] = _kept_form) -> Callable:
    """A panel write: on ``StaleRevision`` re-render the panel at the table's current state (409) with what the
    user typed (``kept`` says where it goes); on success name the table's new revision (``X-Table-Revision``)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, table_id, **kwargs) -> HttpResponse:
            try:
                response = view(request, slug, table_id, **kwargs)
            except StaleRevision as exc:
                table = get_table(request, slug, table_id)
                extra = {"lock_error": exc.message, **kept(request, kwargs)}
                response = render(request, f"{PANEL}#table-panel", panel_context(request, table, **extra), status=409)
                return retarget(response, "#panel")
            if request.method == "POST" and response.status_code < 400 and "X-Table-Revision" not in response:
                revision = DataTable.objects.filter(pk=table_id).values_list("revision", flat=True).first()
                if revision is not None:
                    response["X-Table-Revision"] = str(revision)
            return response

        return wrapped

    return decorate


def _kept_field(request: HttpRequest, kwargs: dict) -> dict:
    return {"fv": request.POST.dict()}


def _kept_field_edit(request: HttpRequest, kwargs: dict) -> dict:
    return {"edit_field": str(kwargs.get("field_id")), "edit_fv": request.POST.dict()}


def _panel(request: HttpRequest, table: DataTable, *, status: int = 200, **extra) -> HttpResponse:
    response = render(request, f"{PANEL}#table-panel", panel_context(request, table, **extra), status=status)
    return retarget(response, "#panel") if status < 400 else response


def _form_error(request, table, partial: str, exc, inputs: set[str], rename=None, **extra) -> HttpResponse:
    """422 with the form re-rendered: messages beside the inputs, typed values and ticked fields kept."""
    context = panel_context(
        request,
        table,
        errors=error_dict(exc, inputs, rename),
        form=request.POST.dict(),
        form_fields=request.POST.getlist("fields"),
        **extra,
    )
    return render(request, f"{PANEL}#{partial}", context, status=422)


# --- the table itself ----------------------------------------------------------------------------
@refusals_as_403
@guarded()
def table_panel(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    """GET: open the table in the panel. POST: save its name and description."""
    table = get_table(request, slug, table_id)
    if request.method != "POST":
        return render(request, f"{PANEL}#table-panel", panel_context(request, table))
    try:
        table_service.update_table(
            table,
            actor=request.user,
            table_name=request.POST.get("table_name", ""),
            name=request.POST.get("name") or None,
            description=request.POST.get("description", ""),
            **lock_args(request),
        )
    except ValidationError as exc:
        table.refresh_from_db()
        return _form_error(request, table, "table-form", exc, {"table_name", "name", "description"})
    response = _panel(request, table, saved="Table saved.")
    trigger(response, "tables-changed")
    return diagram_changed(response, tables=[table.pk])


@require_POST
@refusals_as_403
@guarded()
def table_status(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    table = get_table(request, slug, table_id)
    try:
        table_service.transition_table(
            table, actor=request.user, status=request.POST.get("status", ""), **lock_args(request)
        )
    except ValidationError as exc:
        table.refresh_from_db()
        return _form_error(request, table, "status-form", exc, {"status"})
    response = _panel(request, table, saved=f"Table is now {table.get_status_display()}.")
    trigger(response, "tables-changed")
    if table.status == "deleted":
        return diagram_changed(response, removed=[table.pk])
    return diagram_changed(response, tables=[table.pk])


@require_POST
@refusals_as_403
@guarded()
def table_delete(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    table = get_table(request, slug, table_id)
    pk, name = table.pk, table.table_name
    try:
        removed = table_service.delete_table(table, actor=request.user, **lock_args(request))
    except ValidationError as exc:
        return _form_error(request, table, "table-form", exc, {"table_name", "name", "description"})
    note = f" with relationships {', '.join(removed)}" if removed else ""
    response = HttpResponse(f'<p role="status" class="muted">Deleted table {name}{note}.</p>')
    retarget(response, "#panel")
    trigger(response, "tables-changed")
    return diagram_changed(response, removed=[pk], full=bool(removed))


@require_POST
@refusals_as_403
def table_move(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    """Save a dragged box's position (called by the canvas script on drop)."""
    table = get_table(request, slug, table_id)
    x, y = request.POST.get("x"), request.POST.get("y")
    return position_saved(lambda: table_service.move_table(table, actor=request.user, x=x, y=y))


# --- fields --------------------------------------------------------------------------------------
def _fields_section(request, table, *, status=200, **extra) -> HttpResponse:
    context = panel_context(request, table, **extra)
    return render(request, f"{PANEL}#fields-section", context, status=status)


@require_POST
@refusals_as_403
@guarded(_kept_field)
def field_create(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    table = get_table(request, slug, table_id)
    try:
        field_service.create_field(table, actor=request.user, **field_kwargs(request.POST), **lock_args(request))
    except ValidationError as exc:
        return _fields_section(
            request, table, status=422, errors=field_error_dict(exc, FIELD_INPUTS), fv=request.POST.dict()
        )
    return diagram_changed(_fields_section(request, table), tables=[table.pk])


@refusals_as_403
@guarded(_kept_field_edit)
def field_edit(request: HttpRequest, slug: str, table_id, field_id) -> HttpResponse:
    """GET: the field's row as an edit form (``?cancel=1``: back to the row). POST: save it."""
    field = get_field(request, slug, table_id, field_id)
    table = field.table
    context = {"project": table.project, "table": table, "can_edit": can_edit(table.project, request.user)}
    context.update(type_choices=TYPE_CHOICES, errors={})
    if request.method != "POST":
        if request.GET.get("cancel"):
            _decorate([field], None)
            return render(request, f"{PANEL}#field-row", {**context, "f": field})
        return render(request, f"{PANEL}#field-form", {**context, "f": field, "fv": field_values(field)})
    try:
        field_service.update_field(
            field, actor=request.user, **field_changes(field, field_kwargs(request.POST)), **lock_args(request)
        )
    except ValidationError as exc:
        field.refresh_from_db()
        errors = field_error_dict(exc, FIELD_INPUTS)
        return render(
            request,
            f"{PANEL}#field-form",
            {**context, "f": field, "fv": request.POST.dict(), "errors": errors},
            status=422,
        )
    _decorate([field], None)
    response = render(request, f"{PANEL}#field-row", {**context, "f": field})
    # the revision the edit saved, under the table's row lock: what this answer shows is based on it
    response["X-Table-Revision"] = str(table.revision)
    return diagram_changed(response, tables=[table.pk])


@require_POST
@refusals_as_403
@guarded()
def field_delete(request: HttpRequest, slug: str, table_id, field_id) -> HttpResponse:
    field = get_field(request, slug, table_id, field_id)
    table = field.table
    try:
        removed = field_service.delete_field(field, actor=request.user, **lock_args(request))
    except ValidationError as exc:
        return _fields_section(request, table, status=422, errors=error_dict(exc, {"field"}), error_field=field.pk)
    saved = f"Deleted {field.field_name}" + (f" and {', '.join(removed)}." if removed else ".")
    return diagram_changed(_fields_section(request, table, saved=saved), tables=[table.pk])


@require_POST
@refusals_as_403
@guarded()
def field_move(request: HttpRequest, slug: str, table_id, field_id) -> HttpResponse:
    """Move a field one place up or down (``direction``)."""
    table = get_table(request, slug, table_id)
    order = [str(pk) for pk in table.fields.order_by("sort_order", "field_name").values_list("pk", flat=True)]
    at = order.index(str(get_object_or_404(DataField, table=table, pk=field_id).pk))
    to = at - 1 if request.POST.get("direction") == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
        try:
            field_service.reorder_fields(table, actor=request.user, field_ids=order, **lock_args(request))
        except ValidationError as exc:
            errors = {"field": [m for ms in error_dict(exc, set()).values() for m in ms]}
            return _fields_section(request, table, status=422, errors=errors, error_field=field_id)
    return diagram_changed(_fields_section(request, table), tables=[table.pk])


# --- relationships -------------------------------------------------------------------------------
REL_INPUTS = {
    "source_field",
    "target_field",
    "field_name",
    "relationship_type",
    "relationship_name",
    "on_delete",
    "on_update",
}


@require_POST
@refusals_as_403
@guarded()
def relationship_create(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    """This table references another: pick the referenced key, and an existing column of this table or the
    name of a new one (created with the referenced key's type)."""
    table = get_table(request, slug, table_id)
    data = request.POST
    common = {
        "relationship_type": data.get("relationship_type", RelationshipType.ONE_TO_MANY),
        "relationship_name": (data.get("relationship_name") or "").strip() or None,
        "on_delete": data.get("on_delete", "no_action"),
        "on_update": data.get("on_update", "no_action"),
        **lock_args(request),
    }
    source = data.get("source_field") or ""
    try:
        if not source:
            raise ValidationError({"source_field": ["Pick the key this table refers to (table.field)."]})
        if common["relationship_type"] == RelationshipType.MANY_TO_MANY:
            pk = list(table.fields.filter(pk_position__isnull=False)[:2])
            if len(pk) != 1:
                raise ValidationError(
                    {"target_field": [f"{table.table_name} needs a single-column primary key to join many-to-many."]}
                )
            rel = rel_service.create_relationship(
                table.project, actor=request.user, source_field=source, target_field=pk[0], **common
            )
        elif data.get("target_field"):
            rel = rel_service.create_relationship(
                table.project, actor=request.user, source_field=source, target_field=data["target_field"], **common
            )
        else:
            rel = rel_service.create_relationship_with_column(
                table.project,
                actor=request.user,
                source_field=source,
                target_table=table,
                field_name=(data.get("field_name") or "").strip() or _fk_column_name(source),
                is_required=checked(data, "is_required"),
                **common,
            )
    except ValidationError as exc:
        return _form_error(request, table, "relationship-form", exc, REL_INPUTS, rename={"data_type": "source_field"})
    response = _panel(request, table, saved=f"Added relationship {rel.relationship_name}.")
    tables = [rel.source_table_id, rel.target_table_id] + ([rel.junction_table_id] if rel.junction_table_id else [])
    if rel.junction_table_id:
        trigger(response, "tables-changed")
    return diagram_changed(response, tables=tables, full=bool(rel.junction_table_id))


def _fk_column_name(source_field_id: str) -> str:
    """``artist.artist_id`` -> ``artist_id``; ``customers.id`` -> ``customers_id``."""
    source = DataField.objects.select_related("table").filter(pk=source_field_id).first()
    if source is None:
        return ""
    if source.field_name.startswith(source.table.table_name.rstrip("s")):
        return source.field_name
    return f"{source.table.table_name}_{source.field_name}"


def _relationship(table: DataTable, rel_id) -> TableRelationship:
    return get_object_or_404(
        TableRelationship.objects.filter(Q(source_table=table) | Q(target_table=table)).select_related(
            "target_field", "project"
        ),
        pk=rel_id,
    )


@require_POST
@refusals_as_403
@guarded()
def relationship_edit(request: HttpRequest, slug: str, table_id, rel_id) -> HttpResponse:
    table = get_table(request, slug, table_id)
    rel = _relationship(table, rel_id)
    rel.project = table.project
    try:
        rel_service.update_relationship(
            rel,
            actor=request.user,
            relationship_name=(request.POST.get("relationship_name") or "").strip() or None,
            on_delete=request.POST.get("on_delete"),
            on_update=request.POST.get("on_update"),
            **lock_args(request),
        )
    except ValidationError as exc:
        errors = error_dict(exc, {"relationship_name", "on_delete", "on_update"})
        context = panel_context(request, table, rel_errors=errors, edit_rel=rel.pk, rel_form=request.POST.dict())
        return render(request, f"{PANEL}#relationships-section", context, status=422)
    response = _panel(request, table, saved=f"Saved relationship {rel.relationship_name}.")
    return diagram_changed(response, tables=[rel.source_table_id, rel.target_table_id])


@require_POST
@refusals_as_403
@guarded()
def relationship_delete(request: HttpRequest, slug: str, table_id, rel_id) -> HttpResponse:
    table = get_table(request, slug, table_id)
    rel = _relationship(table, rel_id)
    rel.project = table.project
    ends, junction = [rel.source_table_id, rel.target_table_id], rel.junction_table_id
    rel_service.delete_relationship(rel, actor=request.user, **lock_args(request))
    response = _panel(request, table, saved=f"Deleted relationship {rel.relationship_name}.")
    if junction:
        trigger(response, "tables-changed")
    return diagram_changed(response, tables=ends, removed=[junction] if junction else [], full=bool(junction))


# --- indexes, constraints, primary key -----------------------------------------------------------
@require_POST
@refusals_as_403
@guarded()
def index_create(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    table = get_table(request, slug, table_id)
    try:
        index = index_service.create_index(
            table,
            actor=request.user,
            field_ids=request.POST.getlist("fields"),
            name=(request.POST.get("name") or "").strip() or None,
            is_unique=checked(request.POST, "is_unique"),
            **lock_args(request),
        )
    except ValidationError as exc:
        return _form_error(request, table, "index-form", exc, {"fields", "name"})
    return diagram_changed(_panel(request, table, saved=f"Added index {index.name}."), tables=[table.pk])


def _delete_part(request, slug, table_id, model, part_id, delete, what: str) -> HttpResponse:
    table = get_table(request, slug, table_id)
    part = get_object_or_404(model, table=table, pk=part_id)
    part.table = table
    delete(part, actor=request.user, **lock_args(request))
    return diagram_changed(_panel(request, table, saved=f"Deleted {what} {part.name}."), tables=[table.pk])


@require_POST
@refusals_as_403
@guarded()
def index_delete(request: HttpRequest, slug: str, table_id, index_id) -> HttpResponse:
    return _delete_part(request, slug, table_id, TableIndex, index_id, index_service.delete_index, "index")


@require_POST
@refusals_as_403
@guarded()
def constraint_create(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    table = get_table(request, slug, table_id)
    try:
        constraint = index_service.create_constraint(
            table,
            actor=request.user,
            kind=request.POST.get("kind", ""),
            field_ids=request.POST.getlist("fields"),
            expression=(request.POST.get("expression") or "").strip(),
            name=(request.POST.get("name") or "").strip() or None,
            **lock_args(request),
        )
    except ValidationError as exc:
        return _form_error(
            request,
            table,
            "constraint-form",
            exc,
            {"kind", "fields", "expression", "name"},
        )
    return diagram_changed(_panel(request, table, saved=f"Added constraint {constraint.name}."), tables=[table.pk])


@require_POST
@refusals_as_403
@guarded()
def constraint_delete(request: HttpRequest, slug: str, table_id, constraint_id) -> HttpResponse:
    return _delete_part(
        request, slug, table_id, TableConstraint, constraint_id, index_service.delete_constraint, "constraint"
    )


@require_POST
@refusals_as_403
@guarded()
def primary_key(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    """Make the ticked fields, in column order, the (composite) primary key."""
    table = get_table(request, slug, table_id)
    chosen = set(request.POST.getlist("fields"))
    ordered = [str(pk) for pk in table.fields.order_by("sort_order").values_list("pk", flat=True) if str(pk) in chosen]
    try:
        index_service.set_primary_key(
            table,
            actor=request.user,
            field_ids=ordered,
            name=(request.POST.get("pk_name") or "").strip(),
            **lock_args(request),
        )
    except ValidationError as exc:
        return _form_error(request, table, "pk-form", exc, {"primary_key", "pk_name"})
    return diagram_changed(_panel(request, table, saved="Saved the primary key."), tables=[table.pk])
