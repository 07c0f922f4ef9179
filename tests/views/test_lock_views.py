"""HTTP answers of the lock endpoints and of a write through the table panel: 200, 422, 423, 409."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from designer.models import DataTable, TableLock
from designer.services import locks

pytestmark = pytest.mark.postgres


def _client(user, *, csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf_checks)
    client.force_login(user)
    return client


def _url(name: str, table) -> str:
    return reverse(f"designer:{name}", args=[table.project.slug, table.pk])


def test_opening_a_table_gives_a_token_and_the_next_editor_gets_423_with_holder_and_expiry(shop, owner, editor):
    orders = shop["orders"]
    mine = _client(owner).post(_url("lock-acquire", orders))
    assert mine.status_code == 200
    assert mine.json()["holder"] == "olivia" and mine.json()["token"]
    theirs = _client(editor).post(_url("lock-acquire", orders))
    assert theirs.status_code == 423
    body = theirs.json()
    assert body["holder"] == "olivia"
    assert body["expires_at"] == TableLock.objects.get(table=orders, released_at__isnull=True).expires_at.isoformat()
    assert body["error"].startswith("orders is locked by olivia until ")


def test_viewers_and_strangers_cannot_lock(shop, viewer, outsider):
    assert _client(viewer).post(_url("lock-acquire", shop["orders"])).status_code == 403
    assert _client(outsider).post(_url("lock-acquire", shop["orders"])).status_code == 404


def test_heartbeat_with_a_lost_token_is_423_saying_why(shop, owner):
    orders = shop["orders"]
    token = _client(owner).post(_url("lock-acquire", orders)).json()["token"]
    client = _client(owner)
    assert client.post(_url("lock-renew", orders), {"lock_token": token}).status_code == 200
    locks.force_release(orders, actor=owner, reason="testing")
    lost = client.post(_url("lock-renew", orders), {"lock_token": token})
    assert lost.status_code == 423
    assert "Your lock on orders was broken by olivia" in lost.json()["error"]


def test_closing_the_tab_releases_with_a_beacon_form_post(shop, owner):
    orders = shop["orders"]
    client = _client(owner, csrf_checks=True)
    client.get(reverse("designer:project-detail", args=[orders.project.slug]))  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    token = client.post(_url("lock-acquire", orders), headers={"X-CSRFToken": csrf}).json()["token"]
    # sendBeacon cannot set headers: the CSRF token travels in the form, like a plain form post
    released = client.post(_url("lock-release", orders), {"lock_token": token, "csrfmiddlewaretoken": csrf})
    assert released.status_code == 200 and released.json() == {"released": True}
    assert locks.active_lock(orders) is None
    assert client.post(_url("lock-release", orders), {"lock_token": "nope"}).status_code == 403  # no CSRF token


def test_only_owners_force_and_the_answer_names_the_former_holder(shop, owner, editor):
    orders = shop["orders"]
    locks.acquire(orders, actor=editor)
    assert _client(editor).post(_url("lock-force", orders)).status_code == 403
    forced = _client(owner).post(_url("lock-force", orders), {"reason": "release day"})
    assert forced.status_code == 200 and forced.json() == {"forced": True, "holder": "eddie"}
    assert _client(owner).post(_url("lock-force", orders)).status_code == 409


def _field_url(table) -> str:
    return reverse("designer:field-create", args=[table.project.slug, table.pk])


def test_a_panel_write_without_the_lock_is_423_and_shows_who_holds_it(shop, owner, editor):
    orders = shop["orders"]
    locks.acquire(orders, actor=editor)
    response = _client(owner).post(
        _field_url(orders),
        {"field_name": "note", "data_type": "text", "base_revision": orders.revision},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 423
    assert response["HX-Retarget"] == "#lock-errors"  # the message goes beside the form; what was typed stays
    assert "Locked by eddie until" in html and "orders is locked by eddie until" in html
    assert not orders.fields.filter(field_name="note").exists()


def test_a_panel_write_on_an_old_revision_is_409_with_the_current_state(shop, owner):
    orders = shop["orders"]
    lock = locks.acquire(orders, actor=owner)
    client = _client(owner)
    stale = orders.revision
    sent = {"field_name": "note", "data_type": "text", "lock_token": lock.lock_token, "base_revision": stale}
    first = client.post(_field_url(orders), sent, headers={"HX-Request": "true"})
    assert first.status_code == 200 and "note" in first.content.decode()
    assert first["X-Table-Revision"] == str(stale + 1)
    second = client.post(_field_url(orders), {**sent, "field_name": "memo"}, headers={"HX-Request": "true"})
    html = second.content.decode()
    assert second.status_code == 409 and second["HX-Retarget"] == "#panel"
    assert f"you edited revision {stale}, it is now at revision {stale + 1}" in html
    assert 'data-field="note"' in html and f'data-revision="{stale + 1}"' in html  # the current state, ready to retry
    assert 'name="field_name" value="memo"' in html  # what the user typed is kept in the Add field form
    assert not orders.fields.filter(field_name="memo").exists()


def test_a_stale_table_rename_keeps_the_typed_name_in_the_re_rendered_panel(shop, owner):
    orders = shop["orders"]
    lock = locks.acquire(orders, actor=owner)
    url = reverse("designer:table", args=[orders.project.slug, orders.pk])
    sent = {"table_name": "purchases", "lock_token": lock.lock_token, "base_revision": orders.revision - 1}
    response = _client(owner).post(url, sent, headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert 'id="table-name" name="table_name" value="purchases"' in response.content.decode()
    orders.refresh_from_db()
    assert orders.table_name == "orders"


def test_a_bad_field_in_the_panel_is_422_beside_the_input(shop, owner):
    orders = shop["orders"]
    lock = locks.acquire(orders, actor=owner)
    response = _client(owner).post(
        _field_url(orders),
        {
            "field_name": "Bad Name",
            "data_type": "text",
            "lock_token": lock.lock_token,
            "base_revision": orders.revision,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Field name" in response.content.decode() and 'class="errorlist"' in response.content.decode()


def test_the_designer_panel_shows_who_holds_the_table_and_is_read_only(shop, owner, editor):
    orders = shop["orders"]
    locks.acquire(orders, actor=editor)
    html = _client(owner).get(reverse("designer:table", args=[orders.project.slug, orders.pk])).content.decode()
    assert "data-lock-panel" in html and "Locked by eddie" in html
    assert '<fieldset class="panel-body" disabled>' in html


def test_an_owner_breaking_a_lock_can_take_it_in_the_same_step(shop, owner, editor):
    orders = shop["orders"]
    locks.acquire(orders, actor=editor)
    forced = _client(owner).post(_url("lock-force", orders), {"reason": "release day", "take": "1"})
    assert forced.status_code == 200
    body = forced.json()
    assert body["holder"] == "eddie" and body["lock"]["holder"] == "olivia" and body["lock"]["token"]
    assert locks.active_lock(orders).user == owner


def test_a_relationship_is_edited_from_the_table_holding_the_foreign_key(shop, owner):
    """Its writes are guarded by that table's lock, so the referenced table's panel only names it."""
    client = _client(owner)
    customers = client.get(reverse("designer:table", args=[shop["project"].slug, shop["customers"].pk]))
    orders = client.get(reverse("designer:table", args=[shop["project"].slug, shop["orders"].pk]))
    assert 'aria-label="Relationship ' not in customers.content.decode()
    assert "edit it from orders" in customers.content.decode()
    assert 'aria-label="Relationship ' in orders.content.decode()


def test_a_second_tab_of_the_same_user_stays_read_only_and_takes_the_lock_when_the_first_closes(shop, owner):
    orders = shop["orders"]
    first_tab, second_tab = _client(owner), _client(owner)
    token = first_tab.post(_url("lock-acquire", orders)).json()["token"]
    refused = second_tab.post(_url("lock-acquire", orders))
    assert refused.status_code == 423 and refused.json()["holder"] == "olivia"
    assert "open for editing in another tab or window of yours" in refused.json()["error"]
    # the tab that holds it renews it by asking again with its token (e.g. after a reload of the panel)
    assert first_tab.post(_url("lock-acquire", orders), {"lock_token": token}).json()["token"] == token
    # closing the first tab releases only its own lock; the second tab then takes a lock of its own
    assert first_tab.post(_url("lock-release", orders), {"lock_token": token}).json() == {"released": True}
    mine = second_tab.post(_url("lock-acquire", orders))
    assert mine.status_code == 200 and mine.json()["token"] != token
    # ... and the first tab's late heartbeat or second release cannot take it from the second tab
    assert first_tab.post(_url("lock-release", orders), {"lock_token": token}).json() == {"released": False}
    assert first_tab.post(_url("lock-renew", orders), {"lock_token": token}).status_code == 423
    assert str(locks.active_lock(orders).lock_token) == mine.json()["token"]


def test_every_tab_of_the_holder_shares_a_pessimistic_lock(shop, owner):
    orders = shop["orders"]
    first_tab, second_tab = _client(owner), _client(owner)
    taken = first_tab.post(_url("lock-acquire", orders), {"lock_type": "pessimistic", "reason": "splitting it"})
    assert taken.status_code == 200 and taken.json()["lock_type"] == "pessimistic"
    again = second_tab.post(_url("lock-acquire", orders))
    assert again.status_code == 200 and again.json()["token"] == taken.json()["token"]
    assert again.json()["lock_type"] == "pessimistic"


def test_dragging_a_box_a_deploy_holds_is_423_naming_the_deploy(shop, owner, make_user):
    orders = shop["orders"]
    locks.acquire(orders, actor=make_user("sam", staff=True), lock_type="critical", reason="Deploy")
    refused = _client(owner).post(_url("table-move", orders), {"x": 10, "y": 20})
    assert refused.status_code == 423
    assert refused.content.decode().startswith("orders is being deployed (Deploy by sam, critical lock until ")
    DataTable.objects.filter(pk=orders.pk).update(position_x=9999, position_y=9999)  # Auto-arrange would move it
    arranged = _client(owner).post(
        reverse("designer:arrange", args=[orders.project.slug]), headers={"HX-Request": "true"}
    )
    assert arranged.status_code == 423 and "orders is being deployed" in arranged.content.decode()
    assert arranged["HX-Retarget"] == "#panel-alert"


def test_locking_for_restructuring_needs_a_reason_beside_the_input_and_upgrades_the_lock(shop, owner, editor):
    orders = shop["orders"]
    panel = _client(owner).get(reverse("designer:table", args=[orders.project.slug, orders.pk])).content.decode()
    assert 'aria-label="Lock for restructuring"' in panel and '<label for="lock-reason">Reason</label>' in panel
    assert ">Lock for restructuring</button>" in panel and ">Release lock</button>" in panel
    client = _client(owner)
    token = client.post(_url("lock-acquire", orders)).json()["token"]
    missing = client.post(
        _url("lock-acquire", orders), {"lock_type": "pessimistic", "reason": " ", "lock_token": token}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"]["reason"] == [
        "Say why you lock this table for a long time (for example: 'splitting it')."
    ]
    assert locks.active_lock(orders).lock_type == "optimistic"
    upgraded = client.post(
        _url("lock-acquire", orders), {"lock_type": "pessimistic", "reason": "splitting it", "lock_token": token}
    )
    assert upgraded.status_code == 200 and upgraded.json()["token"] == token
    assert upgraded.json()["lock_type"] == "pessimistic" and upgraded.json()["ttl"] > 1700
    theirs = _client(editor).post(_url("lock-acquire", orders))
    assert theirs.status_code == 423 and theirs.json()["holder"] == "olivia"
