"""Small helpers shared by the designer's HTMX views."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape

from designer.services.locks import TableLocked


def trigger(response: HttpResponse, event: str, detail: object = True) -> HttpResponse:
    """Add an ``HX-Trigger`` event (merged with any already set)."""
    events = json.loads(response.get("HX-Trigger") or "{}")
    events[event] = detail
    response["HX-Trigger"] = json.dumps(events)
    return response


def diagram_changed(
    response: HttpResponse, *, tables: Iterable = (), removed: Iterable = (), full: bool = False, fit: bool = False
) -> HttpResponse:
    """Tell the canvas which boxes to redraw (``full``: all of them), which to drop, and whether to ``fit``."""
    return trigger(
        response,
        "diagram-changed",
        {"tables": [str(t) for t in tables], "removed": [str(t) for t in removed], "full": full, "fit": fit},
    )


def retarget(response: HttpResponse, target: str, swap: str = "innerHTML") -> HttpResponse:
    response["HX-Retarget"] = target
    response["HX-Reswap"] = swap
    return response


def partial(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, context, status=status)


def refusals_as_403(view: Callable) -> Callable:
    """A refused write (role, archived project) becomes a 403 whose message shows in the panel's alert area."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            message = escape(str(exc) or "You may not change this project.")
            response = HttpResponse(f'<p class="error" role="alert">{message}</p>', status=403)
            return retarget(response, "#panel-alert") if request.htmx else response

    return wrapped


def position_saved(save: Callable[[], object]) -> HttpResponse:
    """Answer a drop on the canvas: 204 when ``save()`` stored the position, 422 with the reason otherwise."""
    try:
        save()
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=422)
    except TableLocked as exc:  # a deploy holds the table (layout takes no lock otherwise)
        return HttpResponse(exc.message, status=423)
    return HttpResponse(status=204)
