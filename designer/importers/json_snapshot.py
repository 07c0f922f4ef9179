"""Canonical snapshot JSON (what the ``json`` exporter writes) → import result, checked like any design;
the table groups and notes under ``layout`` come along."""

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
    names = {t["id"]: t["table_name"] for t in snapshot["tables"]}
    layout = snapshot.get("layout") or {}
    groups = [
        {
            "name": str(g.get("name", ""))[:80],
            "color": g.get("color"),
            "tables": [names[t] for t in g.get("tables", []) if t in names],
        }
        for g in layout.get("groups") or []
        if isinstance(g, dict) and str(g.get("name", "")).strip()
    ]
    notes = [
        {"name": "", "text": str(n["text"])[:2000]}
        for n in layout.get("notes") or []
        if isinstance(n, dict) and str(n.get("text", "")).strip()
    ]
    return ImportResult(snapshot, [], [], "json", groups=groups, sticky_notes=notes)
