"""The service behind Add relationship: the foreign-key column and the relationship, all or nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from designer.models import DataField
from designer.services import relationships

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    """These tests are about the relationship, not about locks: the owner writes under locks taken on demand."""
    with locked([], owner):
        yield


def test_creates_a_column_of_the_referenced_keys_type_without_identity(shop, owner):
    from designer.services import fields, tables

    product = tables.create_table(shop["project"], actor=owner, table_name="product")
    key = fields.create_field(
        product, actor=owner, field_name="id", data_type="bigint", field_config={"identity": True}, primary_key=True
    )
    rel = relationships.create_relationship_with_column(
        shop["project"], actor=owner, source_field=key, target_table=shop["orders"], field_name="product_id"
    )
    column = rel.target_field
    assert (column.table, column.field_name, column.field_config) == (shop["orders"], "product_id", {"kind": "bigint"})


def test_a_refused_relationship_leaves_no_column_behind(shop, owner):
    order_key = DataField.objects.get(table=shop["orders"], field_name="id")
    with pytest.raises(ValidationError) as exc:
        relationships.create_relationship_with_column(
            shop["project"],
            actor=owner,
            source_field=order_key,
            target_table=shop["customers"],
            field_name="first_order_id",
            is_required=True,
        )
    assert "form a cycle" in str(exc.value)
    assert not DataField.objects.filter(field_name="first_order_id").exists()


def test_a_bad_column_name_is_reported_on_field_name(shop, owner):
    key = DataField.objects.get(table=shop["customers"], field_name="id")
    with pytest.raises(ValidationError) as exc:
        relationships.create_relationship_with_column(
            shop["project"], actor=owner, source_field=key, target_table=shop["orders"], field_name="Customer"
        )
    assert "field_name" in exc.value.message_dict


def test_both_writes_need_the_lock_on_the_table_getting_the_column(shop, owner, editor):
    from designer.services import locks

    order_key = DataField.objects.get(table=shop["orders"], field_name="id")
    locks.acquire(shop["customers"], actor=editor)
    with pytest.raises(locks.TableLocked, match="locked by eddie"):
        relationships.create_relationship_with_column(
            shop["project"], actor=owner, source_field=order_key, target_table=shop["customers"], field_name="x_id"
        )
    assert not DataField.objects.filter(field_name="x_id").exists()
