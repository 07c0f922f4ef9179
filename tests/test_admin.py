"""The admin shows every model, with filters, search, inline fields and history."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user
from django.urls import reverse

from designer.models import DataField, DataTable


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    """Not about locks: the owner's service writes take their table locks on demand (``locks.holding``)."""
    with locked([], owner):
        yield


@pytest.fixture
def admin_client_with_design(client, make_user, shop):
    superuser = make_user("admin", staff=True)
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    return client


def test_every_designer_model_is_registered():
    from django.apps import apps

    for model in apps.get_app_config("designer").get_models():
        if model.__name__.startswith("Historical"):
            continue
        assert admin.site.is_registered(model), model.__name__


def test_admin_pages_render_for_every_model(admin_client_with_design):
    from django.apps import apps

    for model in apps.get_app_config("designer").get_models():
        if not admin.site.is_registered(model):
            continue
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client_with_design.get(changelist).status_code == 200, changelist
        assert admin_client_with_design.get(changelist + "?q=orders").status_code == 200, changelist
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        # Read-only records (e.g. deploy runs) refuse the add page; everything else renders it.
        can_add = admin.site._registry[model].has_add_permission(_request_of(admin_client_with_design))
        assert admin_client_with_design.get(add).status_code == (200 if can_add else 403), add
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert admin_client_with_design.get(change).status_code == 200, change


def _request_of(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user(client)
    return request


def test_table_page_has_inline_fields_and_history(admin_client_with_design, shop):
    orders = shop["orders"]
    page = admin_client_with_design.get(reverse("admin:designer_datatable_change", args=[orders.pk]))
    assert b"customer_id" in page.content
    history = admin_client_with_design.get(reverse("admin:designer_datatable_history", args=[orders.pk]))
    assert history.status_code == 200
    assert b"olivia" in history.content


def test_admin_can_revert_a_field_through_history(admin_client_with_design, shop, owner):
    from designer.services import fields

    total = DataField.objects.get(table=shop["orders"], field_name="total")
    first = total.history.earliest()
    fields.update_field(total, actor=owner, field_name="amount")
    url = reverse("admin:designer_datafield_simple_history", args=[total.pk, first.history_id])
    assert admin_client_with_design.get(url).status_code == 200
    response = admin_client_with_design.post(
        url,
        {
            "table": shop["orders"].pk,
            "name": "total",
            "field_name": "total",
            "data_type": "number",
            "field_config": '{"kind": "decimal", "precision": 10, "scale": 2}',
            "default_value": "0.00",
            "description": "",
            "sort_order": 2,
            "is_required": "",
            "is_unique": "",
            "pk_position": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert DataField.objects.get(pk=total.pk).field_name == "total"


def test_admin_form_applies_the_design_rules(admin_client_with_design, shop):
    url = reverse("admin:designer_datatable_add")
    response = admin_client_with_design.post(
        url,
        {
            "project": shop["project"].pk,
            "name": "Bad",
            "table_name": "Bad Table",
            "status": "draft",
            "schema_definition": "{}",
            "position_x": 0,
            "position_y": 0,
            "fields-TOTAL_FORMS": 0,
            "fields-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "must start with a lowercase letter" in response.content.decode()
    assert not DataTable.objects.filter(table_name="Bad Table").exists()


def test_admin_refuses_a_relationship_across_projects(admin_client_with_design, shop, owner):
    from designer.services import fields, projects, tables

    other = projects.create_project(actor=owner, name="Other")
    foreign = tables.create_table(other, actor=owner, table_name="things")
    thing_id = fields.create_field(foreign, actor=owner, field_name="id", data_type="integer", primary_key=True)
    rel = shop["fk"]
    response = admin_client_with_design.post(
        reverse("admin:designer_tablerelationship_add"),
        {
            "project": shop["project"].pk,
            "source_table": foreign.pk,
            "source_field": thing_id.pk,
            "target_table": rel.target_table.pk,
            "target_field": rel.target_field.pk,
            "relationship_name": "cross_fk",
            "relationship_type": "one_to_many",
            "cascade_config": "{}",
            "status": "draft",
        },
    )
    assert response.status_code == 200
    assert "Relationships can only connect tables of the same project." in response.content.decode()
