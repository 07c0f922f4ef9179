"""Project list (create, archived toggle) and project settings (rename, describe, archive, members)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from designer.forms import error_dict
from designer.models import Project, ProjectMembership, Role
from designer.services import projects as project_service
from designer.services.permissions import has_role, remember_role, role_of, visible_projects, with_role

from ._htmx import refusals_as_403


def get_project_for(request: HttpRequest, slug: str) -> Project:
    """The project if the user may see it; 404 otherwise (no hint that it exists)."""
    project = with_role(Project.objects.select_related("owner"), request.user).filter(slug=slug).order_by().first()
    if project is not None:
        remember_role(project, request.user, project)
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
    archived = request.GET.get("archived") == "1"
    projects = list(visible_projects(request.user).filter(is_active=not archived))
    roles = dict(
        ProjectMembership.objects.filter(user=request.user, project__in=projects).values_list("project_id", "role")
    )
    for p in projects:
        p.my_role = Role.OWNER if request.user.is_staff else roles.get(p.pk)
    context = {"projects": projects, "errors": errors, "form": request.POST if errors else {}, "archived": archived}
    if errors:
        template = "designer/project_list.html#create-form" if request.htmx else "designer/project_list.html"
        return render(request, template, context, status=422)
    return render(request, "designer/project_list.html", context)


def settings_context(request: HttpRequest, project: Project, **extra) -> dict:
    context = {
        "project": project,
        "members": ProjectMembership.objects.filter(project=project).select_related("user"),
        "roles": Role.choices,
        "is_owner": has_role(project, request.user, Role.OWNER),
        "errors": {},
        "form": {},
    }
    context.update(extra)
    return context


def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    return render(request, "designer/project_settings.html", settings_context(request, project))


def _settings_partial(request, project, partial: str, *, status=200, **extra) -> HttpResponse:
    template = f"designer/project_settings.html#{partial}" if request.htmx else "designer/project_settings.html"
    return render(request, template, settings_context(request, project, **extra), status=status)


@require_POST
@refusals_as_403
def project_update(request: HttpRequest, slug: str) -> HttpResponse:
    """Rename and describe the project."""
    project = get_project_for(request, slug)
    try:
        project_service.update_project(
            project, actor=request.user, name=request.POST.get("name", ""), description=request.POST.get("description")
        )
    except ValidationError as exc:
        project.refresh_from_db()
        errors = error_dict(exc, {"name", "description"})
        return _settings_partial(request, project, "project-form", status=422, errors=errors, form=request.POST)
    return _settings_partial(request, project, "project-form", saved="Saved.")


@require_POST
@refusals_as_403
def project_archive(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    archive = request.POST.get("archived") == "1"
    try:
        project_service.set_archived(project, actor=request.user, archived=archive)
    except ValidationError as exc:
        project.refresh_from_db()
        errors = error_dict(exc, set())
        return _settings_partial(request, project, "archive-form", status=422, archive_errors=errors)
    return _settings_partial(request, project, "archive-form", saved="Archived: read only." if archive else "Restored.")


@require_POST
@refusals_as_403
def member_set(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a member by user name, or change a member's role."""
    project = get_project_for(request, slug)
    try:
        project_service.set_member(
            project, actor=request.user, username=request.POST.get("username", ""), role=request.POST.get("role", "")
        )
    except ValidationError as exc:
        errors = error_dict(exc, {"username", "role"})
        return _settings_partial(request, project, "members", status=422, errors=errors, form=request.POST)
    return _settings_partial(request, project, "members", saved="Members saved.")


@require_POST
@refusals_as_403
def member_remove(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    try:
        project_service.remove_member(project, actor=request.user, username=request.POST.get("username", ""))
    except ValidationError as exc:
        errors = error_dict(exc, {"username", "role"})
        return _settings_partial(request, project, "members", status=422, errors=errors)
    return _settings_partial(request, project, "members", saved="Member removed.")
