"""Canonical snapshot JSON (what the ``json`` exporter writes) → import result."""

from __future__ import annotations

from designer.schema.snapshot import loads

from . import ImportResult, ImportSyntaxError


def read_json(text: str) -> ImportResult:
    from django.core.exceptions import ValidationError

    try:
        snapshot = loads(text)
    except ValidationError as exc:
        raise ImportSyntaxError(exc.messages[0]) from exc
    return ImportResult(snapshot, [], [], "json")
