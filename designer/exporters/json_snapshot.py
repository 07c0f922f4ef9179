"""Canonical JSON: the snapshot itself (what ``import_schema`` reads back)."""

from designer.schema.snapshot import dumps

from . import ExportFormat, register

register(
    ExportFormat(key="json", label="Canonical JSON", extension="json", content_type="application/json", render=dumps)
)
