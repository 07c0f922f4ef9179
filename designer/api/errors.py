"""The API's one error shape and its stable codes (seed 001's DX contract, seed 000's ``severity``).

Every refusal from ``/v1/`` is ``{detail, error_code}`` (plus ``details`` — ``[{loc, msg}]`` per field — for
validation, and ``severity``). Handlers raise :class:`ApiError` or let the services' own exceptions through;
:func:`install` maps them all. Later APIs add their codes to :data:`CODES`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from designer.services.locks import StaleRevision, TableLocked

log = logging.getLogger(__name__)

# code -> (HTTP status, what it means); the OpenAPI description lists them.
CODES: dict[str, tuple[int, str]] = {
    "INVALID_API_KEY": (401, "The X-API-Key header is missing, unknown or revoked."),
    "UNAUTHORIZED": (403, "The key's user may not do this in this project (role, key scope, read-only key)."),
    "PROJECT_NOT_FOUND": (404, "No project has this id (the project's slug)."),
    "TABLE_NOT_FOUND": (404, "No table with this id (or name) in the project."),
    "COLUMN_NOT_FOUND": (404, "No column with this name in the table."),
    "RELATIONSHIP_NOT_FOUND": (404, "No relationship with this name in the project."),
    "INDEX_NOT_FOUND": (404, "No index with this name in the table."),
    "CONSTRAINT_NOT_FOUND": (404, "No check or unique constraint with this name in the table."),
    "VERSION_NOT_FOUND": (404, "No saved version with this number."),
    "ENVIRONMENT_NOT_FOUND": (404, "The project has no environment with this name."),
    "RUN_NOT_FOUND": (404, "No deploy run with this number in the project."),
    "NOT_FOUND": (404, "No such endpoint."),
    "METHOD_NOT_ALLOWED": (405, "The endpoint does not take this HTTP method."),
    "TABLE_ALREADY_EXISTS": (409, "A table with this name already exists in the project."),
    "DEPLOY_IN_PROGRESS": (409, "Another deploy, rollback or seeding of this environment is running."),
    "DEPLOY_REFUSED": (409, "The deploy cannot start as things are (the detail says why and what to do)."),
    "REVISION_CONFLICT": (412, "If-Match names an older revision than the table's current one (ETag)."),
    "VALIDATION_ERROR": (422, "The request breaks a design rule; details name each field and rule."),
    "TABLE_LOCKED": (423, "Someone else holds the table's lock (holder and expiry given)."),
    "RATE_LIMITED": (429, "Too many requests of this kind for this key; retry after Retry-After seconds."),
    "DEPLOY_TARGET_UNAVAILABLE": (503, "The deploy database cannot be reached or is misconfigured."),
    "INTERNAL_ERROR": (500, "An unexpected error; it is logged. Nothing was changed."),
}


class ErrorDetail(Schema):
    loc: list[str | int]
    msg: str


class ErrorOut(Schema):
    detail: str
    error_code: str
    severity: str = "error"
    details: list[ErrorDetail] | None = None
    holder: str | None = None
    expires_at: str | None = None
    current: dict[str, Any] | None = None


class ApiError(Exception):
    def __init__(
        self,
        error_code: str,
        detail: str,
        *,
        status: int | None = None,
        details: list[dict] | None = None,
        severity: str = "error",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.error_code = error_code
        self.status = status or CODES[error_code][0]
        self.detail = detail
        self.details = details
        self.severity = severity
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail, "error_code": self.error_code, "severity": self.severity}
        if self.details is not None:
            body["details"] = self.details
        body.update(self.extra)
        return body


def responses(*codes: str) -> dict[int, type[ErrorOut]]:
    """The error part of an operation's ``response=`` (so the OpenAPI document lists each shape)."""
    statuses = {CODES[c][0] for c in ("INVALID_API_KEY", "INTERNAL_ERROR", *codes)}
    return dict.fromkeys(sorted(statuses), ErrorOut)


def validation_details(exc: ValidationError, prefix: tuple = ("body",)) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": [*prefix, *([] if key in (None, "__all__") else [key])], "msg": message}
            for key, errors in exc.error_dict.items()
            for error in errors
            for message in error.messages
        ]
    return [{"loc": list(prefix), "msg": m} for m in exc.messages]


def validation_error(details: list[dict]) -> ApiError:
    shown = "; ".join(f"{'.'.join(str(p) for p in d['loc'][1:]) or 'body'}: {d['msg']}" for d in details[:3])
    more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
    return ApiError("VALIDATION_ERROR", f"Validation failed: {shown}{more}", details=details)


def _pydantic_details(errors: list[dict]) -> list[dict]:
    out = []
    for error in errors:
        loc = [p for p in error.get("loc", ()) if p not in ("payload",)]
        msg = error.get("msg", "invalid")
        if error.get("type") == "missing":
            msg = "Field required: add it to the request."
        out.append({"loc": loc or ["body"], "msg": msg})
    return out


def install(api: NinjaAPI) -> None:
    def answer(request, exc: ApiError):
        response = api.create_response(request, exc.body(), status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    api.add_exception_handler(ApiError, answer)
    api.add_exception_handler(
        AuthenticationError,
        lambda request, exc: answer(
            request,
            ApiError(
                "INVALID_API_KEY",
                "Missing or invalid API key: send it in the X-API-Key header "
                "(create one on the API keys page or with manage.py create_api_key).",
            ),
        ),
    )
    api.add_exception_handler(
        NinjaValidationError, lambda request, exc: answer(request, validation_error(_pydantic_details(exc.errors)))
    )
    api.add_exception_handler(
        ValidationError, lambda request, exc: answer(request, validation_error(validation_details(exc)))
    )
    api.add_exception_handler(
        PermissionDenied,
        lambda request, exc: answer(request, ApiError("UNAUTHORIZED", str(exc) or "Not allowed.")),
    )
    api.add_exception_handler(
        Http404, lambda request, exc: answer(request, ApiError("NOT_FOUND", str(exc) or "Not found."))
    )

    def locked(request, exc: TableLocked):
        return answer(
            request,
            ApiError(
                "TABLE_LOCKED",
                str(exc),
                holder=exc.holder,
                expires_at=exc.expires_at.isoformat() if exc.expires_at else None,
            ),
        )

    api.add_exception_handler(TableLocked, locked)
    api.add_exception_handler(
        StaleRevision, lambda request, exc: answer(request, ApiError("REVISION_CONFLICT", str(exc), status=409))
    )

    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            reason = f" ({exc.__cause__})" if exc.__cause__ else ""
            return answer(
                request,
                ApiError(
                    "VALIDATION_ERROR",
                    f"The request body is not valid JSON{reason}. Send a JSON object with Content-Type: "
                    "application/json.",
                    details=[{"loc": ["body"], "msg": f"not valid JSON{reason}"}],
                ),
            )
        code = {401: "INVALID_API_KEY", 403: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
            exc.status_code, "VALIDATION_ERROR" if 400 <= exc.status_code < 500 else "INTERNAL_ERROR"
        )
        return answer(request, ApiError(code, str(exc), status=exc.status_code))

    api.add_exception_handler(HttpError, http_error)

    def unexpected(request, exc: Exception):
        log.exception("API error on %s %s", request.method, request.path)
        return answer(request, ApiError("INTERNAL_ERROR", "An unexpected error; it is logged. Nothing was changed."))

    api.add_exception_handler(Exception, unexpected)
