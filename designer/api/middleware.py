"""Nothing under ``/v1/`` answers HTML: a refusal that happens before the API's own handlers (an unknown path, a
method the endpoint does not take, a host Django refuses, a server error) still comes back as
``{detail, error_code}`` JSON."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .errors import CODES

_BY_STATUS = {400: "VALIDATION_ERROR", 401: "INVALID_API_KEY", 403: "UNAUTHORIZED", 404: "NOT_FOUND",
              405: "METHOD_NOT_ALLOWED", 429: "RATE_LIMITED"}  # fmt: skip
_SAYS = {
    400: "Bad request: the server could not read it (check the Host header, the URL and the body).",
    403: "Forbidden.",
    404: "No such endpoint under /v1/; see /v1/docs for the ones there are.",
    405: "This endpoint does not take this HTTP method; see /v1/docs.",
}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/v1/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return as_json(response)


def as_json(response: HttpResponse) -> JsonResponse:
    status = response.status_code
    code = _BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
    detail = _SAYS.get(status) or CODES[code][1]
    if status == 405 and response.get("Allow"):
        detail = f"This endpoint takes {response['Allow']}, not this method; see /v1/docs."
    out = JsonResponse({"detail": detail, "error_code": code, "severity": "error"}, status=status)
    for header in ("Allow", "Retry-After"):
        if response.get(header):
            out[header] = response[header]
    return out


@csrf_exempt
@login_not_required
def not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"detail": _SAYS[404], "error_code": "NOT_FOUND", "severity": "error"}, status=404)
