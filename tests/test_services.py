"""Edits through the services: what a designer does, and what the design looks like afterwards."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from designer.models import DataField, DataTable, TableIndex, TableRelationship
from designer.services import fields, indexes, relationships, tables


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    """Not about locks: the owner's service writes take their table locks on demand (``locks.holding``)."""
    with locked([], owner):
        yield


def _columns(table) -> list[str]:
    return list(DataField.objects.filter(table=table).order_by("sort_order").values_list("field_name", flat=True))


def test_every_change_bumps_the_table_revision_and_records_who(shop, editor, locked):
    orders = shop["orders"]
    before = orders.revision
    with locked([orders], editor) as held:
        fields.create_field(orders, actor=editor, field_name="note", data_type="text", **held.args(orders))
    orders.refresh_from_db()
    assert orders.revision == before + 1
    latest = orders.history.latest()
    assert latest.history_user == editor
    field_history = DataField.objects.get(table=orders, field_name="note").history.latest()
    assert field_history.history_user == editor and field_history.history_type == "+"


def test_reorder_fields(shop, owner):
    orders = shop["orders"]
    ids = list(DataField.objects.filter(table=orders).order_by("sort_order").values_list("pk", flat=True))
    fields.reorder_fields(orders, actor=owner, field_ids=list(reversed(ids)))
    assert _columns(orders) == ["total", "customer_id", "id"]
    with pytest.raises(ValidationError) as info:
        fields.reorder_fields(orders, actor=owner, field_ids=ids[:2])
    assert "every field of the table exactly once" in info.value.message_dict["field_ids"][0]


def test_composite_primary_key_in_order(project, owner):
    playlist_track = tables.create_table(project, actor=owner, table_name="playlist_track")
    playlist_id = fields.create_field(playlist_track, actor=owner, field_name="playlist_id", data_type="integer")
    track_id = fields.create_field(playlist_track, actor=owner, field_name="track_id", data_type="integer")
    indexes.set_primary_key(playlist_track, actor=owner, field_ids=[track_id.pk, playlist_id.pk])
    key = list(
        DataField.objects.filter(table=playlist_track, pk_position__isnull=False)
        .order_by("pk_position")
        .values_list("field_name", "is_required")
    )
    assert key == [("track_id", True), ("playlist_id", True)]
    with pytest.raises(ValidationError) as info:
        fields.update_field(DataField.objects.get(pk=track_id.pk), actor=owner, is_required=False)
    assert "part of the primary key" in info.value.message_dict["is_required"][0]
    fields.update_field(DataField.objects.get(pk=track_id.pk), actor=owner, primary_key=False)
    assert list(
        DataField.objects.filter(table=playlist_track, pk_position__isnull=False).values_list(
            "field_name", "pk_position"
        )
    ) == [("playlist_id", 1)]


def test_indexes_single_composite_and_unique(shop, owner):
    orders = shop["orders"]
    customer_id = DataField.objects.get(table=orders, field_name="customer_id")
    total = DataField.objects.get(table=orders, field_name="total")
    single = indexes.create_index(orders, actor=owner, field_ids=[customer_id.pk])
    composite = indexes.create_index(orders, actor=owner, field_ids=[customer_id.pk, total.pk], is_unique=True)
    assert single.name == "orders_customer_id_idx"
    assert composite.name == "orders_customer_id_total_key"
    assert [c.field.field_name for c in composite.columns.order_by("position")] == ["customer_id", "total"]
    with pytest.raises(ValidationError) as info:
        indexes.create_index(orders, actor=owner, field_ids=[customer_id.pk])
    assert "already covers (customer_id)" in info.value.message_dict["fields"][0]
    with pytest.raises(ValidationError) as info:
        indexes.create_index(orders, actor=owner, field_ids=[])
    assert "Pick at least one field" in info.value.message_dict["fields"][0]


def test_long_generated_names_stay_within_63_characters(project, owner):
    table = tables.create_table(project, actor=owner, table_name="a" * 40)
    one = fields.create_field(table, actor=owner, field_name="b" * 40, data_type="integer")
    two = fields.create_field(table, actor=owner, field_name="c" * 40, data_type="integer")
    index = indexes.create_index(table, actor=owner, field_ids=[one.pk, two.pk])
    assert len(index.name) <= 63 and index.name.endswith("_idx")


def test_check_and_unique_constraints(shop, owner):
    orders = shop["orders"]
    check = indexes.create_constraint(orders, actor=owner, kind="check", expression="total >= 0")
    assert check.name == "orders_check1_check"
    with pytest.raises(ValidationError) as info:
        indexes.create_constraint(orders, actor=owner, kind="check", expression="amount >= 0")
    assert "unknown column(s) amount" in info.value.message_dict["expression"][0]
    with pytest.raises(ValidationError) as info:
        indexes.create_constraint(orders, actor=owner, kind="check", expression="total >= 0); DROP TABLE orders; --")
    assert "must not contain ';'" in info.value.message_dict["expression"][0]
    total = DataField.objects.get(table=orders, field_name="total")
    unique = indexes.create_constraint(orders, actor=owner, kind="unique", field_ids=[total.pk])
    assert unique.name == "orders_total_key"


def test_deleting_a_field_takes_its_indexes_along_and_says_so(shop, owner):
    orders = shop["orders"]
    total = DataField.objects.get(table=orders, field_name="total")
    indexes.create_index(orders, actor=owner, field_ids=[total.pk])
    removed = fields.delete_field(total, actor=owner)
    assert removed == ["orders_total_idx"]
    assert not TableIndex.objects.filter(table=orders).exists()


def test_one_to_one_makes_the_foreign_key_column_unique(shop, owner):
    profile = tables.create_table(shop["project"], actor=owner, table_name="profiles")
    owner_id = fields.create_field(profile, actor=owner, field_name="customer_id", data_type="integer")
    customer_pk = DataField.objects.get(table=shop["customers"], field_name="id")
    relationships.create_relationship(
        shop["project"], actor=owner, source_field=customer_pk, target_field=owner_id, relationship_type="one_to_one"
    )
    assert DataField.objects.get(pk=owner_id.pk).is_unique


def test_many_to_many_generates_a_junction_table(project, owner):
    students = tables.create_table(project, actor=owner, table_name="students")
    sid = fields.create_field(students, actor=owner, field_name="id", data_type="integer", primary_key=True)
    courses = tables.create_table(project, actor=owner, table_name="courses")
    cid = fields.create_field(courses, actor=owner, field_name="id", data_type="bigint", primary_key=True)
    rel = relationships.create_relationship(
        project, actor=owner, source_field=sid, target_field=cid, relationship_type="many_to_many", on_delete="cascade"
    )
    junction = rel.junction_table
    assert junction.table_name == "students_courses"
    assert list(
        DataField.objects.filter(table=junction)
        .order_by("pk_position")
        .values_list("field_name", "data_type", "field_config", "pk_position")
    ) == [("students_id", "number", {"kind": "integer"}, 1), ("courses_id", "number", {"kind": "bigint"}, 2)]
    links = TableRelationship.objects.filter(target_table=junction).order_by("relationship_name")
    assert [(r.source_table.table_name, r.on_delete) for r in links] == [
        ("courses", "cascade"),
        ("students", "cascade"),
    ]
    relationships.delete_relationship(rel, actor=owner)
    assert not DataTable.objects.filter(table_name="students_courses").exists()
    assert not TableRelationship.objects.filter(project=project).exists()


def test_deleting_a_table_reports_the_relationships_that_went_with_it(shop, owner):
    removed = tables.delete_table(shop["customers"], actor=owner)
    assert removed == ["orders_customer_id_fkey"]
    assert list(DataTable.objects.filter(project=shop["project"]).values_list("table_name", flat=True)) == ["orders"]


def test_moving_a_table_keeps_the_revision(shop, owner):
    orders = shop["orders"]
    revision = orders.revision
    tables.move_table(orders, actor=owner, x=500, y=-20)
    orders.refresh_from_db()
    assert (orders.position_x, orders.position_y, orders.revision) == (500, -20, revision)
    with pytest.raises(ValidationError):
        tables.move_table(orders, actor=owner, x="left", y=3)


def test_new_tables_do_not_land_on_each_other(project, owner):
    made = [tables.create_table(project, actor=owner, table_name=f"t{i}") for i in range(12)]
    positions = {(t.position_x, t.position_y) for t in made}
    assert len(positions) == 12


def test_check_constraints_follow_a_renamed_column_and_go_with_a_deleted_one(shop, owner):
    orders = shop["orders"]
    indexes.create_constraint(orders, actor=owner, kind="check", expression="total >= 0", name="orders_total_positive")
    total = DataField.objects.get(table=orders, field_name="total")
    fields.update_field(total, actor=owner, field_name="amount")
    assert orders.constraints.get(name="orders_total_positive").expression == "amount >= 0"
    removed = fields.delete_field(DataField.objects.get(pk=total.pk), actor=owner)
    assert removed == ["orders_total_positive"]
    assert not orders.constraints.exists()


def test_index_names_must_be_free_across_the_project(shop, owner):
    customers, orders = shop["customers"], shop["orders"]
    email = DataField.objects.get(table=customers, field_name="email")
    total = DataField.objects.get(table=orders, field_name="total")
    indexes.create_index(customers, actor=owner, field_ids=[email.pk], name="by_value")
    with pytest.raises(ValidationError) as info:
        indexes.create_index(orders, actor=owner, field_ids=[total.pk], name="by_value")
    assert "already used by index by_value of customers" in info.value.message_dict["name"][0]
    for taken in ("customers", "orders_pkey"):
        with pytest.raises(ValidationError) as info:
            indexes.create_constraint(orders, actor=owner, kind="unique", field_ids=[total.pk], name=taken)
        assert "share one namespace" in info.value.message_dict["name"][0]
