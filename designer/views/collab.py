"""Collaboration pieces of the project page: a table's card (refreshed live), and a minimal table panel.

The panel is the lock UX in its smallest form (open → take the lock, read-only with ``Locked by <user>`` when
someone else holds it, writes carry ``lock_token`` + ``base_revision``). The designer's full side panel reuses
the same fragments from ``designer/_collab.html`` and ``static/designer/collab.js``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from designer.models import DataTable, Role
from designer.schema.types import type_label
from designer.services import fields, tables
from designer.services.locks import StaleRevision, TableLocked, active_lock
from designer.services.permissions import can_edit, role_of

from .locks import table_for


def _card_context(table: DataTable) -> dict:
    field_list = list(table.fields.order_by("sort_order"))
    for f in field_list:
        f.type_label = type_label(f.data_type, f.field_config)
    table.field_list = field_list
    lock = active_lock(table)
    return {"t": table, "lock": lock if lock and lock.expires_at > timezone.now() else None, "project": table.project}


def table_card(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    """One table's card on the project page (what other viewers re-fetch on ``schema.changed``)."""
    table = table_for(request, slug, table_id)
    return render(request, "designer/project_detail.html#table-card", _card_context(table))


@require_http_methods(["GET", "POST"])
def table_panel(request: HttpRequest, slug: str, table_id) -> HttpResponse:
    table = table_for(request, slug, table_id)
    context = {
        **_card_context(table),
        "can_edit": can_edit(table.project, request.user),
        "can_force": role_of(table.project, request.user) == Role.OWNER,
        "errors": {},
        "form": {},
    }
    status = 200
    if request.method == "POST":
        token, base = request.POST.get("lock_token"), request.POST.get("base_revision")
        try:
            if request.POST.get("action") == "add_field":
                fields.create_field(
                    table,
                    actor=request.user,
                    field_name=request.POST.get("field_name", ""),
                    data_type=request.POST.get("data_type", "text"),
                    lock_token=token,
                    base_revision=base,
                )
            else:
                tables.update_table(
                    table,
                    actor=request.user,
                    table_name=request.POST.get("table_name"),
                    description=request.POST.get("description"),
                    lock_token=token,
                    base_revision=base,
                )
        except ValidationError as exc:
            context.update(errors=exc.message_dict, form=request.POST)
            status = 422
        except (TableLocked, StaleRevision) as exc:  # nothing saved; keep what they typed for the retry
            context.update(lock_error=exc.message, form=request.POST)
            status = exc.status
        except PermissionDenied as exc:
            context["lock_error"] = str(exc)
            status = 403
        table.refresh_from_db()
        context.update(_card_context(table))
    return render(request, "designer/_collab.html#table-panel", context, status=status)
