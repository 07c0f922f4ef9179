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
