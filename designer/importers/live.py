"""A live PostgreSQL schema (connection URL + schema name) → import result.

The catalog reading lives in ``designer.introspect.postgresql`` (drift detection reads the same way);
this module is the importer's door to it.
"""

from __future__ import annotations

from . import ImportResult


def read_live(url: str, *, schema: str = "public") -> ImportResult:
    from designer.introspect.postgresql import introspect_with_report

    return introspect_with_report(url, schema)
