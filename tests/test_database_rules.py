"""The seed's rules hold in the database itself, even when forms and services are bypassed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from designer.models import DataField, DataTable, SchemaVersion, TableLock, TableRelationship


def _raises_integrity(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_duplicate_table_name_in_a_project_is_refused_by_the_database(shop):
    project = shop["project"]
    _raises_integrity(lambda: DataTable.objects.create(project=project, table_name="orders", name="Orders 2"))
    _raises_integrity(lambda: DataTable.objects.create(project=project, table_name="orders2", name="orders"))


def test_same_table_name_in_two_projects_is_fine(shop, owner):
    from designer.services.projects import create_project

    other = create_project(actor=owner, name="Other")
    DataTable.objects.create(project=other, table_name="orders", name="orders")


def test_duplicate_field_name_in_a_table_is_refused_by_the_database(shop):
    orders = shop["orders"]
    _raises_integrity(
        lambda: DataField.objects.create(table=orders, field_name="total", name="total2", data_type="number")
    )


def test_bad_identifiers_and_types_are_refused_by_the_database(shop):
    orders = shop["orders"]
    _raises_integrity(lambda: DataTable.objects.create(project=shop["project"], table_name="Bad Name", name="x"))
    _raises_integrity(lambda: DataField.objects.create(table=orders, field_name="f1", name="f1", data_type="money"))
    _raises_integrity(
        lambda: DataField.objects.create(table=orders, field_name="f2", name="f2", data_type="text", sort_order=-1)
    )
    _raises_integrity(
        lambda: DataTable.objects.create(project=shop["project"], table_name="t9", name="t9", status="archived")
    )


def test_primary_key_field_must_be_required_in_the_database(shop):
    orders = shop["orders"]
    _raises_integrity(
        lambda: DataField.objects.create(
            table=orders, field_name="code", name="code", data_type="text", pk_position=2, is_required=False
        )
    )


def test_only_one_active_lock_per_table(shop, owner, editor):
    table = shop["orders"]
    now = timezone.now()
    TableLock.objects.create(table=table, user=owner, locked_at=now, expires_at=now + dt.timedelta(minutes=2))
    _raises_integrity(
        lambda: TableLock.objects.create(
            table=table, user=editor, locked_at=now, expires_at=now + dt.timedelta(minutes=2)
        )
    )
    # Released locks do not count: after release a new lock may be taken.
    TableLock.objects.filter(table=table).update(released_at=now, release_reason="released")
    TableLock.objects.create(table=table, user=editor, locked_at=now, expires_at=now + dt.timedelta(minutes=2))


def test_lock_must_expire_after_it_was_taken(shop, owner):
    now = timezone.now()
    _raises_integrity(lambda: TableLock.objects.create(table=shop["orders"], user=owner, locked_at=now, expires_at=now))


def test_version_numbers_are_unique_per_project(shop):
    project = shop["project"]
    SchemaVersion.objects.create(project=project, version_number=1, schema_hash="a" * 64, schema_snapshot={})
    _raises_integrity(
        lambda: SchemaVersion.objects.create(
            project=project, version_number=1, schema_hash="b" * 64, schema_snapshot={}
        )
    )


def test_relationship_type_and_name_rules_hold_in_the_database(shop):
    rel = shop["fk"]

    def clone(**changes):
        data = {
            "project": rel.project,
            "source_table": rel.source_table,
            "target_table": rel.target_table,
            "source_field": rel.source_field,
            "target_field": rel.target_field,
            "relationship_name": "another_fk",
            "relationship_type": "one_to_many",
        }
        data.update(changes)
        return TableRelationship.objects.create(**data)

    _raises_integrity(lambda: clone(relationship_type="sideways"))
    _raises_integrity(lambda: clone(relationship_name=rel.relationship_name))
