"""Export formats: each turns a snapshot into text. The designer's Export menu and ``manage.py export``
list what is registered here.

Register a format in its own module and import that module below::

    register(ExportFormat(key="dbml", label="DBML", extension="dbml", content_type="text/plain", render=to_dbml))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Snapshot = dict[str, Any]


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    extension: str
    content_type: str
    render: Callable[[Snapshot], str]


FORMATS: dict[str, ExportFormat] = {}


def register(fmt: ExportFormat) -> ExportFormat:
    FORMATS[fmt.key] = fmt
    return fmt


def _load() -> None:
    from . import dbml, ddl, django_models, json_snapshot, mermaid, sqlalchemy_models  # noqa: F401


_load()
