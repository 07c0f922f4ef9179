"""Turn lock refusals raised anywhere below a view into the HTTP answers DESIGN.md §3 promises.

``TableLocked`` → 423 Locked naming the holder and expiry; ``StaleRevision`` → 409 Conflict with the table's
current state. htmx requests get the ``designer/_collab.html`` fragments (views may catch the exceptions
themselves to re-render their own panel); other requests get JSON.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from designer.services.locks import StaleRevision, TableLocked


def lock_error_response(request: HttpRequest, exc: TableLocked | StaleRevision) -> HttpResponse:
    if isinstance(exc, TableLocked):
        data = {
            "error": exc.message,
            "table": exc.table.table_name,
            "holder": exc.holder,
            "expires_at": exc.expires_at.isoformat() if exc.expires_at else None,
        }
        fragment = "designer/_collab.html#locked-error"
    else:
        data = {
            "error": exc.message,
            "table": exc.table.table_name,
            "revision": exc.table.revision,
            "base_revision": exc.base_revision,
        }
        fragment = "designer/_collab.html#stale-error"
    if getattr(request, "htmx", False):
        response = TemplateResponse(request, fragment, {"exc": exc, "table": exc.table, **data}, status=exc.status)
        response["HX-Retarget"] = "#lock-errors"
        response["HX-Reswap"] = "innerHTML"
        return response.render()
    return JsonResponse(data, status=exc.status)


class LockErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, TableLocked | StaleRevision):
            return lock_error_response(request, exc)
        return None
