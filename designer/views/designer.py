"""The designer page: the ER diagram canvas, the table list, automatic layout and exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from designer.diagram.svg import render_svg
from designer.exporters import FORMATS
from designer.forms import error_dict
from designer.models import DataTable, TableRelationship
from designer.services import layout as layout_service
from designer.services import tables as table_service
from designer.services.diagram import load_diagram
from designer.services.locks import TableLocked
from designer.services.permissions import can_edit, role_of

from ._htmx import diagram_changed, refusals_as_403, retarget, trigger
from .panel import panel_context
from .projects import get_project_for


def _flags(request: HttpRequest) -> dict:
    return {"include_deleted": request.GET.get("deleted") == "1", "focus": request.GET.get("focus") or None}


@require_GET
def designer_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    flags = _flags(request)
    diagram = load_diagram(project, **flags)
    context = {
        "project": project,
        "role": role_of(project, request.user),
        "can_edit": can_edit(project, request.user),
        "svg": render_svg(diagram),
        "boxes": diagram.boxes,
        "list_tables": diagram.boxes,
        "groups": diagram.groups,
        "show_deleted": flags["include_deleted"],
        "focus": flags["focus"],
        "list_query": _list_query(flags),
        "formats": sorted(FORMATS.values(), key=lambda f: f.label),
        "add_table_errors": {},
    }
    selected = request.GET.get("table")
    if selected and "\x00" not in selected:  # no table name holds NUL (PostgreSQL text cannot)
        table = DataTable.objects.filter(project=project, table_name=selected).first()
        if table is not None:
            context.update(panel_context(request, table))
    return render(request, "designer/designer.html", context)


@require_GET
def diagram_svg(request: HttpRequest, slug: str) -> HttpResponse:
    """The canvas SVG (``?tables=id,id`` for just those boxes and their connectors, routed around every other
    box as in the full drawing), or with ``?download=1`` a standalone SVG file of the whole diagram."""
    project = get_project_for(request, slug)
    flags = _flags(request)
    if request.GET.get("download") == "1":
        text = render_svg(load_diagram(project, **flags), standalone=True)
        response = HttpResponse(text, content_type="image/svg+xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slugify(project.slug)}.svg"'
        return response
    only = {t for t in request.GET.get("tables", "").split(",") if t} or None
    return HttpResponse(render_svg(load_diagram(project, only=only, **flags)), content_type="image/svg+xml")


def _list_query(flags: dict) -> str:
    """The query string that keeps the table list showing what the canvas shows (deleted tables, focus)."""
    query = {"deleted": "1"} if flags["include_deleted"] else {}
    if flags["focus"]:
        query["focus"] = flags["focus"]
    return "?" + urlencode(query) if query else ""


def focus_table_ids(project, focus: str) -> set:
    """The focused table and the tables directly related to it (what the Focus view draws)."""
    if "\x00" in focus:  # no table name holds NUL (PostgreSQL text cannot)
        return set()
    focused = DataTable.objects.filter(project=project, table_name=focus).values_list("pk", flat=True).first()
    if focused is None:
        return set()
    ends = TableRelationship.objects.filter(Q(source_table_id=focused) | Q(target_table_id=focused)).values_list(
        "source_table_id", "target_table_id"
    )
    return {focused} | {pk for pair in ends for pk in pair}


def _table_list_context(request: HttpRequest, project) -> dict:
    """The table list: in the Focus view only the tables the canvas shows, on every refresh."""
    flags = _flags(request)
    q = (request.GET.get("q") or "").strip()
    tables = DataTable.objects.filter(project=project).order_by("table_name")
    if not flags["include_deleted"]:
        tables = tables.exclude(status="deleted")
    if flags["focus"]:
        tables = tables.filter(pk__in=focus_table_ids(project, flags["focus"]))
    if "\x00" in q:  # no name holds NUL (PostgreSQL text cannot): nothing matches
        tables = tables.none()
    elif q:
        tables = tables.filter(Q(table_name__icontains=q) | Q(name__icontains=q))
    return {
        "project": project,
        "list_tables": tables.only("id", "table_name", "status")[:2000],
        "q": q,
        "show_deleted": flags["include_deleted"],
        "focus": flags["focus"],
        "list_query": _list_query(flags),
    }


@refusals_as_403
def table_list(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the searchable table list. POST: add a table (placed in a free spot near the user's view)."""
    project = get_project_for(request, slug)
    if request.method != "POST":
        return render(request, "designer/designer.html#table-list", _table_list_context(request, project))
    try:
        near = (int(float(request.POST.get("near_x", 40))), int(float(request.POST.get("near_y", 40))))
    except (ValueError, OverflowError):  # "nan", "inf": no hint
        near = (40, 40)
    try:
        table = table_service.create_table(
            project,
            actor=request.user,
            table_name=request.POST.get("table_name", ""),
            description=request.POST.get("description", ""),
            position=layout_service.new_table_position(project, near),
        )
    except ValidationError as exc:
        context = {
            "project": project,
            "can_edit": True,
            "add_table_errors": error_dict(exc, {"table_name", "name"}, rename={"name": "table_name"}),
            "add_table_value": request.POST.get("table_name", ""),
        }
        return render(request, "designer/designer.html#add-table", context, status=422)
    panel = render_to_string("designer/panel.html#table-panel", panel_context(request, table), request=request)
    fresh_form = render_to_string(  # an empty Add table form replaces the one just used
        "designer/designer.html#add-table", {"project": project, "can_edit": True, "oob": True}, request=request
    )
    response = retarget(HttpResponse(panel + fresh_form), "#panel")
    trigger(response, "tables-changed")
    return diagram_changed(response, tables=[table.pk])


@require_POST
@refusals_as_403
def arrange(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    try:
        moved = layout_service.auto_arrange(project, actor=request.user)
    except TableLocked as exc:  # a deploy holds one of the tables: nothing moved
        refused = HttpResponse(f'<p class="error" role="alert">{escape(exc.message)}</p>', status=423)
        return retarget(refused, "#panel-alert")
    response = HttpResponse(f'<p class="muted" role="status">Auto-arrange moved {moved} tables.</p>')
    retarget(response, "#panel-alert")
    return diagram_changed(response, full=True, fit=True)
