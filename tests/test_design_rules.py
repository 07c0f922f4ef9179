"""Validation through the services: each rule refuses with a message that says what to fix."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from designer.models import DataField, DataTable, TableRelationship
from designer.services import fields, projects, relationships, tables


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    """Not about locks: the owner's service writes take their table locks on demand (``locks.holding``)."""
    with locked([], owner):
        yield


def _message(info: pytest.ExceptionInfo, key: str) -> str:
    return " ".join(info.value.message_dict[key])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Orders", "must start with a lowercase letter"),
        ("1orders", "must start with a lowercase letter"),
        ("order-items", "Try 'order_items'"),
        ("select", "is a PostgreSQL reserved word"),
        ("user", "is a PostgreSQL reserved word"),
        ("system_user", "is a PostgreSQL reserved word"),  # from PostgreSQL 16
        ("x" * 64, "at most 63 characters"),
        ("", "Table name is required"),
    ],
)
def test_bad_table_names_are_refused_with_the_rule(project, owner, name, expected):
    with pytest.raises(ValidationError) as info:
        tables.create_table(project, actor=owner, table_name=name)
    assert expected in _message(info, "table_name")
    assert not DataTable.objects.filter(project=project).exists()


@pytest.mark.postgres
def test_every_word_postgresql_reserves_is_refused_as_a_name(db):
    """The word list covers the server's own: pg_get_keywords() categories R (reserved) and T (reserved, can be a
    function or type)."""
    from django.db import connection

    from designer.schema.validation import identifier_problem

    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')")
        words = [row[0] for row in cursor.fetchall()]
    assert len(words) > 70
    accepted = [w for w in words if "reserved word" not in (identifier_problem(w, "Table name") or "")]
    assert accepted == []


def test_a_63_character_name_is_accepted(project, owner):
    assert tables.create_table(project, actor=owner, table_name="t" * 63).table_name == "t" * 63


def test_duplicate_table_name_is_refused(shop, owner):
    with pytest.raises(ValidationError) as info:
        tables.create_table(shop["project"], actor=owner, table_name="orders")
    assert "A table named 'orders' already exists in this project" in _message(info, "table_name")


def test_renaming_a_table_onto_another_is_refused(shop, owner):
    with pytest.raises(ValidationError) as info:
        tables.update_table(shop["orders"], actor=owner, table_name="customers")
    assert "already exists" in _message(info, "table_name")
    shop["orders"].refresh_from_db()
    assert shop["orders"].table_name == "orders"


def test_duplicate_and_bad_field_names_are_refused(shop, owner):
    with pytest.raises(ValidationError) as info:
        fields.create_field(shop["orders"], actor=owner, field_name="total", data_type="integer")
    assert "already has a field named 'total'" in _message(info, "field_name")
    with pytest.raises(ValidationError) as info:
        fields.create_field(shop["orders"], actor=owner, field_name="Total Amount", data_type="integer")
    assert "Try 'total_amount'" in _message(info, "field_name")


def test_integer_field_with_text_default_is_refused_with_the_reason(shop, owner):
    with pytest.raises(ValidationError) as info:
        fields.create_field(shop["orders"], actor=owner, field_name="qty", data_type="integer", default_value="abc")
    assert "Default 'abc' is not valid for a integer field: expected a whole number" in _message(info, "default_value")


def test_changing_the_type_rechecks_the_existing_default(shop, owner):
    total = DataField.objects.get(table=shop["orders"], field_name="total")
    with pytest.raises(ValidationError) as info:
        fields.update_field(total, actor=owner, data_type="boolean")
    assert "'0.00' is not valid for a boolean field" in _message(info, "default_value")


def test_relationships_stay_within_one_project(shop, owner):
    other = projects.create_project(actor=owner, name="Elsewhere")
    foreign = tables.create_table(other, actor=owner, table_name="products")
    product_id = fields.create_field(foreign, actor=owner, field_name="id", data_type="integer", primary_key=True)
    customer_id = DataField.objects.get(table=shop["orders"], field_name="customer_id")
    with pytest.raises(ValidationError) as info:
        relationships.create_relationship(
            shop["project"], actor=owner, source_field=product_id, target_field=customer_id
        )
    assert "belongs to another project" in _message(info, "source_field")


def test_self_reference_is_allowed(project, owner):
    employee = tables.create_table(project, actor=owner, table_name="employee")
    pk = fields.create_field(employee, actor=owner, field_name="employee_id", data_type="integer", primary_key=True)
    boss = fields.create_field(employee, actor=owner, field_name="reports_to", data_type="integer")
    rel = relationships.create_relationship(project, actor=owner, source_field=pk, target_field=boss)
    assert rel.source_table == rel.target_table == employee
    assert rel.relationship_name == "employee_reports_to_fkey"


def test_cycle_of_required_foreign_keys_is_refused_naming_the_tables(shop, owner):
    customers, orders = shop["customers"], shop["orders"]
    order_pk = DataField.objects.get(table=orders, field_name="id")
    last_order = fields.create_field(
        customers, actor=owner, field_name="last_order_id", data_type="bigint", is_required=True
    )
    with pytest.raises(ValidationError) as info:
        relationships.create_relationship(shop["project"], actor=owner, source_field=order_pk, target_field=last_order)
    message = _message(info, "target_field")
    assert "customers → orders → customers" in message or "orders → customers → orders" in message
    assert "No row could ever be inserted" in message
    # Optional, the same foreign key is fine; making it required afterwards is refused the same way.
    fields.update_field(last_order, actor=owner, is_required=False)
    relationships.create_relationship(shop["project"], actor=owner, source_field=order_pk, target_field=last_order)
    with pytest.raises(ValidationError) as info:
        fields.update_field(last_order, actor=owner, is_required=True)
    assert "form a cycle" in _message(info, "is_required")


def test_foreign_key_must_reference_a_key_of_the_same_type(shop, owner):
    email = DataField.objects.get(table=shop["customers"], field_name="email")
    total = DataField.objects.get(table=shop["orders"], field_name="total")
    with pytest.raises(ValidationError) as info:
        relationships.create_relationship(shop["project"], actor=owner, source_field=email, target_field=total)
    assert "a foreign key needs the same type" in _message(info, "target_field")
    note = fields.create_field(shop["orders"], actor=owner, field_name="note", data_type="text")
    with pytest.raises(ValidationError) as info:
        relationships.create_relationship(shop["project"], actor=owner, source_field=note, target_field=total)
    assert "neither the primary key nor unique" in _message(info, "source_field")


def test_set_null_needs_an_optional_column(shop, owner):
    with pytest.raises(ValidationError) as info:
        relationships.update_relationship(shop["fk"], actor=owner, on_delete="set_null")
    assert "needs customer_id to be optional" in _message(info, "on_delete")
    with pytest.raises(ValidationError) as info:
        relationships.update_relationship(shop["fk"], actor=owner, on_delete="explode")
    assert "on_delete must be one of" in _message(info, "on_delete")


def test_a_field_used_by_a_relationship_cannot_be_deleted(shop, owner):
    customer_id = DataField.objects.get(table=shop["orders"], field_name="customer_id")
    with pytest.raises(ValidationError) as info:
        fields.delete_field(customer_id, actor=owner)
    assert "used by relationship orders_customer_id_fkey" in _message(info, "field")
    assert DataField.objects.filter(pk=customer_id.pk).exists()


def test_relationship_name_must_be_unique_and_valid(shop, owner):
    with pytest.raises(ValidationError) as info:
        relationships.update_relationship(shop["fk"], actor=owner, relationship_name="Bad Name")
    assert "must start with a lowercase letter" in _message(info, "relationship_name")
    assert TableRelationship.objects.get(pk=shop["fk"].pk).relationship_name == "orders_customer_id_fkey"
