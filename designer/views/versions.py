"""Version history, compare any two versions, save a version, restore one (as a new version)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from designer.exporters import FORMATS
from designer.models import SchemaVersion
from designer.services import versions as version_service
from designer.services.deploy import can_deploy
from designer.services.permissions import can_edit

from .projects import get_project_for


def _version(project, number) -> SchemaVersion | None:
    if number in (None, "", "0", 0):
        return None
    try:
        return SchemaVersion.objects.get(project=project, version_number=int(number))
    except (SchemaVersion.DoesNotExist, ValueError) as exc:
        raise Http404(f"Version {number} does not exist in this project.") from exc


@require_http_methods(["GET", "POST"])
def version_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            version = version_service.save_version(project, actor=request.user, message=request.POST.get("message", ""))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, f"Saved version {version.version_number}: {version_service.summary(version)}.")
            return redirect("designer:version-list", slug=project.slug)
    versions = list(
        SchemaVersion.objects.filter(project=project).select_related("created_by").order_by("-version_number")
    )
    for v in versions:
        v.summary = version_service.summary(v)
    context = {
        "project": project,
        "versions": versions,
        "can_edit": can_edit(project, request.user),
        "can_deploy": can_deploy(request.user),
        "errors": errors,
        "typed_message": request.POST.get("message", "") if errors else "",  # kept for another try
        "formats": sorted(FORMATS.values(), key=lambda f: f.label),
    }
    return render(request, "designer/versions.html", context, status=422 if errors else 200)


def version_compare(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    newer = _version(project, request.GET.get("b"))
    if newer is None:
        raise Http404("Pick the version to compare (b).")
    older = _version(project, request.GET.get("a"))
    if older is not None and older.version_number > newer.version_number:
        older, newer = newer, older
    result = version_service.compare(older, newer)
    return render(
        request,
        "designer/version_compare.html",
        {"project": project, "older": older, "newer": newer, **result},
    )


@require_POST
def version_restore(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for(request, slug)
    version = _version(project, number)
    if version is None:
        raise Http404(f"Version {number} does not exist in this project.")
    if not can_edit(project, request.user):
        raise PermissionDenied("Only editors and owners can restore a version.")
    new = version_service.restore_version(version, actor=request.user)
    messages.success(request, f"Restored version {number} into the design as version {new.version_number}.")
    return redirect("designer:version-list", slug=project.slug)
