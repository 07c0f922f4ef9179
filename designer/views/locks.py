"""Lock endpoints used by the editor (collab.js): acquire, heartbeat, release (also by sendBeacon), force.

Thin: parse, call :mod:`designer.services.locks`, answer JSON. Refusals come back as 423 (``TableLocked``,
with holder and expiry) through :class:`designer.middleware.LockErrorMiddleware`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from designer.models import DataTable
from designer.realtime.events import lock_payload
from designer.services import locks

from .projects import get_project_for


def table_for(request: HttpRequest, slug: str, table_id) -> DataTable:
    project = get_project_for(request, slug)
    return get_object_or_404(DataTable.objects.select_related("project"), project=project, pk=table_id)


def _lock_json(lock, *, token: bool, status: int = 200) -> JsonResponse:
    data = lock_payload(lock)
    if token:
        data["token"] = str(lock.lock_token)
    return JsonResponse(data, status=status)


def _errors(exc: ValidationError, status: int = 422) -> JsonResponse:
    return JsonResponse({"errors": exc.message_dict}, status=status)


@require_POST
def acquire(request: HttpRequest, slug: str, table_id) -> JsonResponse:
    table = table_for(request, slug, table_id)
    try:
        lock = locks.acquire(
            table,
            actor=request.user,
            lock_type=request.POST.get("lock_type") or "optimistic",
            reason=request.POST.get("reason", ""),
            from_tab=True,
            lock_token=request.POST.get("lock_token") or None,
        )
    except ValidationError as exc:
        return _errors(exc)
    return _lock_json(lock, token=True)


@require_POST
def renew(request: HttpRequest, slug: str, table_id) -> JsonResponse:
    table = table_for(request, slug, table_id)
    lock = locks.renew(table, actor=request.user, lock_token=request.POST.get("lock_token"))
    return _lock_json(lock, token=False)


@require_POST
def release(request: HttpRequest, slug: str, table_id) -> JsonResponse:
    """Also the target of ``navigator.sendBeacon`` when a tab closes: always 200, says whether it released."""
    try:
        table = table_for(request, slug, table_id)
    except Http404:
        return JsonResponse({"released": False})
    released = locks.release(table, actor=request.user, lock_token=request.POST.get("lock_token"))
    return JsonResponse({"released": released})


@require_POST
def force(request: HttpRequest, slug: str, table_id) -> JsonResponse:
    """Break the table's lock; with ``take=1`` the breaker takes it in the same transaction (no race for it)."""
    table = table_for(request, slug, table_id)
    try:
        with transaction.atomic():
            broken = locks.force_release(table, actor=request.user, reason=request.POST.get("reason", ""))
            taken = locks.acquire(table, actor=request.user) if request.POST.get("take") == "1" else None
    except ValidationError as exc:
        return _errors(exc, status=409)
    except PermissionDenied as exc:
        return JsonResponse({"errors": {"lock": [str(exc)]}}, status=403)
    data = {"forced": True, "holder": broken.user.get_username()}
    if taken is not None:
        data["lock"] = {**lock_payload(taken), "token": str(taken.lock_token)}
    return JsonResponse(data)
