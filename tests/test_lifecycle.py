"""Table lifecycle exactly as seed 002 draws it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from designer.services import tables


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    """Not about locks: the owner's service writes take their table locks on demand (``locks.holding``)."""
    with locked([], owner):
        yield


def _status(table) -> str:
    table.refresh_from_db()
    return table.status


def test_draft_becomes_active_only_through_deploy(shop, owner):
    orders = shop["orders"]
    with pytest.raises(ValidationError) as info:
        tables.transition_table(orders, actor=owner, status="active")
    assert "becomes Active only by deploying the project" in info.value.message_dict["status"][0]
    tables.transition_table(orders, actor=owner, status="active", by_deploy=True)
    assert _status(orders) == "active"


def test_full_lifecycle_and_back_to_draft_for_edits(shop, owner):
    orders = shop["orders"]
    revision = orders.revision
    tables.transition_table(orders, actor=owner, status="active", by_deploy=True)
    tables.transition_table(orders, actor=owner, status="deprecated")
    tables.transition_table(orders, actor=owner, status="deleted")
    assert _status(orders) == "deleted"
    tables.transition_table(orders, actor=owner, status="draft")
    assert _status(orders) == "draft"
    assert orders.revision == revision + 4
    history = list(orders.history.order_by("history_date").values_list("status", flat=True))
    assert history[-4:] == ["active", "deprecated", "deleted", "draft"]


@pytest.mark.parametrize(
    ("path", "refused", "allowed_hint"),
    [
        ([], "deprecated", "Active (by deploying the project)"),
        ([], "deleted", "Active (by deploying the project)"),
        ([("active", True)], "deleted", "Deprecated, Draft"),
        ([("active", True), ("deprecated", False), ("deleted", False)], "active", "Draft"),
    ],
)
def test_other_moves_are_refused_with_the_allowed_ones(shop, owner, path, refused, allowed_hint):
    orders = shop["orders"]
    for status, by_deploy in path:
        tables.transition_table(orders, actor=owner, status=status, by_deploy=by_deploy)
    with pytest.raises(ValidationError) as info:
        tables.transition_table(orders, actor=owner, status=refused)
    message = info.value.message_dict["status"][0]
    assert f"cannot become {refused.title()}" in message
    assert allowed_hint in message


def test_the_same_status_again_is_refused(shop, owner):
    with pytest.raises(ValidationError) as info:
        tables.transition_table(shop["orders"], actor=owner, status="draft")
    assert "already Draft" in info.value.message_dict["status"][0]


# --- Any → Draft: a schema edit returns a deployed table to design mode --------------------------------------
def _activate(table, owner, *path):
    tables.transition_table(table, actor=owner, status="active", by_deploy=True)
    for status in path:
        tables.transition_table(table, actor=owner, status=status)


def _edits(shop, owner):
    """One schema edit of ``orders`` per kind of write (name, field, relationship, index, constraint, key)."""
    from designer.models import DataField
    from designer.services import fields, indexes, relationships

    orders = shop["orders"]

    def field_total():
        return DataField.objects.get(table=orders, field_name="total")

    return {
        "rename the table": lambda: tables.update_table(orders, actor=owner, table_name="purchases"),
        "add a field": lambda: fields.create_field(orders, actor=owner, field_name="note", data_type="text"),
        "change a field": lambda: fields.update_field(field_total(), actor=owner, is_required=True),
        "delete a field": lambda: fields.delete_field(field_total(), actor=owner),
        "change a relationship": lambda: relationships.update_relationship(
            shop["fk"], actor=owner, on_delete="cascade"
        ),
        "add an index": lambda: indexes.create_index(orders, actor=owner, field_ids=[field_total().pk]),
        "add a check": lambda: indexes.create_constraint(orders, actor=owner, kind="check", expression="total >= 0"),
    }


EDITS = [
    "rename the table",
    "add a field",
    "change a field",
    "delete a field",
    "change a relationship",
    "add an index",
    "add a check",
]


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("status_path", [(), ("deprecated",)], ids=["active", "deprecated"])
def test_editing_a_deployed_table_returns_it_to_draft(shop, owner, edit, status_path):
    orders = shop["orders"]
    _activate(orders, owner, *status_path)
    was = _status(orders)
    _edits(shop, owner)[edit]()
    assert _status(orders) == "draft"
    last = orders.history.latest()
    assert (last.status, last.history_user) == ("draft", owner)
    assert last.history_change_reason == f"back to Draft: edited while {was.title()} (deploy to make it Active)"


def test_an_edit_of_a_deleted_table_is_refused_until_it_is_restored_to_draft(shop, owner):
    from designer.models import DataField

    orders = shop["orders"]
    _activate(orders, owner, "deprecated", "deleted")
    revision = orders.revision
    for edit in EDITS:
        with pytest.raises(ValidationError) as info:
            _edits(shop, owner)[edit]()
        assert "orders is Deleted; restore it to Draft first" in info.value.message_dict["status"][0], edit
        orders.refresh_from_db()
        assert (orders.status, orders.revision, orders.table_name) == ("deleted", revision, "orders"), edit
    assert not DataField.objects.filter(table=orders, field_name="note").exists()
    tables.transition_table(orders, actor=owner, status="draft")
    _edits(shop, owner)["add a field"]()
    assert DataField.objects.filter(table=orders, field_name="note").exists()


def test_lifecycle_moves_and_canvas_moves_are_not_edits(shop, owner):
    orders = shop["orders"]
    _activate(orders, owner, "deprecated")
    tables.move_table(orders, actor=owner, x=500, y=300)
    assert _status(orders) == "deprecated"


def test_saving_without_a_change_keeps_a_deployed_table_active(shop, owner):
    from designer.models import DataField
    from designer.services import fields, relationships

    orders = shop["orders"]
    _activate(orders, owner)
    tables.update_table(orders, actor=owner, table_name="orders", description="")
    fields.update_field(DataField.objects.get(table=orders, field_name="total"), actor=owner, default_value="0.00")
    relationships.update_relationship(shop["fk"], actor=owner, on_delete="no_action")
    assert _status(orders) == "active"
    tables.update_table(orders, actor=owner, description="now it changes")
    assert _status(orders) == "draft"
