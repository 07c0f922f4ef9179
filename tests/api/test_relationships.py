"""Relationships over the API: a script connects tables, changes the actions and removes the link, under the
designer's rules (the referenced key must be a primary key or unique, types must match)."""

from __future__ import annotations

import pytest

from designer.models import TableRelationship

pytestmark = pytest.mark.django_db


def test_script_lists_the_shop_relationship(api, shop, key_for, viewer):
    answer = api.get(f"/v1/public/{shop['project'].slug}/relationships", key=key_for(viewer))
    assert answer.status == 200, answer.body
    assert answer.body == {
        "relationships": [
            {
                "name": shop["fk"].relationship_name,
                "type": "one_to_many",
                "table": "orders",
                "column": "customer_id",
                "references": "customers.id",
                "on_delete": "no_action",
                "on_update": "no_action",
                "junction_table": None,
            }
        ],
        "total": 1,
    }


def test_script_links_tables_changes_the_action_and_removes_the_link(api, shop, key_for, owner):
    key, base = key_for(owner), f"/v1/public/{shop['project'].slug}"
    api.post(f"{base}/tables/orders/columns", {"name": "referrer_id", "type": "integer"}, key=key)
    created = api.post(
        f"{base}/relationships",
        {"table": "orders", "column": "referrer_id", "references": "customers.id", "on_delete": "set_null"},
        key=key,
    )
    assert created.status == 201, created.body
    name = created.body["name"]
    assert created.body["on_delete"] == "set_null" and created.body["table"] == "orders"
    changed = api.patch(f"{base}/relationships/{name}", {"on_delete": "cascade", "name": "orders_referrer"}, key=key)
    assert changed.status == 200, changed.body
    assert changed.body["name"] == "orders_referrer" and changed.body["on_delete"] == "cascade"
    removed = api.delete(f"{base}/relationships/orders_referrer", key=key)
    assert removed.status == 200 and removed.body == {"name": "orders_referrer", "deleted": True}
    assert not TableRelationship.objects.filter(relationship_name="orders_referrer").exists()
    missing = api.delete(f"{base}/relationships/orders_referrer", key=key)
    assert missing.status == 404 and missing.body["error_code"] == "RELATIONSHIP_NOT_FOUND"


def test_a_relationship_to_a_column_that_is_not_a_key_is_refused_with_the_designer_message(api, shop, key_for, owner):
    key, base = key_for(owner), f"/v1/public/{shop['project'].slug}"
    answer = api.post(
        f"{base}/relationships", {"table": "customers", "column": "id", "references": "orders.customer_id"}, key=key
    )
    assert answer.status == 422, answer.body
    assert answer.body["details"][0]["loc"][:2] == ["body", "references"]
    unknown = api.post(f"{base}/relationships", {"table": "orders", "column": "id", "references": "nope.id"}, key=key)
    assert unknown.status == 422 and "table.column" in unknown.body["detail"]
    no_table = api.post(f"{base}/relationships", {"table": "nope", "column": "id", "references": "orders.id"}, key=key)
    assert no_table.status == 404 and no_table.body["error_code"] == "TABLE_NOT_FOUND"
    assert TableRelationship.objects.filter(project=shop["project"]).count() == 1


def test_set_null_on_a_required_column_is_refused(api, shop, key_for, owner):
    key, base = key_for(owner), f"/v1/public/{shop['project'].slug}"
    answer = api.patch(f"{base}/relationships/{shop['fk'].relationship_name}", {"on_delete": "set_null"}, key=key)
    assert answer.status == 422
    assert answer.body["details"][0]["loc"] == ["body", "on_delete"]
    assert "optional" in answer.body["detail"]
