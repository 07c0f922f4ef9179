"""Project list and project overview pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from designer.models import DataField, DataTable, Project, TableLock, TableRelationship
from designer.schema.types import type_label
from designer.services import projects as project_service
from designer.services.permissions import can_edit, role_of, visible_projects


def get_project_for(request: HttpRequest, slug: str) -> Project:
    """The project if the user may see it; 404 otherwise (no hint that it exists)."""
    project = Project.objects.select_related("owner").filter(slug=slug).first()
    if project is None or role_of(project, request.user) is None:
        raise Http404("No such project, or you are not a member of it.")
    return project


@require_http_methods(["GET", "POST"])
def project_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            project = project_service.create_project(
                actor=request.user,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = project.get_absolute_url()
                return response
            return redirect("designer:project-detail", slug=project.slug)
    projects = visible_projects(request.user).filter(is_active=request.GET.get("archived") != "1")
    context = {"projects": projects, "errors": errors, "form": request.POST if errors else {}}
    if errors:
        template = "designer/project_list.html#create-form" if request.htmx else "designer/project_list.html"
        return render(request, template, context, status=422)
    return render(request, "designer/project_list.html", context)


def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    tables = list(DataTable.objects.filter(project=project).order_by("table_name"))
    fields: dict = {}
    for f in DataField.objects.filter(table__project=project).order_by("sort_order"):
        f.type_label = type_label(f.data_type, f.field_config)
        fields.setdefault(f.table_id, []).append(f)
    active = {
        lock.table_id: lock
        for lock in TableLock.objects.select_related("user").filter(
            table__project=project, released_at__isnull=True, expires_at__gt=timezone.now()
        )
    }
    for t in tables:
        t.field_list = fields.get(t.pk, [])
        t.active_lock = active.get(t.pk)
    relationships = TableRelationship.objects.filter(project=project).select_related(
        "source_table", "source_field", "target_table", "target_field"
    )
    template = "designer/project_detail.html"
    if request.GET.get("fragment") == "tables":  # refreshed live after schema.changed (collab.js)
        template += "#tables"
    return render(
        request,
        template,
        {
            "project": project,
            "tables": tables,
            "relationships": relationships,
            "role": role_of(project, request.user),
            "can_edit": can_edit(project, request.user),
        },
    )
