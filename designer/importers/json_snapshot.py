"""Canonical snapshot JSON (what the ``json`` exporter writes) → import result, checked like any design."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from designer.schema.snapshot import loads, validate_snapshot

from . import ImportResult, ImportSyntaxError


def read_json(text: str) -> ImportResult:
    try:
        snapshot = loads(text)
    except ValidationError as exc:
        raise ImportSyntaxError(exc.messages[0]) from exc
    problems = validate_snapshot(snapshot)
    if problems:
        raise ValidationError(problems)
    return ImportResult(snapshot, [], [], "json")
