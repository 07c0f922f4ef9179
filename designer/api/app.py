"""The ``/v1/`` API: one NinjaAPI with the key auth, the error handlers and every router.

django-ninja generates the OpenAPI 3.1 document from the typed Pydantic schemas the handlers declare
(``/v1/openapi.json``) and serves Swagger UI from its own packaged assets (``/v1/docs``, no CDN, CSP-clean).
"""

from __future__ import annotations

from ninja import NinjaAPI

from . import errors
from .auth import ApiKeyAuth

DESCRIPTION = """
The Tablewright public API: everything the designer does, over HTTP.

* **Authentication**: send an API key in the `X-API-Key` header (create one on the *API keys* page or with
  `manage.py create_api_key USER`). A key acts as its user — owner, editor or viewer of each project — and may be
  limited to some projects and to reading.
* **`project_id`** is the project's slug, as in its URL (`/projects/<slug>/`), e.g. `datainsight-pro`.
* **`table_id`** is `tbl_<32 hex digits>` (the table's stable id, kept across renames) or the table's name.
* **Errors** are always `{detail, error_code}` (plus `severity`, and `details: [{loc, msg}]` for validation).
  Codes: {codes}.
* **Rate limits** per key (seed 000): schema updates {schema_updates}, migration generation {migrations},
  performance checks {performance}. Limited responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
  `X-RateLimit-Reset` (Unix time the window ends); a refusal is `429 RATE_LIMITED` with `Retry-After`.
* **Concurrency**: table responses carry an `ETag` (the table's revision); send it back as `If-Match` on a write
  and a stale write is refused with `412 REVISION_CONFLICT` and the current state. A table someone holds the lock
  of (an open designer panel, a deploy) refuses writes with `423 TABLE_LOCKED`, naming the holder and expiry.
"""


class TablewrightAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        for name, value in getattr(request, "api_headers", {}).items():
            response[name] = value
        return response


def _described(text: str, **values: str) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def build() -> NinjaAPI:
    from django.conf import settings

    codes = ", ".join(f"`{code}` {status}" for code, (status, _) in errors.CODES.items())
    api = TablewrightAPI(
        title="Tablewright API",
        version="1.0.0",
        description=_described(DESCRIPTION, codes=codes, **settings.API_RATE_LIMITS),
        auth=ApiKeyAuth(),
        urls_namespace="api",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    errors.install(api)
    from . import columns, deploys, migrations, relationships, seeders, tables

    for module in (tables, columns, relationships, migrations, deploys, seeders):
        api.add_router("/public", module.router)
    return api


api = build()


def api_urls():
    """``api.urls`` with every view open to LoginRequiredMiddleware: the API authenticates by key, not session."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
