"""Generated designs of any size, for query-count tests and benchmarks (deterministic, valid snapshots)."""

from __future__ import annotations

import uuid
from typing import Any

NAMESPACE = uuid.UUID("5a3c1f0e-8d2b-4f55-9c61-0b7e3f2a9d10")
COLUMN_TYPES = [
    ("text", {"max_length": 120}),
    ("number", {"kind": "integer"}),
    ("number", {"kind": "decimal", "precision": 10, "scale": 2}),
    ("date", {"kind": "timestamptz"}),
    ("boolean", {}),
    ("text", {}),
    ("json", {}),
    ("uuid", {}),
]


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def generated_snapshot(tables: int, *, fields_per_table: int = 20, relationships: int | None = None) -> dict[str, Any]:
    """``tables`` tables of ``fields_per_table`` columns (an integer ``id`` key, foreign-key columns and plain
    columns of mixed types) and ``relationships`` foreign keys (default: 4 for every 3 tables), without layout.

    Foreign keys always point from a later table to an earlier one, so required ones never form a cycle.
    """
    if relationships is None:
        relationships = tables * 4 // 3
    docs = []
    for t in range(tables):
        docs.append(
            {
                "id": _id("t", t),
                "table_name": f"table_{t:04d}",
                "description": f"Generated table {t}",
                "fields": [
                    {
                        "id": _id("f", t, "id"),
                        "field_name": "id",
                        "data_type": "number",
                        "config": {"kind": "integer", "identity": True},
                        "required": True,
                    }
                ],
            }
        )
        docs[-1]["primary_key"] = {"name": f"table_{t:04d}_pkey", "fields": [_id("f", t, "id")]}
    rels = []
    for r in range(relationships if tables > 1 else 0):
        target = 1 + (r * 13) % (tables - 1)
        source = (r * 37) % target
        column = f"table_{source:04d}_id_{r}"
        field_id = _id("f", target, column)
        docs[target]["fields"].append(
            {
                "id": field_id,
                "field_name": column,
                "data_type": "number",
                "config": {"kind": "integer"},
                "required": r % 2 == 0,
            }
        )
        rels.append(
            {
                "id": _id("r", r),
                "name": f"{docs[target]['table_name']}_{column}_fkey",
                "type": "one_to_many",
                "source_table": docs[source]["id"],
                "source_field": _id("f", source, "id"),
                "target_table": docs[target]["id"],
                "target_field": field_id,
                "on_delete": "cascade" if r % 3 == 0 else "no_action",
            }
        )
    for t, doc in enumerate(docs):
        n = 0
        while len(doc["fields"]) < fields_per_table:
            family, config = COLUMN_TYPES[(t + n) % len(COLUMN_TYPES)]
            doc["fields"].append(
                {
                    "id": _id("f", t, n),
                    "field_name": f"column_{n:02d}",
                    "data_type": family,
                    "config": dict(config),
                    "required": n % 3 == 0,
                    "unique": n == 1,
                }
            )
            n += 1
    return {"format": 1, "project": {"name": f"Generated {tables}"}, "tables": docs, "relationships": rels}
