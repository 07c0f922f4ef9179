"""The bad inputs the fuzz suites (test_fuzz_*.py) found answered with a server error or a hidden message,
kept as plain stories: each is refused with a message beside its input (or ignored where it was only a hint),
and nothing is lost."""

from __future__ import annotations

import re

import pytest

from designer.models import DataTable, SchemaVersion, StickyNote

from .conftest import HX, url
from .test_panel_edits import error_beside

pytestmark = pytest.mark.django_db


def alerts(response) -> str:
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in re.findall(r'role="alert"[^>]*>(.*?)</(?:ul|p)>', html, re.S))


@pytest.fixture
def sticky(project, owner):
    from designer.services import layout

    return layout.create_note(project, actor=owner, text="Remember the VAT")


# --- the canvas -----------------------------------------------------------------------------------
def test_dropping_a_box_far_off_the_canvas_is_refused_with_the_reason(owner_client, shop):
    response = owner_client.post(url(shop["project"], "tables", shop["orders"].pk, "move"), {"x": 10, "y": -2147483649})
    assert response.status_code == 422
    assert "off the canvas" in response.content.decode()
    assert DataTable.objects.get(pk=shop["orders"].pk).position_y != -2147483649


def test_moving_a_group_by_an_absurd_offset_is_refused_and_moves_nothing(owner_client, shop, owner):
    from designer.services import layout

    group = layout.create_group(shop["project"], actor=owner, name="Sales", table_ids=[str(shop["orders"].pk)])
    before = DataTable.objects.get(pk=shop["orders"].pk).position_x
    response = owner_client.post(url(shop["project"], "groups", group.pk, "move"), {"dx": 10**12, "dy": 0})
    assert response.status_code == 422 and "Offset" in response.content.decode()
    assert DataTable.objects.get(pk=shop["orders"].pk).position_x == before


@pytest.mark.parametrize("hint", ["inf", "nan", "1e400", "1e300"])
def test_add_table_with_a_nonsense_view_position_still_adds_it_on_the_canvas(owner_client, project, hint):
    response = owner_client.post(url(project, "tables/"), {"table_name": "invoices", "near_x": hint}, **HX)
    assert response.status_code == 200
    table = DataTable.objects.get(project=project, table_name="invoices")
    assert abs(table.position_x) <= 1_000_000


@pytest.mark.parametrize("hint", ["1e400", "-inf", "99999999999999"])
def test_a_note_added_at_a_nonsense_position_lands_on_the_canvas_or_is_refused(owner_client, project, hint):
    response = owner_client.post(url(project, "notes/"), {"text": "Check totals", "x": hint, "y": "0"}, **HX)
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "off the canvas" in alerts(response)
    else:
        assert abs(StickyNote.objects.get(project=project).position_x) <= 1_000_000


# --- messages that were refused but not shown -----------------------------------------------------
def test_a_bad_on_update_action_is_shown_beside_on_update(owner_client, shop):
    orders, fk = shop["orders"], shop["fk"]
    response = owner_client.post(url(shop["project"], "tables", orders.pk, "relationships", fk.pk, ""),
                                 {"on_update": " "}, **HX)  # fmt: skip
    assert response.status_code == 422
    assert error_beside(response.content.decode(), "on_update").strip()


def test_a_bad_note_colour_is_shown_and_the_typed_note_text_is_kept(owner_client, project, sticky):
    response = owner_client.post(url(project, "notes", sticky.pk, ""), {"text": "Edited text", "color": "red"}, **HX)
    assert response.status_code == 422
    assert "Colour" in alerts(response)
    assert "Edited text" in response.content.decode(), "what the user typed is kept"
    sticky.refresh_from_db()
    assert sticky.text == "Remember the VAT"


def test_adding_a_note_with_a_bad_colour_says_so(owner_client, project):
    response = owner_client.post(url(project, "notes/"), {"text": "Check totals", "color": "red"}, **HX)
    assert response.status_code == 422 and "Colour" in alerts(response)
    assert not StickyNote.objects.filter(project=project).exists()


# --- NUL characters (PostgreSQL text cannot hold them) --------------------------------------------
NUL_MESSAGE = "NUL character"


def test_a_new_project_description_with_a_nul_is_refused_beside_it(owner_client, project):
    response = owner_client.post("/", {"name": "Warehouse", "description": "a\x00b"}, **HX)
    assert response.status_code == 422 and NUL_MESSAGE in alerts(response)
    assert 'id="description-errors"' in response.content.decode()


def test_renaming_a_project_to_a_name_with_a_nul_is_refused(owner_client, project):
    response = owner_client.post(url(project, "settings/update"), {"name": "Shop\x00"}, **HX)
    assert response.status_code == 422 and NUL_MESSAGE in error_beside(response.content.decode(), "name")


def test_a_project_description_with_a_nul_is_refused_beside_it(owner_client, project):
    response = owner_client.post(url(project, "settings/update"), {"name": "Shop", "description": "\x00"}, **HX)
    assert response.status_code == 422 and NUL_MESSAGE in alerts(response)
    project.refresh_from_db()
    assert project.description == "A small shop"


@pytest.mark.parametrize("path", ["settings/members", "settings/members/remove"])
def test_a_member_user_name_with_a_nul_is_refused(owner_client, project, path):
    response = owner_client.post(url(project, path), {"username": "eddie\x00", "role": "viewer"}, **HX)
    assert response.status_code == 422 and NUL_MESSAGE in alerts(response)


def test_a_group_name_with_a_nul_is_refused(owner_client, shop, owner):
    from designer.services import layout

    group = layout.create_group(shop["project"], actor=owner, name="Sales")
    response = owner_client.post(url(shop["project"], "groups", group.pk, ""), {"name": "\x00"}, **HX)
    assert response.status_code == 422 and NUL_MESSAGE in alerts(response)


def test_a_version_message_with_a_nul_is_refused_and_the_message_kept(owner_client, project):
    response = owner_client.post(url(project, "versions/"), {"message": "second\x00 try"})
    assert response.status_code == 422 and NUL_MESSAGE in alerts(response)
    assert 'value="second' in response.content.decode()
    assert not SchemaVersion.objects.filter(project=project).exists()


def test_importing_under_a_name_with_a_nul_is_refused_beside_the_name(owner_client, project):
    preview = owner_client.post("/import/preview/", {"format": "sql", "text": "CREATE TABLE t (id int);"}, **HX)
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode())[1]
    response = owner_client.post("/import/confirm/", {"token": token, "name": "Imported\x00"}, **HX)
    assert response.status_code == 422 and NUL_MESSAGE in alerts(response)


@pytest.mark.parametrize(
    "posted",
    [{"description": "a\x00b"}, {"default_value": "\x00"}],
    ids=["description", "default"],
)
def test_a_field_with_a_nul_in_its_text_is_refused(owner_client, shop, posted):
    response = owner_client.post(
        url(shop["project"], "tables", shop["orders"].pk, "fields/"),
        {"field_name": "note", "data_type": "text", **posted},
        **HX,
    )
    assert response.status_code == 422 and alerts(response).strip()
    assert not shop["orders"].fields.filter(field_name="note").exists()


def test_a_table_description_with_a_nul_is_refused_beside_it(owner_client, shop):
    orders = shop["orders"]
    response = owner_client.post(
        url(shop["project"], "tables", orders.pk, ""), {"table_name": "orders", "description": "\x00"}, **HX
    )
    assert response.status_code == 422 and NUL_MESSAGE in error_beside(response.content.decode(), "description")


# --- other odd requests ---------------------------------------------------------------------------
def test_restoring_version_zero_is_not_found(owner_client, project):
    response = owner_client.post(url(project, "versions/0/restore/"))
    assert response.status_code == 404


def test_a_status_change_without_a_status_names_the_choices(owner_client, shop):
    response = owner_client.post(url(shop["project"], "tables", shop["orders"].pk, "status"), {}, **HX)
    assert response.status_code == 422 and "Pick the status" in alerts(response)


@pytest.mark.parametrize("path", ["lock/", "lock/force/"])
def test_a_lock_reason_with_a_nul_is_refused_with_a_message(owner_client, shop, path):
    response = owner_client.post(url(shop["project"], "tables", shop["orders"].pk, path), {"reason": "\x00"})
    assert response.status_code in (409, 422)
    assert "NUL character" in str(response.json()["errors"])


# --- imports --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        ("dbml", "Table t {\n  id int [pk, note: ' ']\n}", "only spaces"),
        ("dbml", "Table t {\n  id int [pk, default: '\x00']\n}", "Line 2"),
        ("sql", "CREATE TABLE a (id int);\x00CREATE TABLE b (id int);", "NUL character"),
        ("json", '{"format": 1, "tables": [{"id": "t1", "table_name": "t", "description": "\\u0000", "fields": []}]}',
         "NUL character"),
    ],
    ids=["blank-dbml-note", "nul-dbml-default", "nul-sql", "escaped-nul-json"],
)  # fmt: skip
def test_an_import_source_the_parsers_trip_over_is_refused_with_where_and_why(
    owner_client, project, fmt, text, message
):
    response = owner_client.post("/import/preview/", {"format": fmt, "text": text}, **HX)
    assert response.status_code == 422
    assert message in alerts(response)


def test_what_postgresql_cannot_store_is_refused_by_field_before_any_query(project):
    from django.core.exceptions import ValidationError

    from designer.models.storable import unstorable_errors

    table = DataTable(project=project, table_name="x" * 300, description="a\x00b", position_x=2**40)
    errors = unstorable_errors(table)
    assert set(errors) == {"table_name", "description", "position_x"}
    assert "NUL character" in errors["description"][0] and "out of range" in errors["position_x"][0]
    with pytest.raises(ValidationError) as refused:
        table.save()
    assert set(refused.value.message_dict) == set(errors)
