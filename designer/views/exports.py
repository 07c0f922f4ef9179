"""Export downloads: one URL per registered format (``projects/<slug>/export/<key>/``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from designer.exporters import FORMATS
from designer.services.snapshots import project_snapshot

from .projects import get_project_for


@require_GET
def export_download(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    project = get_project_for(request, slug)
    fmt = FORMATS.get(key)
    if fmt is None:
        raise Http404(f"No export format {key!r}.")
    text = fmt.render(project_snapshot(project))
    response = HttpResponse(text, content_type=f"{fmt.content_type}; charset=utf-8")
    filename = "models.py" if key == "django" else f"{project.slug}.{fmt.extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
