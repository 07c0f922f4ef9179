"""The API keys page (``/account/api-keys/``): the user's keys, creating one (its raw value shown once) and
revoking them. Everything goes through ``designer.api.keys``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from designer.api import keys as key_service
from designer.forms import error_dict
from designer.models import ApiKey
from designer.services.permissions import visible_projects

from ._htmx import retarget, trigger

TEMPLATE = "designer/api_keys.html"
INPUTS = {"name", "projects", "read_only"}


def keys_context(request: HttpRequest, **extra) -> dict:
    context = {
        "keys": list(key_service.keys_of(request.user).select_related("revoked_by")),
        "projects": list(visible_projects(request.user).order_by("name")),
        "errors": {},
        "form": {},
        "chosen": [],
        "api_base": f"{request.scheme}://{request.get_host()}",
    }
    context.update(extra)
    return context


def _example_slug(key: ApiKey, projects: list) -> str:
    scoped = list(key.projects.all())
    if scoped:
        return sorted(p.slug for p in scoped)[0]
    return projects[0].slug if projects else "<slug>"


@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST: create a key; the answer shows its raw value once (422 with the form on bad input)."""
    if request.method == "GET":
        return render(request, TEMPLATE, keys_context(request))
    chosen = request.POST.getlist("projects")
    try:
        projects = key_service.projects_for_key(request.user, chosen)
        key, raw = key_service.create_key(
            request.user,
            name=request.POST.get("name", ""),
            projects=projects,
            read_only=request.POST.get("read_only") in {"1", "on", "true"},
        )
    except (ValidationError, PermissionDenied) as exc:
        context = keys_context(request, errors=error_dict(exc, INPUTS), form=request.POST, chosen=chosen)
        if request.htmx:
            response = render(request, f"{TEMPLATE}#key-form", context, status=422)
            return retarget(response, "#key-form", "outerHTML")
        return render(request, TEMPLATE, context, status=422)
    context = keys_context(request, created=key, raw=raw)
    context["example_slug"] = _example_slug(key, context["projects"])
    response = render(request, f"{TEMPLATE}#keys" if request.htmx else TEMPLATE, context)
    response["Cache-Control"] = "no-store"  # the raw key is in this answer only
    return trigger(response, "api-key-created", {"prefix": key.prefix})


@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    """Revoke one of the user's own keys (another user's: 404) and answer with its row."""
    key = get_object_or_404(key_service.keys_of(request.user), pk=key_id)
    key_service.revoke(key, actor=request.user)
    if not request.htmx:
        return redirect("designer:api-keys")
    key = key_service.keys_of(request.user).select_related("revoked_by").get(pk=key.pk)
    response = render(request, f"{TEMPLATE}#key-row", {"key": key})
    return trigger(response, "api-key-revoked", {"prefix": key.prefix})
