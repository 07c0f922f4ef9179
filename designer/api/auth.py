"""``X-API-Key`` authentication and the project a request may reach: a key acts as its user, within its scope."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyHeader

from designer.models import ApiKey, Project
from designer.services.permissions import role_of

from . import keys
from .errors import ApiError


class ApiKeyAuth(APIKeyHeader):
    """Seed 001: every endpoint needs ``X-API-Key``; the key decides the user, projects and rate limits."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return keys.authenticate(key)


def project_for(request: HttpRequest, project_id: str, *, write: bool = False) -> Project:
    """The project ``project_id`` (its slug) if the request's key may reach it: 404 ``PROJECT_NOT_FOUND``,
    403 ``UNAUTHORIZED`` (not a member, outside the key's scope, a read-only key writing). The role needed for
    a write is checked by the service doing it, as for the pages."""
    key: ApiKey = request.auth
    project = Project.objects.filter(slug=project_id).first()
    if project is None:
        raise ApiError("PROJECT_NOT_FOUND", f"Project not found: {project_id}")
    refusal = keys.scope_refusal(key, project)
    if refusal:
        raise ApiError("UNAUTHORIZED", refusal)
    if role_of(project, key.user) is None:
        raise ApiError("UNAUTHORIZED", f"User {key.user.get_username()} is not authorized for project: {project_id}")
    if write and key.read_only:
        raise ApiError(
            "UNAUTHORIZED", f"This API key ({key.prefix}…) is read-only; create a read-write key to change designs."
        )
    return project
