"""Mermaid ``erDiagram`` text (renders on GitHub, GitLab, Notion, mermaid.live)."""

from __future__ import annotations

from designer.schema.snapshot import canonicalize, fields_by_id, tables_by_id
from designer.schema.types import type_label

from . import ExportFormat, Snapshot, register


def _comment(text: str) -> str:
    return text.replace('"', "'").replace("\n", " ").strip()


def _mermaid_type(label: str) -> str:
    """Mermaid attribute types allow letters, digits, _ - ( ) [ ] but no comma: decimal(10,2) -> decimal(10-2)."""
    return label.replace(",", "-").replace(" ", "_")


def to_mermaid(snapshot: Snapshot) -> str:
    """Entities with their columns (type, PK/FK/UK keys, NOT NULL and defaults as comments) and one line per
    foreign key in crow's-foot notation: ``artist ||--o{ album : "album_artist_id_fkey"``.

    A many-to-many relationship is drawn through its junction table's two foreign keys.
    """
    doc = canonicalize(snapshot)
    fk_fields = {r["target_field"] for r in doc["relationships"] if r["type"] != "many_to_many"}
    lines = ["erDiagram"]
    for table in doc["tables"]:
        pk = set((table.get("primary_key") or {}).get("fields", []))
        lines.append(f"    {table['table_name']} {{")
        for field in table["fields"]:
            keys = [k for k, on in (("PK", field["id"] in pk), ("FK", field["id"] in fk_fields)) if on]
            if field["unique"] and field["id"] not in pk:
                keys.append("UK")
            label = type_label(field["data_type"], field["config"])
            notes = [label] if _mermaid_type(label) != label else []
            if field["required"]:
                notes.append("not null")
            if field["default"] is not None:
                notes.append(f"default {field['default']}")
            if field["description"]:
                notes.append(field["description"])
            line = f"        {_mermaid_type(label)} {field['field_name']}"
            if keys:
                line += " " + ", ".join(keys)
            if notes:
                line += f' "{_comment("; ".join(notes))}"'
            lines.append(line)
        lines.append("    }")
    tables = tables_by_id(doc)
    fields = fields_by_id(doc)
    for rel in doc["relationships"]:
        source, target = tables[rel["source_table"]]["table_name"], tables[rel["target_table"]]["table_name"]
        if rel["type"] == "many_to_many":
            if rel.get("junction_table"):
                continue
            lines.append(f'    {source} }}o--o{{ {target} : "{_comment(rel["name"])}"')
            continue
        required = fields[rel["target_field"]][1]["required"]
        left = "||" if required else "|o"
        right = "o|" if rel["type"] == "one_to_one" else "o{"
        lines.append(f'    {source} {left}--{right} {target} : "{_comment(rel["name"])}"')
    return "\n".join(lines) + "\n"


register(
    ExportFormat(
        key="mermaid", label="Mermaid erDiagram", extension="mmd", content_type="text/plain", render=to_mermaid
    )
)
