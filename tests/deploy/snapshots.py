"""Small helpers to write design snapshots in tests by hand (ids are readable strings)."""

from __future__ import annotations

import copy

from designer.schema.snapshot import canonicalize, empty_snapshot


def field(table: str, name: str, data_type: str = "text", **kw) -> dict:
    return {
        "id": f"{table}.{name}",
        "name": name,
        "field_name": name,
        "data_type": data_type,
        "config": kw.pop("config", {}),
        "required": kw.pop("required", False),
        "unique": kw.pop("unique", False),
        "default": kw.pop("default", None),
        "description": kw.pop("description", ""),
    }


def table(name: str, *fields: dict, pk: list[str] | None = None, **kw) -> dict:
    return {
        "id": kw.pop("id", name),
        "name": name,
        "table_name": name,
        "description": kw.pop("description", ""),
        "status": kw.pop("status", "draft"),
        "primary_key": {"name": f"{name}_pkey", "fields": [f"{name}.{f}" for f in pk]} if pk else None,
        "fields": list(fields),
        "indexes": kw.pop("indexes", []),
        "constraints": kw.pop("constraints", []),
    }


def fk(name: str, target: str, source: str, **kw) -> dict:
    """``target`` holds the foreign key (``album.artist_id``), ``source`` is referenced (``artist.artist_id``)."""
    return {
        "id": name,
        "name": name,
        "type": kw.pop("type", "one_to_many"),
        "source_table": source.split(".")[0],
        "source_field": source,
        "target_table": target.split(".")[0],
        "target_field": target,
        "on_delete": kw.pop("on_delete", "no_action"),
        "on_update": kw.pop("on_update", "no_action"),
        "junction_table": None,
        "status": "draft",
    }


def snapshot(*tables: dict, relationships: list[dict] | None = None) -> dict:
    doc = empty_snapshot()
    doc["tables"] = copy.deepcopy(list(tables))
    doc["relationships"] = copy.deepcopy(relationships or [])
    return canonicalize(doc)


def music() -> dict:
    """artist 1—n album, with a default, a description, a unique field and choices."""
    return snapshot(
        table(
            "artist",
            field("artist", "artist_id", "number", config={"kind": "integer", "identity": True}, required=True),
            field("artist", "name", "text", config={"max_length": 120}, required=True, description="Stage name"),
            field("artist", "email", "text", unique=True),
            pk=["artist_id"],
            description="People who make albums",
        ),
        table(
            "album",
            field("album", "album_id", "number", config={"kind": "integer"}, required=True),
            field("album", "title", "text", config={"max_length": 160}, required=True, default="Untitled"),
            field("album", "artist_id", "number", config={"kind": "integer"}, required=True),
            field("album", "format", "text", config={"choices": ["cd", "vinyl"]}, default="cd"),
            field("album", "price", "number", config={"kind": "decimal", "precision": 10, "scale": 2}),
            pk=["album_id"],
            indexes=[{"id": "album_artist_idx", "name": "album_artist_id_idx", "fields": ["album.artist_id"]}],
            constraints=[
                {
                    "id": "album_price_ck",
                    "name": "album_price_check",
                    "kind": "check",
                    "fields": ["album.price"],
                    "expression": "price >= 0",
                }
            ],
        ),
        relationships=[fk("album_artist_id_fkey", "album.artist_id", "artist.artist_id", on_delete="cascade")],
    )
