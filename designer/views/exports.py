"""Export downloads: one URL per registered format, for the current design
(``projects/<slug>/export/<key>``) or a saved version (``projects/<slug>/versions/<n>/export/<key>``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from designer.exporters import FORMATS
from designer.models import SchemaVersion
from designer.schema.snapshot import canonicalize
from designer.services.imports import with_canvas
from designer.services.snapshots import project_snapshot

from .projects import get_project_for


@require_GET
def export_download(request: HttpRequest, slug: str, key: str, number: int | None = None) -> HttpResponse:
    project = get_project_for(request, slug)
    fmt = FORMATS.get(key)
    if fmt is None:
        raise Http404(f"No export format {key!r}.")
    if number is None:
        snapshot, stem = project_snapshot(project), project.slug
    else:
        version = get_object_or_404(SchemaVersion, project=project, version_number=number)
        snapshot, stem = canonicalize(version.schema_snapshot), f"{project.slug}-v{number}"
    response = HttpResponse(
        fmt.render(with_canvas(project, snapshot)), content_type=f"{fmt.content_type}; charset=utf-8"
    )
    filename = "models.py" if key == "django" else f"{stem}.{fmt.extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
