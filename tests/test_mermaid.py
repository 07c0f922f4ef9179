"""Mermaid erDiagram export."""

from __future__ import annotations

import pytest

from designer.exporters import FORMATS
from designer.exporters.mermaid import to_mermaid
from designer.services.snapshots import project_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    """Not about locks: the owner's service writes take their table locks on demand (``locks.holding``)."""
    with locked([], owner):
        yield


def test_mermaid_lists_entities_keys_and_crows_foot_lines(shop):
    text = to_mermaid(project_snapshot(shop["project"]))
    assert text.startswith("erDiagram\n")
    assert "    customers {\n        integer id PK" in text
    assert "        integer customer_id FK" in text
    assert '        decimal(10-2) total "decimal(10,2); default 0.00"' in text
    assert '    customers ||--o{ orders : "orders_customer_id_fkey"' in text


def test_optional_foreign_key_and_one_to_one_cardinality(project, owner):
    from designer.services import fields, relationships, tables

    person = tables.create_table(project, actor=owner, table_name="person")
    pid = fields.create_field(person, actor=owner, field_name="id", data_type="integer", primary_key=True)
    passport = tables.create_table(project, actor=owner, table_name="passport")
    holder = fields.create_field(passport, actor=owner, field_name="person_id", data_type="integer")
    relationships.create_relationship(
        project, actor=owner, source_field=pid, target_field=holder, relationship_type="one_to_one"
    )
    assert '    person |o--o| passport : "passport_person_id_fkey"' in to_mermaid(project_snapshot(project))


def test_mermaid_is_a_registered_export_format():
    assert FORMATS["mermaid"].render is to_mermaid
