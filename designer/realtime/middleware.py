"""Which browser tab a request comes from, for the ``origin`` of the broadcasts it causes (see ``events``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from . import events


class TabOriginMiddleware:
    """Keeps the request's ``X-Tablewright-Tab`` header in :data:`designer.realtime.events.origin`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reset = events.origin.set(events.clean_tab(request.headers.get(events.TAB_HEADER)))
        try:
            return self.get_response(request)
        finally:
            events.origin.reset(reset)
