"""Editing through the side panel: every edit, and every refusal answered 422 with the message beside the input."""

from __future__ import annotations

import re

import pytest

from designer.models import DataField, DataTable, TableConstraint, TableIndex, TableRelationship

from .conftest import HX, hx_events, url

pytestmark = pytest.mark.django_db


def post(client, path, data):
    return client.post(path, data, **HX)


def error_beside(html: str, input_name: str) -> str:
    """The error list that follows the named input (what a user sees under the box they typed in)."""
    match = re.search(
        rf'name="{input_name}"[^>]*>(?:(?!<input|<select|<textarea).)*?<ul class="errorlist"[^>]*>(.*?)</ul>',
        html,
        re.S,
    )
    assert match, f"no error shown beside {input_name}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


# --- tables ---------------------------------------------------------------------------------------
def test_add_table_opens_it_in_the_panel_and_redraws_its_box(owner_client, project):
    response = post(owner_client, url(project, "tables/"), {"table_name": "invoices", "near_x": 500, "near_y": 300})
    assert response.status_code == 200
    table = DataTable.objects.get(project=project, table_name="invoices")
    assert 'id="table-panel"' in response.content.decode() and response["HX-Retarget"] == "#panel"
    events = hx_events(response)
    assert events["diagram-changed"]["tables"] == [str(table.pk)] and "tables-changed" in events
    assert (table.position_x, table.position_y) == (500, 300), "placed where the user is looking"


@pytest.mark.parametrize(
    ("name", "message"),
    [("Bad Name", "Table name"), ("select", "reserved"), ("", "Table name")],
)
def test_add_table_with_a_bad_name_is_refused_beside_the_input(owner_client, project, name, message):
    response = post(owner_client, url(project, "tables/"), {"table_name": name})
    assert response.status_code == 422
    html = response.content.decode()
    assert message.lower() in error_beside(html, "table_name").lower()
    assert f'value="{name}"' in html, "what the user typed is kept"


def test_add_table_with_a_duplicate_name_is_refused(owner_client, shop):
    response = post(owner_client, url(shop["project"], "tables/"), {"table_name": "orders"})
    assert response.status_code == 422
    assert "already exists" in error_beside(response.content.decode(), "table_name")


def test_rename_table_and_describe_it(owner_client, shop):
    orders = shop["orders"]
    response = post(
        owner_client, url(shop["project"], "tables", orders.pk, ""), {"table_name": "purchases", "description": "Buys"}
    )
    assert response.status_code == 200
    orders.refresh_from_db()
    assert (orders.table_name, orders.description) == ("purchases", "Buys")
    assert hx_events(response)["diagram-changed"]["tables"] == [str(orders.pk)]


def test_rename_table_to_an_existing_name_is_refused(owner_client, shop):
    response = post(owner_client, url(shop["project"], "tables", shop["orders"].pk, ""), {"table_name": "customers"})
    assert response.status_code == 422
    assert "already exists" in error_beside(response.content.decode(), "table_name")


def test_status_transitions_follow_the_lifecycle(owner_client, shop, owner, locked):
    from designer.services import tables

    orders = shop["orders"]
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "status"), {"status": "active"})
    assert response.status_code == 422
    assert "only by deploying" in response.content.decode()
    with locked([orders], owner):  # a deploy's move, done here by the service
        tables.transition_table(orders, actor=owner, status="active", by_deploy=True)
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "status"), {"status": "deprecated"})
    assert response.status_code == 200 and "Mark Deleted" in response.content.decode()
    orders.refresh_from_db()
    assert orders.status == "deprecated"


def test_editing_a_deployed_table_in_the_panel_returns_it_to_draft(owner_client, shop, owner, locked):
    from designer.services import tables

    orders = shop["orders"]
    with locked([orders], owner):
        tables.transition_table(orders, actor=owner, status="active", by_deploy=True)
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "fields/"), FIELD)
    assert response.status_code == 200, response.content.decode()[:500]
    orders.refresh_from_db()
    assert orders.status == "draft"


def test_a_deleted_table_refuses_edits_until_restored_to_draft(owner_client, shop, owner, locked):
    from designer.services import tables

    orders = shop["orders"]
    with locked([orders], owner):
        tables.transition_table(orders, actor=owner, status="active", by_deploy=True)
        tables.transition_table(orders, actor=owner, status="deprecated")
        tables.transition_table(orders, actor=owner, status="deleted")
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "fields/"), FIELD)
    assert response.status_code == 422
    assert "orders is Deleted; restore it to Draft first" in response.content.decode()
    assert not DataField.objects.filter(table=orders, field_name="note").exists()
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "status"), {"status": "draft"})
    assert response.status_code == 200
    assert post(owner_client, url(shop["project"], "tables", orders.pk, "fields/"), FIELD).status_code == 200
    assert DataField.objects.filter(table=orders, field_name="note").exists()


def test_delete_table_removes_box_and_its_relationships(owner_client, shop):
    orders = shop["orders"]
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "delete"), {})
    assert response.status_code == 200 and "orders_customer_id_fkey" in response.content.decode()
    assert not DataTable.objects.filter(pk=orders.pk).exists()
    assert hx_events(response)["diagram-changed"]["removed"] == [str(orders.pk)]


def test_drag_saves_the_position(owner_client, shop):
    orders = shop["orders"]
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "move"), {"x": "812", "y": "-40"})
    assert response.status_code == 204
    orders.refresh_from_db()
    assert (orders.position_x, orders.position_y) == (812, -40)
    bad = post(owner_client, url(shop["project"], "tables", orders.pk, "move"), {"x": "left", "y": "1"})
    assert bad.status_code == 422 and b"whole numbers" in bad.content


def test_viewer_cannot_edit_and_is_told_why(viewer_client, shop):
    response = post(viewer_client, url(shop["project"], "tables/"), {"table_name": "sneaky"})
    assert response.status_code == 403 and b"viewer" in response.content
    assert response["HX-Retarget"] == "#panel-alert"
    panel = viewer_client.get(url(shop["project"], "tables", shop["orders"].pk, ""), **HX).content.decode()
    assert '<fieldset class="panel-body" disabled>' in panel


# --- fields ---------------------------------------------------------------------------------------
FIELD = {"field_name": "note", "data_type": "varchar", "max_length": "80", "default_value": "", "description": ""}


def test_add_field_with_type_options(owner_client, shop):
    orders = shop["orders"]
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "fields/"), {**FIELD, "is_required": "on"})
    assert response.status_code == 200
    field = DataField.objects.get(table=orders, field_name="note")
    assert (field.data_type, field.field_config, field.is_required) == ("text", {"max_length": 80}, True)
    assert "varchar(80)" in response.content.decode()
    assert hx_events(response)["diagram-changed"]["tables"] == [str(orders.pk)]


@pytest.mark.parametrize(
    ("data", "input_name", "message"),
    [
        ({"field_name": "Bad Name"}, "field_name", "Field name"),
        ({"field_name": "customer_id"}, "field_name", "already has a field named"),
        ({"data_type": "integer", "default_value": "abc"}, "default_value", "not valid for a integer field"),
        ({"data_type": "decimal", "precision": "4", "scale": "6"}, "scale", "cannot exceed precision"),
        ({"data_type": "decimal", "scale": "2"}, "precision", "needs a precision"),
        ({"data_type": "decimal", "precision": "0"}, "precision", "precision must be between"),
        ({"data_type": "varchar", "max_length": "0"}, "max_length", "max_length must be between"),
        ({"data_type": "varchar", "max_length": "3", "choices": "a, long"}, "choices", "every choice must fit"),
        ({"data_type": "boolean", "default_value": "maybe"}, "default_value", "expected true or false"),
    ],
)
def test_add_field_refusals_show_beside_the_input(owner_client, shop, data, input_name, message):
    response = post(owner_client, url(shop["project"], "tables", shop["orders"].pk, "fields/"), {**FIELD, **data})
    assert response.status_code == 422
    html = response.content.decode()
    assert message in error_beside(html, input_name)
    assert f'value="{data.get("field_name", "note")}"' in html, "the typed field name is kept"


def test_scale_over_precision_is_shown_beside_scale_in_the_add_and_the_edit_form(owner_client, shop):
    orders = shop["orders"]
    bad = {**FIELD, "data_type": "decimal", "precision": "4", "scale": "6"}
    html = post(owner_client, url(shop["project"], "tables", orders.pk, "fields/"), bad).content.decode()
    scale = re.search(r'<input id="f-new-scale"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in scale and 'aria-describedby="f-new-scale-err"' in scale
    assert re.search(r'<ul class="errorlist" role="alert" id="f-new-scale-err"><li>decimal scale \(6\)', html)
    assert 'aria-invalid="true"' not in re.search(r'<input id="f-new-prec"[^>]*>', html).group(0)
    assert 'value="6"' in scale, "what the user typed is kept"

    total = DataField.objects.get(table=orders, field_name="total")
    edit = {"field_name": "total", "data_type": "decimal", "precision": "4", "scale": "6"}
    response = post(owner_client, url(shop["project"], "tables", orders.pk, "fields", total.pk, ""), edit)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'aria-describedby="f-{total.pk}-scale-err"' in html and f'id="f-{total.pk}-scale-err"' in html
    assert "cannot exceed precision" in error_beside(html, "scale")


def test_add_field_form_labels_of_the_contract_name_one_input_each(owner_client, shop):
    """get_by_label("Type") and the other contract names find one element in the Add field form."""
    html = owner_client.get(url(shop["project"], "tables", shop["orders"].pk, "")).content.decode()
    form = re.search(r'<form id="add-field".*?</form>', html, re.S).group(0)
    names = re.findall(r"<label[^>]*>(.*?)</label>", form, re.S) + re.findall(r'aria-label="([^"]*)"', form)
    names = [re.sub(r"<[^>]+>", "", n).strip() for n in names]
    for contract in ("Field name", "Type", "Required", "Default"):
        assert [n for n in names if contract.lower() in n.lower()] == [contract], names


def test_edit_field_renames_and_changes_type(owner_client, shop):
    total = DataField.objects.get(table=shop["orders"], field_name="total")
    path = url(shop["project"], "tables", shop["orders"].pk, "fields", total.pk, "")
    form = owner_client.get(path, **HX).content.decode()
    assert 'value="total"' in form and 'value="10"' in form
    response = post(
        owner_client,
        path,
        {"field_name": "amount", "data_type": "decimal", "precision": "12", "scale": "2", "default_value": "1.50"},
    )
    assert response.status_code == 200
    total.refresh_from_db()
    assert (total.field_name, total.field_config, total.default_value) == (
        "amount",
        {"kind": "decimal", "precision": 12, "scale": 2},
        "1.50",
    )
    assert 'id="field-' in response.content.decode() and "decimal(12,2)" in response.content.decode()


def test_edit_field_keeps_primary_key_required(owner_client, shop):
    key = DataField.objects.get(table=shop["orders"], field_name="id")
    path = url(shop["project"], "tables", shop["orders"].pk, "fields", key.pk, "")
    response = post(owner_client, path, {"field_name": "id", "data_type": "bigint", "primary_key": "on"})
    assert response.status_code == 422
    assert "must stay Required" in response.content.decode()


def test_making_a_foreign_key_required_that_closes_a_cycle_is_refused(owner_client, shop, owner, locked):
    from designer.services import fields, relationships

    customers = shop["customers"]
    with locked([], owner):
        last = fields.create_field(customers, actor=owner, field_name="last_order_id", data_type="bigint")
        order_id = DataField.objects.get(table=shop["orders"], field_name="id")
        relationships.create_relationship(shop["project"], actor=owner, source_field=order_id, target_field=last)
    path = url(shop["project"], "tables", customers.pk, "fields", last.pk, "")
    response = post(owner_client, path, {"field_name": "last_order_id", "data_type": "bigint", "is_required": "on"})
    assert response.status_code == 422
    assert "form a cycle" in response.content.decode()


def test_delete_field_used_by_a_relationship_is_refused(owner_client, shop):
    fk = DataField.objects.get(table=shop["orders"], field_name="customer_id")
    response = post(owner_client, url(shop["project"], "tables", shop["orders"].pk, "fields", fk.pk, "delete"), {})
    assert response.status_code == 422
    assert "Delete the relationship first" in response.content.decode()
    total = DataField.objects.get(table=shop["orders"], field_name="total")
    ok = post(owner_client, url(shop["project"], "tables", shop["orders"].pk, "fields", total.pk, "delete"), {})
    assert ok.status_code == 200 and not DataField.objects.filter(pk=total.pk).exists()


def test_reorder_fields_up_and_down(owner_client, shop):
    orders = shop["orders"]
    total = DataField.objects.get(table=orders, field_name="total")
    post(owner_client, url(shop["project"], "tables", orders.pk, "fields", total.pk, "move"), {"direction": "up"})
    names = list(orders.fields.order_by("sort_order").values_list("field_name", flat=True))
    assert names == ["id", "total", "customer_id"]


def test_reorder_refused_because_a_field_arrived_meanwhile_answers_422_with_the_message(
    owner_client, shop, monkeypatch
):
    """Someone adds a field between the move's read of the order and its write: the service refuses the stale
    order (ValidationError), and the user gets the fields section with the reason, not a server error."""
    from designer.services import fields as field_service

    orders = shop["orders"]
    total = DataField.objects.get(table=orders, field_name="total")
    real_reorder = field_service.reorder_fields

    def reorder_after_a_concurrent_add(table, **kwargs):
        DataField.objects.create(table=table, field_name="late_arrival", name="late_arrival", data_type="text")
        return real_reorder(table, **kwargs)

    monkeypatch.setattr(field_service, "reorder_fields", reorder_after_a_concurrent_add)
    response = post(
        owner_client, url(shop["project"], "tables", orders.pk, "fields", total.pk, "move"), {"direction": "up"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="fields-section"')
    row = re.search(rf'<li id="field-{total.pk}".*?</li>', html, re.S).group(0)
    assert "every field of the table exactly once" in row, "the message is beside the field that was moved"
    assert "late_arrival" in html, "the section shows the fields as they are now"
    names = list(
        orders.fields.exclude(field_name="late_arrival").order_by("sort_order").values_list("field_name", flat=True)
    )
    assert names == ["id", "customer_id", "total"], "nothing moved"


# --- lifecycle: Delete is a hard delete only for a Draft, never deployed table ------------------------
def _activate(table, owner, locked):
    from designer.services import tables

    with locked([table], owner):  # a deploy's move, done here by the service
        tables.transition_table(table, actor=owner, status="active", by_deploy=True)
    table.refresh_from_db()


def test_draft_table_panel_offers_delete(owner_client, shop):
    html = owner_client.get(url(shop["project"], "tables", shop["orders"].pk, "")).content.decode()
    form = re.search(r'<form id="table-form".*?</form>', html, re.S).group(0)
    assert ">Delete</button>" in form and "/delete" in form and "Deprecate" not in form


def test_active_table_is_deprecated_then_soft_deleted_from_the_panel_not_removed(owner_client, shop, owner, locked):
    project, orders = shop["project"], shop["orders"]
    _activate(orders, owner, locked)
    html = owner_client.get(url(project, "tables", orders.pk, "")).content.decode()
    form = re.search(r'<form id="table-form".*?</form>', html, re.S).group(0)
    assert ">Deprecate</button>" in form and "/delete" not in form, "no hard delete for an Active table"
    assert '"status": "deprecated"' in form

    refused = post(owner_client, url(project, "tables", orders.pk, "delete"), {})
    assert refused.status_code == 422
    assert "Deprecate it, then mark it Deleted" in refused.content.decode()
    assert DataTable.objects.filter(pk=orders.pk).exists()

    deprecated = post(owner_client, url(project, "tables", orders.pk, "status"), {"status": "deprecated"})
    assert deprecated.status_code == 200
    form = re.search(r'<form id="table-form".*?</form>', deprecated.content.decode(), re.S).group(0)
    assert '"status": "deleted"' in form and ">Delete</button>" in form and "/delete" not in form

    deleted = post(owner_client, url(project, "tables", orders.pk, "status"), {"status": "deleted"})
    assert deleted.status_code == 200
    orders.refresh_from_db()
    assert orders.status == "deleted", "soft deleted: still in the design, with its fields and relationships"
    assert orders.fields.count() == 3 and TableRelationship.objects.filter(target_table=orders).exists()
    assert hx_events(deleted)["diagram-changed"]["removed"] == [str(orders.pk)]


@pytest.mark.postgres
def test_deployed_table_back_in_draft_is_not_hard_deleted(owner_client, shop, owner, make_user, locked):
    """A Draft table that is deployed (edited after its deploy) keeps its lifecycle: no outright delete."""
    import psycopg
    from django.conf import settings
    from django.contrib.auth.models import Permission

    from designer.services import deploy as deploy_service
    from designer.services import tables
    from tests.pg_scratch import deploy_url, drop_schema_and_kept

    project, orders = shop["project"], shop["orders"]
    deployer = make_user("dora", staff=True)
    deployer.user_permissions.add(Permission.objects.get(codename="deploy_project"))
    deploy_url()

    def drop_target():
        with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
            drop_schema_and_kept(conn, deploy_service.schema_name(project))

    drop_target()
    try:
        run = deploy_service.deploy(project, actor=deployer)
        assert run.status == "succeeded", run.error or run.verification
        orders.refresh_from_db()
        assert orders.status == "active"
        with locked([orders], owner):
            tables.transition_table(orders, actor=owner, status="draft")
        orders.refresh_from_db()
        assert tables.is_deployed(orders) and orders.status == "draft"

        html = owner_client.get(url(project, "tables", orders.pk, "")).content.decode()
        form = re.search(r'<form id="table-form".*?</form>', html, re.S).group(0)
        assert "/delete" not in form and "orders is deployed" in form, "the panel says why there is no Delete"
        refused = post(owner_client, url(project, "tables", orders.pk, "delete"), {})
        assert refused.status_code == 422 and "orders is deployed" in refused.content.decode()
        assert DataTable.objects.filter(pk=orders.pk).exists()
    finally:
        drop_target()


# --- relationships --------------------------------------------------------------------------------
def test_add_relationship_creates_the_foreign_key_column(owner_client, shop, owner, locked):
    from designer.services import fields, tables

    project = shop["project"]
    with locked([], owner):
        reviews = tables.create_table(project, actor=owner, table_name="reviews")
        fields.create_field(reviews, actor=owner, field_name="id", data_type="integer", primary_key=True)
    customer_key = DataField.objects.get(table=shop["customers"], field_name="id")
    response = post(
        owner_client,
        url(project, "tables", reviews.pk, "relationships/"),
        {
            "source_field": customer_key.pk,
            "target_field": "",
            "field_name": "",
            "is_required": "on",
            "relationship_type": "one_to_many",
            "on_delete": "cascade",
            "on_update": "no_action",
        },
    )
    assert response.status_code == 200, response.content.decode()
    column = DataField.objects.get(table=reviews, field_name="customers_id")
    assert (column.data_type, column.field_config, column.is_required) == ("number", {"kind": "integer"}, True)
    rel = TableRelationship.objects.get(target_field=column)
    assert rel.source_field == customer_key and rel.on_delete == "cascade"
    assert set(hx_events(response)["diagram-changed"]["tables"]) == {str(shop["customers"].pk), str(reviews.pk)}


def test_add_relationship_between_projects_is_refused(owner_client, shop, owner, locked):
    from designer.services import fields, projects, tables

    other = projects.create_project(actor=owner, name="Other")
    with locked([], owner):
        stranger = tables.create_table(other, actor=owner, table_name="stranger")
        key = fields.create_field(stranger, actor=owner, field_name="id", data_type="integer", primary_key=True)
    response = post(
        owner_client,
        url(shop["project"], "tables", shop["orders"].pk, "relationships/"),
        {"source_field": key.pk, "field_name": "stranger_id", "relationship_type": "one_to_many"},
    )
    assert response.status_code == 422
    assert "belongs to another project" in error_beside(response.content.decode(), "source_field")
    assert not DataField.objects.filter(field_name="stranger_id").exists(), "the new column went with the refusal"


def test_add_required_relationship_closing_a_cycle_is_refused(owner_client, shop):
    order_key = DataField.objects.get(table=shop["orders"], field_name="id")
    response = post(
        owner_client,
        url(shop["project"], "tables", shop["customers"].pk, "relationships/"),
        {
            "source_field": order_key.pk,
            "field_name": "first_order_id",
            "is_required": "on",
            "relationship_type": "one_to_many",
        },
    )
    assert response.status_code == 422
    assert "form a cycle" in error_beside(response.content.decode(), "target_field")
    assert not DataField.objects.filter(field_name="first_order_id").exists()


def test_add_relationship_to_an_existing_column_of_another_type_is_refused(owner_client, shop):
    customer_key = DataField.objects.get(table=shop["customers"], field_name="id")
    total = DataField.objects.get(table=shop["orders"], field_name="total")
    response = post(
        owner_client,
        url(shop["project"], "tables", shop["orders"].pk, "relationships/"),
        {"source_field": customer_key.pk, "target_field": total.pk, "relationship_type": "one_to_many"},
    )
    assert response.status_code == 422
    assert "needs the same type" in error_beside(response.content.decode(), "target_field")


def test_many_to_many_generates_a_junction_table(owner_client, shop):
    customer_key = DataField.objects.get(table=shop["customers"], field_name="id")
    response = post(
        owner_client,
        url(shop["project"], "tables", shop["orders"].pk, "relationships/"),
        {"source_field": customer_key.pk, "relationship_type": "many_to_many"},
    )
    assert response.status_code == 200, response.content.decode()
    junction = DataTable.objects.get(project=shop["project"], table_name="customers_orders")
    assert junction.fields.filter(pk_position__isnull=False).count() == 2
    assert hx_events(response)["diagram-changed"]["full"] is True


def test_edit_relationship_actions_and_refuse_set_null_on_required(owner_client, shop):
    rel = shop["fk"]
    path = url(shop["project"], "tables", shop["orders"].pk, "relationships", rel.pk, "")
    response = post(
        owner_client,
        path,
        {"relationship_name": rel.relationship_name, "on_delete": "set_null", "on_update": "cascade"},
    )
    assert response.status_code == 422
    assert "ON DELETE SET NULL needs customer_id to be optional" in error_beside(response.content.decode(), "on_delete")
    ok = post(
        owner_client, path, {"relationship_name": "orders_customer_fk", "on_delete": "restrict", "on_update": "cascade"}
    )
    assert ok.status_code == 200
    rel.refresh_from_db()
    assert (rel.relationship_name, rel.on_delete, rel.on_update) == ("orders_customer_fk", "restrict", "cascade")


def test_delete_relationship(owner_client, shop):
    rel = shop["fk"]
    response = post(
        owner_client, url(shop["project"], "tables", shop["orders"].pk, "relationships", rel.pk, "delete"), {}
    )
    assert response.status_code == 200 and not TableRelationship.objects.filter(pk=rel.pk).exists()


# --- indexes, constraints, primary key --------------------------------------------------------------
def test_add_composite_unique_index_and_refuse_a_duplicate(owner_client, shop):
    orders = shop["orders"]
    ids = [str(f.pk) for f in orders.fields.filter(field_name__in=["customer_id", "total"]).order_by("sort_order")]
    path = url(shop["project"], "tables", orders.pk, "indexes/")
    response = post(owner_client, path, {"fields": ids, "is_unique": "on"})
    assert response.status_code == 200
    index = TableIndex.objects.get(table=orders)
    assert index.is_unique and index.name == "orders_customer_id_total_key"
    again = post(owner_client, path, {"fields": ids, "is_unique": "on"})
    assert again.status_code == 422 and "already covers" in again.content.decode()
    empty = post(owner_client, path, {"name": "x_idx"})
    assert empty.status_code == 422 and "Pick at least one field" in empty.content.decode()
    deleted = post(owner_client, url(shop["project"], "tables", orders.pk, "indexes", index.pk, "delete"), {})
    assert deleted.status_code == 200 and not TableIndex.objects.filter(pk=index.pk).exists()


def test_add_check_constraint_and_refuse_a_bad_expression(owner_client, shop):
    orders = shop["orders"]
    path = url(shop["project"], "tables", orders.pk, "constraints/")
    bad = post(owner_client, path, {"kind": "check", "expression": "totl >= 0"})
    assert bad.status_code == 422
    assert "totl" in error_beside(bad.content.decode(), "expression")
    assert 'value="totl &gt;= 0"' in bad.content.decode()
    ok = post(owner_client, path, {"kind": "check", "expression": "total >= 0", "name": "orders_total_positive"})
    assert ok.status_code == 200
    constraint = TableConstraint.objects.get(table=orders)
    assert constraint.expression == "total >= 0"
    unique = post(owner_client, path, {"kind": "unique", "fields": [str(orders.fields.get(field_name="total").pk)]})
    assert unique.status_code == 200 and orders.constraints.count() == 2


def test_composite_primary_key(owner_client, shop):
    orders = shop["orders"]
    ids = [str(f.pk) for f in orders.fields.filter(field_name__in=["id", "customer_id"])]
    response = post(
        owner_client, url(shop["project"], "tables", orders.pk, "primary-key"), {"fields": ids, "pk_name": ""}
    )
    assert response.status_code == 200
    assert list(
        orders.fields.filter(pk_position__isnull=False).order_by("pk_position").values_list("field_name", flat=True)
    ) == ["id", "customer_id"]
    bad = post(
        owner_client, url(shop["project"], "tables", orders.pk, "primary-key"), {"fields": ids, "pk_name": "Bad Name"}
    )
    assert bad.status_code == 422 and "Primary-key name" in error_beside(bad.content.decode(), "pk_name")


def test_a_field_edit_round_trip_stays_within_a_small_constant_number_of_queries(
    owner_client, shop, django_assert_max_num_queries
):
    """DESIGN §5: at most 10 statements of work. Session and user; the field with its table, project, the user's
    role and its FK marker (one query); in one transaction without savepoints: the lock guard (the table row
    joined to the caller's lock, both FOR UPDATE), the service's checks of a Required field (ON DELETE SET NULL,
    required cycles), the field UPDATE and its history row, the table's revision bump and its history row. The
    answer's X-Table-Revision is the bumped revision, known without reading it back."""
    total = DataField.objects.get(table=shop["orders"], field_name="total")
    path = url(shop["project"], "tables", shop["orders"].pk, "fields", total.pk, "")
    form = {"field_name": "total", "data_type": "decimal", "precision": "10", "scale": "2", "default_value": "0.00"}
    owner_client.get(path, **HX)
    with django_assert_max_num_queries(12) as captured:
        response = post(owner_client, path, {**form, "description": "Order total", "is_required": "on"})
    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    work = [s for s in statements if s not in ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")]
    # the test runs in its own transaction, so the edit's transaction is the one savepoint here
    assert len(work) <= 10 and statements.count("SAVEPOINT") <= 1, statements
    assert response["X-Table-Revision"] == str(DataTable.objects.get(pk=shop["orders"].pk).revision)
    assert 'data-field="total"' in response.content.decode()
    total.refresh_from_db()
    assert (total.description, total.is_required) == ("Order total", True)
