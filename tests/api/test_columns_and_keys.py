"""A script edits a table's columns, indexes, constraints and primary key over the API: every write goes
through the designer's services (same rules and messages, history naming the key's user, revision bump)."""

from __future__ import annotations

import pytest

from designer.models import DataField, DataTable

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_key(key_for, owner):
    return key_for(owner)


def _orders(shop) -> str:
    return f"/v1/public/{shop['project'].slug}/tables/orders"


def test_script_lists_the_columns_of_a_table_in_seed_shapes(api, shop, owner_key):
    answer = api.get(f"{_orders(shop)}/columns", key=owner_key)
    assert answer.status == 200, answer.body
    assert answer.body["columns"] == [
        {"name": "id", "type": "bigint", "required": True, "primary_key": True},
        {"name": "customer_id", "type": "integer", "required": True},
        {"name": "total", "type": "decimal", "precision": 10, "scale": 2, "required": False, "default": "0.00"},
    ]
    revision = DataTable.objects.get(pk=shop["orders"].pk).revision
    assert answer.headers["ETag"] == f'"{revision}"'


def test_script_adds_a_column_and_the_history_names_its_user(api, shop, owner_key, owner):
    before = DataTable.objects.get(pk=shop["orders"].pk).revision
    answer = api.post(
        f"{_orders(shop)}/columns",
        {"name": "note", "type": "string", "max_length": 500, "default": "none"},
        key=owner_key,
    )
    assert answer.status == 201, answer.body
    assert answer.body == {"name": "note", "type": "string", "max_length": 500, "required": False, "default": "none"}
    field = DataField.objects.get(table=shop["orders"], field_name="note")
    assert field.history.first().history_user == owner
    after = DataTable.objects.get(pk=shop["orders"].pk).revision
    assert after > before and answer.headers["ETag"] == f'"{after}"'


def test_a_column_breaking_the_designer_rules_gets_the_designer_message_at_its_place(api, shop, owner_key):
    reserved = api.post(f"{_orders(shop)}/columns", {"name": "select", "type": "string"}, key=owner_key)
    assert reserved.status == 422
    assert reserved.body["error_code"] == "VALIDATION_ERROR"
    assert reserved.body["details"][0]["loc"] == ["body", "name"]
    assert "reserved" in reserved.body["details"][0]["msg"].lower()
    long = api.post(f"{_orders(shop)}/columns", {"name": "x" * 64, "type": "string"}, key=owner_key)
    assert long.status == 422 and "63" in long.body["detail"]
    bad_type = api.post(f"{_orders(shop)}/columns", {"name": "n", "type": "strnig"}, key=owner_key)
    assert bad_type.status == 422 and bad_type.body["details"][0]["loc"] == ["body", "type"]
    ten = {"name": "n", "type": "integer", "default": "ten"}
    bad_default = api.post(f"{_orders(shop)}/columns", ten, key=owner_key)
    assert bad_default.status == 422 and bad_default.body["details"][0]["loc"] == ["body", "default"]
    assert not DataField.objects.filter(table=shop["orders"], field_name="n").exists()


def test_script_renames_retypes_and_then_drops_a_column(api, shop, owner_key):
    renamed = api.patch(
        f"{_orders(shop)}/columns/total", {"name": "amount", "precision": 12, "required": True}, key=owner_key
    )
    assert renamed.status == 200, renamed.body
    assert renamed.body == {
        "name": "amount", "type": "decimal", "precision": 12, "scale": 2, "required": True, "default": "0.00"
    }  # fmt: skip
    cleared = api.patch(f"{_orders(shop)}/columns/amount", {"clear_default": True}, key=owner_key)
    assert "default" not in cleared.body
    dropped = api.delete(f"{_orders(shop)}/columns/amount", key=owner_key)
    assert dropped.status == 200
    assert dropped.body == {"table_id": dropped.body["table_id"], "column": "amount", "deleted": True, "removed": []}
    gone = api.patch(f"{_orders(shop)}/columns/amount", {"required": False}, key=owner_key)
    assert gone.status == 404 and gone.body["error_code"] == "COLUMN_NOT_FOUND"
    assert "customer_id" in gone.body["detail"]


def test_a_column_a_relationship_uses_cannot_be_dropped(api, shop, owner_key):
    answer = api.delete(f"{_orders(shop)}/columns/customer_id", key=owner_key)
    assert answer.status == 422
    assert "Delete the relationship first" in answer.body["detail"]
    assert DataField.objects.filter(table=shop["orders"], field_name="customer_id").exists()


def test_script_adds_and_drops_an_index_and_its_column_takes_it_along(api, shop, owner_key):
    added = api.post(f"{_orders(shop)}/indexes", {"columns": ["customer_id", "total"]}, key=owner_key)
    assert added.status == 201, added.body
    assert added.body == {"name": "orders_customer_id_total_idx", "columns": ["customer_id", "total"], "unique": False}
    again = api.post(f"{_orders(shop)}/indexes", {"columns": ["customer_id", "total"]}, key=owner_key)
    assert again.status == 422 and "already covers" in again.body["detail"]
    unknown = api.post(f"{_orders(shop)}/indexes", {"columns": ["nope"]}, key=owner_key)
    assert unknown.status == 422 and unknown.body["details"][0]["loc"] == ["body", "columns"]
    assert api.get(f"{_orders(shop)}/indexes", key=owner_key).body["indexes"] == [added.body]
    dropped = api.delete(f"{_orders(shop)}/indexes/orders_customer_id_total_idx", key=owner_key)
    assert dropped.status == 200 and dropped.body["deleted"] is True
    missing = api.delete(f"{_orders(shop)}/indexes/orders_customer_id_total_idx", key=owner_key)
    assert missing.status == 404 and missing.body["error_code"] == "INDEX_NOT_FOUND"


def test_script_adds_check_and_unique_constraints_with_the_designer_rules(api, shop, owner_key):
    check = api.post(f"{_orders(shop)}/constraints", {"kind": "check", "expression": "total >= 0"}, key=owner_key)
    assert check.status == 201, check.body
    assert check.body == {"name": "orders_check1_check", "kind": "check", "expression": "total >= 0"}
    wrong = api.post(f"{_orders(shop)}/constraints", {"kind": "check", "expression": "price >= 0"}, key=owner_key)
    assert wrong.status == 422 and wrong.body["details"][0]["loc"] == ["body", "expression"]
    empty = api.post(f"{_orders(shop)}/constraints", {"kind": "unique"}, key=owner_key)
    assert empty.status == 422 and empty.body["details"][0]["loc"] == ["body", "columns"]
    unique = api.post(
        f"{_orders(shop)}/constraints", {"kind": "unique", "columns": ["customer_id", "total"]}, key=owner_key
    )
    assert unique.status == 201
    listed = api.get(f"{_orders(shop)}/constraints", key=owner_key).body["constraints"]
    assert [c["name"] for c in listed] == ["orders_check1_check", "orders_customer_id_total_key"]
    dropped = api.delete(f"{_orders(shop)}/constraints/orders_check1_check", key=owner_key)
    assert dropped.status == 200
    missing = api.delete(f"{_orders(shop)}/constraints/orders_check1_check", key=owner_key)
    assert missing.status == 404 and missing.body["error_code"] == "CONSTRAINT_NOT_FOUND"


def test_script_makes_a_composite_primary_key_and_removes_it(api, shop, owner_key):
    pk = api.put(f"{_orders(shop)}/primary_key", {"columns": ["id", "customer_id"]}, key=owner_key)
    assert pk.status == 200, pk.body
    assert pk.body["columns"] == ["id", "customer_id"] and pk.body["name"] == "orders_pkey"
    table = api.get(_orders(shop), key=owner_key).body
    assert table["schema"]["primary_key"] == ["id", "customer_id"]
    none = api.put(f"{_orders(shop)}/primary_key", {"columns": []}, key=owner_key)
    assert none.body["columns"] == []
    assert not DataField.objects.filter(table=shop["orders"], pk_position__isnull=False).exists()


def test_a_stale_if_match_on_a_column_write_is_refused_and_nothing_changes(api, shop, owner_key):
    etag = api.get(f"{_orders(shop)}/columns", key=owner_key).headers["ETag"]
    assert api.post(f"{_orders(shop)}/columns", {"name": "a", "type": "text"}, key=owner_key).status == 201
    stale = api.post(
        f"{_orders(shop)}/columns", {"name": "b", "type": "text"}, key=owner_key, headers={"If-Match": etag}
    )
    assert stale.status == 412 and stale.body["error_code"] == "REVISION_CONFLICT"
    assert "a" in stale.body["current"]["schema"]["fields"]
    assert not DataField.objects.filter(table=shop["orders"], field_name="b").exists()
