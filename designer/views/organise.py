"""Organising the canvas: table groups (coloured areas whose tables move together) and sticky notes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from designer.forms import error_dict
from designer.models import DataTable, StickyNote, TableGroup
from designer.services import layout as layout_service
from designer.services.permissions import can_edit

from ._htmx import diagram_changed, position_saved, refusals_as_403, retarget
from .projects import get_project_for

TEMPLATE = "designer/organise.html"


def organise_context(request: HttpRequest, project, **extra) -> dict:
    groups = list(TableGroup.objects.filter(project=project).prefetch_related("tables"))
    context = {
        "project": project,
        "groups": groups,
        "notes": StickyNote.objects.filter(project=project),
        "all_tables": DataTable.objects.filter(project=project).exclude(status="deleted").only("id", "table_name"),
        "can_edit": can_edit(project, request.user),
        "errors": {},
        "form": {},
    }
    context.update(extra)
    return context


def _section(request, project, *, status=200, **extra) -> HttpResponse:
    response = render(request, f"{TEMPLATE}#organise-panel", organise_context(request, project, **extra), status=status)
    return retarget(response, "#panel") if status < 400 else response


def organise_panel(request: HttpRequest, slug: str) -> HttpResponse:
    return _section(request, get_project_for(request, slug))


@require_POST
@refusals_as_403
def group_create(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    try:
        layout_service.create_group(
            project,
            actor=request.user,
            name=request.POST.get("name", ""),
            color=request.POST.get("color") or None,
            table_ids=request.POST.getlist("tables"),
        )
    except ValidationError as exc:
        errors = error_dict(exc, {"name", "color", "tables"})
        return _section(
            request,
            project,
            status=422,
            errors=errors,
            form=request.POST.dict(),
            form_tables=request.POST.getlist("tables"),
        )
    return diagram_changed(_section(request, project, saved="Group added."), full=True)


def _group(request, slug, group_id) -> TableGroup:
    project = get_project_for(request, slug)
    group = get_object_or_404(TableGroup, project=project, pk=group_id)
    group.project = project
    return group


@require_POST
@refusals_as_403
def group_edit(request: HttpRequest, slug: str, group_id) -> HttpResponse:
    group = _group(request, slug, group_id)
    try:
        layout_service.update_group(
            group,
            actor=request.user,
            name=request.POST.get("name"),
            color=request.POST.get("color"),
            table_ids=request.POST.getlist("tables"),
        )
    except ValidationError as exc:
        errors = error_dict(exc, {"name", "color", "tables"})
        return _section(
            request,
            group.project,
            status=422,
            group_errors=errors,
            edit_group=group.pk,
            group_form=request.POST.dict(),  # what the user typed stays in the form
            group_form_tables=request.POST.getlist("tables"),
        )
    return diagram_changed(_section(request, group.project, saved=f"Saved group {group.name}."), full=True)


@require_POST
@refusals_as_403
def group_delete(request: HttpRequest, slug: str, group_id) -> HttpResponse:
    group = _group(request, slug, group_id)
    layout_service.delete_group(group, actor=request.user)
    return diagram_changed(_section(request, group.project, saved=f"Removed group {group.name}."), full=True)


@require_POST
@refusals_as_403
def group_move(request: HttpRequest, slug: str, group_id) -> HttpResponse:
    group = _group(request, slug, group_id)
    dx, dy = request.POST.get("dx"), request.POST.get("dy")
    return position_saved(lambda: layout_service.move_group(group, actor=request.user, dx=dx, dy=dy))


def _position(request: HttpRequest) -> tuple[int, int] | None:
    try:
        return int(float(request.POST["x"])), int(float(request.POST["y"]))
    except (KeyError, ValueError, OverflowError):  # no usable position: the note lands on free space
        return None


@require_POST
@refusals_as_403
def note_create(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    try:
        layout_service.create_note(
            project,
            actor=request.user,
            text=request.POST.get("text", ""),
            color=request.POST.get("color") or None,
            position=_position(request),
        )
    except ValidationError as exc:
        errors = error_dict(exc, {"text", "color"})
        return _section(request, project, status=422, note_errors=errors, form=request.POST.dict())
    return diagram_changed(_section(request, project, saved="Note added."), full=True)


def _note(request, slug, note_id) -> StickyNote:
    project = get_project_for(request, slug)
    note = get_object_or_404(StickyNote, project=project, pk=note_id)
    note.project = project
    return note


@require_POST
@refusals_as_403
def note_edit(request: HttpRequest, slug: str, note_id) -> HttpResponse:
    note = _note(request, slug, note_id)
    try:
        layout_service.update_note(
            note, actor=request.user, text=request.POST.get("text"), color=request.POST.get("color") or None
        )
    except ValidationError as exc:
        errors = error_dict(exc, {"text", "color"})
        return _section(
            request, note.project, status=422, edit_note=note.pk, note_edit_errors=errors, note_form=request.POST.dict()
        )
    return diagram_changed(_section(request, note.project, saved="Note saved."), full=True)


@require_POST
@refusals_as_403
def note_delete(request: HttpRequest, slug: str, note_id) -> HttpResponse:
    note = _note(request, slug, note_id)
    layout_service.delete_note(note, actor=request.user)
    return diagram_changed(_section(request, note.project, saved="Note deleted."), full=True)


@require_POST
@refusals_as_403
def note_move(request: HttpRequest, slug: str, note_id) -> HttpResponse:
    note = _note(request, slug, note_id)
    x, y = request.POST.get("x"), request.POST.get("y")
    return position_saved(lambda: layout_service.move_note(note, actor=request.user, x=x, y=y))
