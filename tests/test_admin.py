"""The admin shows every model, with filters, search, inline fields and history."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.contrib.auth import get_user
from django.urls import reverse

from designer.models import DataField, DataTable, Project


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


def test_admin_can_revert_a_field_through_history(admin_client_with_design, shop, owner, locked):
    from designer.services import fields

    total = DataField.objects.get(table=shop["orders"], field_name="total")
    first = total.history.earliest()
    with locked([], owner):  # the owner's edit, lock given back after it
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


def test_admin_refuses_a_relationship_across_projects(admin_client_with_design, shop, owner, locked):
    from designer.services import fields, projects, tables

    other = projects.create_project(actor=owner, name="Other")
    with locked([], owner):
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


# --- admin writes go through the services ---------------------------------------------------------------------
INLINE_INPUTS = ["sort_order", "field_name", "name", "data_type", "is_required", "is_unique", "pk_position"]


def _table_form(table, *, fields: dict | None = None, extra: list | None = None, **overrides) -> dict:
    """The table's admin change form as the page posts it (with the inline fields), plus ``overrides``.

    ``fields`` maps a field name to changes of its inline row (``{"DELETE": "on"}`` deletes it); ``extra`` are new rows.
    """
    table.refresh_from_db()
    data = {
        "name": table.name,
        "table_name": table.table_name,
        "description": table.description,
        "status": table.status,
        "pk_name": table.pk_name,
        "position_x": table.position_x,
        "position_y": table.position_y,
        "base_revision": table.revision,
    }
    data.update(overrides)
    rows = []
    for field in DataField.objects.filter(table=table).order_by("sort_order"):
        row = {"id": str(field.pk), "table": str(table.pk), "field_config": json.dumps(field.field_config)}
        row.update({k: getattr(field, k) for k in INLINE_INPUTS})
        row["default_value"] = field.default_value or ""
        row.update((fields or {}).get(field.field_name, {}))
        rows.append(row)
    initial = len(rows)
    for new in extra or []:
        rows.append({"table": str(table.pk), "field_config": "{}", "sort_order": 0, "default_value": "", **new})
    for i, row in enumerate(rows):
        for key, value in row.items():
            if isinstance(value, bool):
                if value:
                    data[f"fields-{i}-{key}"] = "on"
            else:
                data[f"fields-{i}-{key}"] = "" if value is None else value
    data.update({"fields-TOTAL_FORMS": len(rows), "fields-INITIAL_FORMS": initial})
    data.update({"fields-MIN_NUM_FORMS": 0, "fields-MAX_NUM_FORMS": 1000})
    return data


def _change_table(client, table, **kwargs):
    return client.post(reverse("admin:designer_datatable_change", args=[table.pk]), _table_form(table, **kwargs))


def _saved(response) -> bool:
    return response.status_code == 302


def test_staff_renaming_a_field_to_a_reserved_word_in_the_table_page_sees_the_error(admin_client_with_design, shop):
    orders = shop["orders"]
    response = _change_table(admin_client_with_design, orders, fields={"total": {"field_name": "select"}})
    assert response.status_code == 200
    assert "&#x27;select&#x27; is a PostgreSQL reserved word" in response.content.decode()
    assert DataField.objects.filter(table=orders, field_name="total").exists()


def test_staff_cannot_set_a_draft_table_to_active_in_the_admin(admin_client_with_design, shop):
    orders = shop["orders"]
    revision = orders.revision
    response = _change_table(admin_client_with_design, orders, status="active")
    assert response.status_code == 200
    assert "becomes Active only by deploying the project" in response.content.decode()
    orders.refresh_from_db()
    assert (orders.status, orders.revision) == ("draft", revision)


def test_an_admin_rename_bumps_the_revision_names_the_staff_member_and_returns_an_active_table_to_draft(
    admin_client_with_design, shop, owner, locked
):
    from designer.services import tables

    orders = shop["orders"]
    with locked([orders], owner):
        tables.transition_table(orders, actor=owner, status="active", by_deploy=True)
    orders.refresh_from_db()
    revision = orders.revision
    response = _change_table(admin_client_with_design, orders, table_name="purchases")
    assert _saved(response), response.content.decode()[-3000:]
    orders.refresh_from_db()
    assert (orders.table_name, orders.status, orders.revision) == ("purchases", "draft", revision + 1)
    assert orders.history.latest().history_user.username == "admin"


def test_staff_add_change_and_delete_fields_in_the_table_inline(admin_client_with_design, shop):
    orders = shop["orders"]
    new = {"field_name": "placed_at", "name": "placed_at", "data_type": "date", "field_config": '{"kind": "date"}'}
    response = _change_table(
        admin_client_with_design,
        orders,
        fields={"total": {"DELETE": True}, "customer_id": {"name": "Customer"}},
        extra=[{**new, "default_value": "current_date", "is_required": True}],
    )
    assert _saved(response), response.content.decode()[-3000:]
    by_name = {f.field_name: f for f in DataField.objects.filter(table=orders)}
    assert set(by_name) == {"id", "customer_id", "placed_at"}
    assert by_name["customer_id"].name == "Customer"
    assert (by_name["placed_at"].default_value, by_name["placed_at"].is_required) == ("current_date", True)
    assert by_name["placed_at"].sort_order == max(f.sort_order for f in by_name.values()), "appended"


def test_a_service_rule_the_form_does_not_know_is_shown_beside_the_inline_row(admin_client_with_design, shop):
    """Deleting a field a relationship uses is refused by the field service; the message shows, nothing changes."""
    orders = shop["orders"]
    response = _change_table(admin_client_with_design, orders, fields={"customer_id": {"DELETE": True}})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is used by relationship orders_customer_id_fkey" in html
    assert "Nothing was saved" in html
    assert DataField.objects.filter(table=orders, field_name="customer_id").exists()


def test_an_admin_edit_of_a_table_someone_else_has_locked_is_refused(admin_client_with_design, shop, editor):
    from designer.services import locks

    orders = shop["orders"]
    locks.acquire(orders, actor=editor)
    response = _change_table(admin_client_with_design, orders, description="changed by staff")
    assert response.status_code == 200
    assert "orders is locked by eddie until" in response.content.decode()
    orders.refresh_from_db()
    assert orders.description == ""
    response = admin_client_with_design.post(
        reverse("admin:designer_datatable_delete", args=[orders.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert "Not deleted: orders is locked by eddie" in _messages(admin_client_with_design, response)
    assert DataTable.objects.filter(pk=orders.pk).exists()


def test_an_admin_save_based_on_an_old_revision_is_refused(admin_client_with_design, shop):
    orders = shop["orders"]
    stale = _table_form(orders, description="mine")
    orders.revision += 1
    DataTable.objects.filter(pk=orders.pk).update(revision=orders.revision)  # someone saved meanwhile
    response = admin_client_with_design.post(reverse("admin:designer_datatable_change", args=[orders.pk]), stale)
    assert response.status_code == 200
    assert "changed since you loaded it" in response.content.decode()
    orders.refresh_from_db()
    assert orders.description == ""


def test_a_check_constraint_added_in_the_admin_is_validated_by_the_service(admin_client_with_design, shop):
    from designer.models import TableConstraint

    orders = shop["orders"]
    url = reverse("admin:designer_tableconstraint_add")
    form = {"table": orders.pk, "name": "orders_total_check", "kind": "check", "columns-TOTAL_FORMS": 0}
    form.update({"columns-INITIAL_FORMS": 0, "columns-MIN_NUM_FORMS": 0, "columns-MAX_NUM_FORMS": 1000})
    response = admin_client_with_design.post(url, {**form, "expression": "nonsense > 0"})
    assert response.status_code == 200
    assert "nonsense" in response.content.decode()
    assert not TableConstraint.objects.filter(table=orders).exists()
    revision = DataTable.objects.get(pk=orders.pk).revision
    assert _saved(admin_client_with_design.post(url, {**form, "expression": "total >= 0"}))
    assert TableConstraint.objects.get(table=orders).expression == "total >= 0"
    assert DataTable.objects.get(pk=orders.pk).revision == revision + 1


def test_a_relationship_added_in_the_admin_goes_through_the_cycle_check(admin_client_with_design, shop, owner, locked):
    """orders.customer_id → customers is required; a required customers.last_order_id → orders closes a cycle."""
    from designer.services import fields

    customers, orders = shop["customers"], shop["orders"]
    with locked([], owner):
        last = fields.create_field(
            customers, actor=owner, field_name="last_order_id", data_type="bigint", is_required=True
        )
    order_id = DataField.objects.get(table=orders, field_name="id")
    response = admin_client_with_design.post(
        reverse("admin:designer_tablerelationship_add"),
        {
            "project": shop["project"].pk,
            "source_table": orders.pk,
            "source_field": order_id.pk,
            "target_table": customers.pk,
            "target_field": last.pk,
            "relationship_name": "customers_last_order_fkey",
            "relationship_type": "one_to_many",
            "cascade_config": "{}",
        },
    )
    assert response.status_code == 200
    assert "form a cycle" in response.content.decode()


def test_schema_versions_are_read_only_in_the_admin(admin_client_with_design, shop, owner):
    from designer.models import SchemaVersion
    from designer.services import versions

    version = versions.save_version(shop["project"], actor=owner, message="first")
    assert admin_client_with_design.get(reverse("admin:designer_schemaversion_add")).status_code == 403
    change = reverse("admin:designer_schemaversion_change", args=[version.pk])
    page = admin_client_with_design.get(change)
    assert page.status_code == 200 and b'name="schema_hash"' not in page.content
    assert admin_client_with_design.post(change, {"schema_hash": "0" * 64}).status_code == 403
    assert SchemaVersion.objects.get(pk=version.pk).schema_hash == version.schema_hash


def test_the_force_release_action_frees_the_lock_and_history_names_who(admin_client_with_design, shop, editor):
    from designer.models import TableLock
    from designer.services import locks

    lock = locks.acquire(shop["orders"], actor=editor, lock_type="pessimistic", reason="splitting it")
    changelist = reverse("admin:designer_tablelock_changelist")
    assert admin_client_with_design.get(reverse("admin:designer_tablelock_add")).status_code == 403
    response = admin_client_with_design.post(
        changelist, {"action": "force_release_selected", "_selected_action": [str(lock.pk)]}
    )
    assert response.status_code == 302
    assert "Released the lock on orders (held by eddie)" in _messages(admin_client_with_design, response)
    lock.refresh_from_db()
    assert (lock.release_reason, lock.released_by.username) == ("forced", "admin")
    last = TableLock.history.filter(id=lock.pk).latest()
    assert last.history_user.username == "admin"
    assert "admin" in last.history_change_reason
    assert locks.active_lock(shop["orders"]) is None


def test_a_lock_cannot_be_reverted_through_its_history(admin_client_with_design, shop, editor, owner):
    from designer.models import TableLock
    from designer.services import locks

    lock = locks.acquire(shop["orders"], actor=editor)
    locks.force_release(shop["orders"], actor=owner)  # recorded in the lock's history
    first = TableLock.history.filter(id=lock.pk).earliest()
    url = reverse("admin:designer_tablelock_simple_history", args=[lock.pk, first.history_id])
    assert admin_client_with_design.get(url).status_code == 200
    response = admin_client_with_design.post(
        url, {"table": shop["orders"].pk, "user": editor.pk, "lock_type": "critical"}
    )
    assert response.status_code == 403
    lock.refresh_from_db()
    assert (lock.lock_type, lock.release_reason) == ("optimistic", "forced")


def test_presence_admin_can_be_searched(admin_client_with_design, owner, shop):
    from django.utils import timezone

    from designer.models import Presence

    Presence.objects.create(user=owner, project=shop["project"], seen_at=timezone.now())
    changelist = reverse("admin:designer_presence_changelist")
    assert admin_client_with_design.get(changelist + "?q=olivia").context["cl"].result_count == 1
    assert admin_client_with_design.get(changelist + "?q=nobody").context["cl"].result_count == 0


def test_deleting_selected_tables_is_all_or_nothing_when_one_is_locked(admin_client_with_design, shop, editor):
    from designer.services import locks

    locks.acquire(shop["orders"], actor=editor)
    response = admin_client_with_design.post(
        reverse("admin:designer_datatable_changelist"),
        {"action": "delete_selected", "post": "yes", "_selected_action": [shop["customers"].pk, shop["orders"].pk]},
    )
    assert response.status_code == 302
    assert "Nothing was deleted" in _messages(admin_client_with_design, response)
    assert DataTable.objects.filter(project=shop["project"]).count() == 2


def _messages(client, response) -> str:
    return client.get(response["Location"]).content.decode()


def test_staff_add_a_table_with_fields_in_the_admin(admin_client_with_design, shop):
    form = {"project": shop["project"].pk, "name": "invoices", "table_name": "invoices", "status": "draft"}
    form.update({"description": "", "pk_name": "", "position_x": 40, "position_y": 80})
    form.update({"fields-TOTAL_FORMS": 1, "fields-INITIAL_FORMS": 0, "fields-MIN_NUM_FORMS": 0})
    row = {"field_name": "id", "name": "id", "data_type": "number", "field_config": '{"kind": "bigint"}'}
    row.update({"is_required": "on", "pk_position": 1, "sort_order": 0, "default_value": ""})
    form.update({f"fields-0-{k}": v for k, v in row.items()})
    url = reverse("admin:designer_datatable_add")
    response = admin_client_with_design.post(url, form)
    assert _saved(response), response.content.decode()[-3000:]
    invoices = DataTable.objects.get(project=shop["project"], table_name="invoices")
    assert (invoices.position_x, invoices.position_y, invoices.created_by.username) == (40, 80, "admin")
    key = DataField.objects.get(table=invoices)
    assert (key.field_name, key.pk_position, key.field_config) == ("id", 1, {"kind": "bigint"})
    refused = admin_client_with_design.post(url, {**form, "table_name": "bills", "name": "bills", "status": "active"})
    assert refused.status_code == 200 and "A new table starts as Draft" in refused.content.decode()
    assert not DataTable.objects.filter(table_name="bills").exists()


def test_reverting_a_table_through_its_history_goes_through_the_service(admin_client_with_design, shop, owner, locked):
    from designer.services import tables

    orders = shop["orders"]
    first = orders.history.earliest()
    with locked([], owner):
        tables.update_table(orders, actor=owner, table_name="purchases", description="renamed")
    orders.refresh_from_db()
    revision = orders.revision
    url = reverse("admin:designer_datatable_simple_history", args=[orders.pk, first.history_id])
    page = admin_client_with_design.get(url)
    assert page.status_code == 200
    form = {"name": "orders", "table_name": "orders", "description": "", "status": "draft", "pk_name": ""}
    form.update({"position_x": orders.position_x, "position_y": orders.position_y, "base_revision": revision})
    response = admin_client_with_design.post(url, form)
    assert _saved(response), response.content.decode()[-3000:]
    orders.refresh_from_db()
    assert (orders.table_name, orders.description, orders.revision) == ("orders", "", revision + 1)
    assert orders.history.latest().history_user.username == "admin"


def test_a_relationship_with_a_malformed_cascade_configuration_is_refused_on_the_form(admin_client_with_design, shop):
    rel = shop["fk"]
    response = admin_client_with_design.post(
        reverse("admin:designer_tablerelationship_add"),
        {
            "project": shop["project"].pk,
            "source_table": rel.source_table.pk,
            "source_field": rel.source_field.pk,
            "target_table": rel.target_table.pk,
            "target_field": rel.target_field.pk,
            "relationship_name": "second_fk",
            "relationship_type": "one_to_many",
            "cascade_config": '["cascade"]',
        },
    )
    assert response.status_code == 200
    assert "Cascade configuration must be an object" in response.content.decode()


# --- projects and members: through the project service ------------------------------------------------------------
def _project_form(project, memberships, **overrides) -> dict:
    data = {"name": project.name, "description": project.description, "owner": project.owner_id}
    data.update({"is_active": "on"} if project.is_active else {})
    data.update(overrides)
    for i, (membership, changes) in enumerate(memberships):
        row = {"id": membership.pk, "project": project.pk, "user": membership.user_id, "role": membership.role}
        row.update(changes)
        data.update({f"memberships-{i}-{k}": v for k, v in row.items()})
    data.update({"memberships-TOTAL_FORMS": len(memberships), "memberships-INITIAL_FORMS": len(memberships)})
    data.update({"memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000})
    return data


def test_demoting_the_only_owner_in_the_project_admin_is_refused(admin_client_with_design, shop, owner):
    from designer.models import ProjectMembership

    project = shop["project"]
    rows = [
        (m, {"role": "editor"} if m.user == owner else {}) for m in ProjectMembership.objects.filter(project=project)
    ]
    response = admin_client_with_design.post(
        reverse("admin:designer_project_change", args=[project.pk]), _project_form(project, rows)
    )
    assert response.status_code == 200
    assert "A project needs at least one owner" in response.content.decode()
    assert ProjectMembership.objects.get(project=project, user=owner).role == "owner"


def test_naming_another_owner_in_the_project_admin_makes_them_an_owner_member(admin_client_with_design, shop, editor):
    from designer.models import ProjectMembership

    project = shop["project"]
    rows = [(m, {}) for m in ProjectMembership.objects.filter(project=project)]
    response = admin_client_with_design.post(
        reverse("admin:designer_project_change", args=[project.pk]), _project_form(project, rows, owner=editor.pk)
    )
    assert _saved(response), response.content.decode()[-3000:]
    project.refresh_from_db()
    assert project.owner == editor
    assert ProjectMembership.objects.get(project=project, user=editor).role == "owner"


def test_demoting_the_named_owner_in_the_membership_admin_hands_the_project_over(
    admin_client_with_design, shop, owner, editor
):
    from designer.models import ProjectMembership
    from designer.services import projects

    project = shop["project"]
    projects.set_member(project, actor=owner, username=editor.username, role="owner")
    mine = ProjectMembership.objects.get(project=project, user=owner)
    response = admin_client_with_design.post(
        reverse("admin:designer_projectmembership_change", args=[mine.pk]), {"role": "viewer"}
    )
    assert _saved(response), response.content.decode()[-3000:]
    project.refresh_from_db()
    assert (project.owner, ProjectMembership.objects.get(pk=mine.pk).role) == (editor, "viewer")


def test_a_project_added_in_the_admin_has_its_owner_as_owner_member(admin_client_with_design, editor):
    from designer.models import ProjectMembership

    form = {"name": "Warehouse", "slug": "warehouse", "description": "", "owner": editor.pk, "is_active": "on"}
    form.update({"memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0})
    response = admin_client_with_design.post(reverse("admin:designer_project_add"), form)
    assert _saved(response), response.content.decode()[-3000:]
    project = Project.objects.get(slug="warehouse")
    assert project.owner == editor
    assert ProjectMembership.objects.get(project=project, user=editor).role == "owner"
