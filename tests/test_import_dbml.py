"""Reading DBML (dbdiagram.io) into a snapshot: every construct, what the model cannot hold, broken input."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from designer.importers import ImportSyntaxError
from designer.importers.dbml import read_dbml
from designer.importers.sql import read_sql
from designer.schema.snapshot import schema_hash, validate_snapshot
from tests.test_import_sql import field, table
from tests.test_import_sql import field_names as names_of

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def shop():
    return read_dbml((DATA / "every_construct.dbml").read_text())


def test_project_tables_notes_and_column_settings(shop):
    snap = shop.snapshot
    assert snap["project"]["name"] == "shop"
    assert snap["project"]["description"] == "A small shop"
    assert [t["table_name"] for t in snap["tables"]] == [
        "customers", "customers_products", "order_items", "orders", "products", "shipments",
    ]  # fmt: skip
    assert validate_snapshot(snap) == []
    customers = table(snap, "customers")
    assert customers["description"] == "People who buy"
    assert field(customers, "id")["config"] == {"kind": "integer", "identity": True}
    assert field(customers, "email") | {"id": None} == {
        "id": None, "name": "email", "field_name": "email", "data_type": "text", "config": {"max_length": 200},
        "required": True, "unique": True, "default": None, "description": "login",
    }  # fmt: skip
    defaults = {f["field_name"]: f["default"] for f in customers["fields"]}
    assert defaults == {
        "id": None, "email": None, "name": None, "score": "0", "is_vip": "false", "joined_at": "now()",
        "profile": None, "external_id": "gen_random_uuid()",
    }  # fmt: skip
    assert [f["data_type"] for f in customers["fields"]] == [
        "number",
        "text",
        "text",
        "number",
        "boolean",
        "date",
        "json",
        "uuid",
    ]


def test_enums_become_choices_and_indexes_keys_and_constraints_are_kept(shop):
    snap = shop.snapshot
    orders = table(snap, "orders")
    assert orders["description"] == "One purchase"
    assert field(orders, "status")["config"] == {"choices": ["pending", "shipped", "cancelled"]}
    assert field(orders, "status")["default"] == "pending"
    assert [(i["name"], names_of(orders, i["fields"]), i["unique"]) for i in orders["indexes"]] == [
        ("orders_customer_day_idx", ["customer_id", "placed_on"], False),
        ("orders_placed_on_uidx", ["placed_on"], True),
    ]
    assert [(c["name"], c["kind"], names_of(orders, c["fields"])) for c in orders["constraints"]] == [
        ("orders_customer_note_key", "unique", ["customer_id", "note"])
    ]
    items = table(snap, "order_items")
    assert items["primary_key"]["name"] == "order_items_pk"
    assert names_of(items, items["primary_key"]["fields"]) == ["order_id", "sku"]
    assert any("enum order_status" in n for n in shop.notes)


def test_refs_inline_named_one_to_one_and_self_reference(shop):
    rels = {r["name"]: r for r in shop.snapshot["relationships"]}
    assert set(rels) == {
        "order_items_order_fk", "order_items_sku_fkey", "orders_customer_id_fkey", "shipment_order",
        "shipments_manager_id_fkey", "customers_products", "customers_products_customers_id_fkey",
        "customers_products_products_sku_fkey",
    }  # fmt: skip
    assert (rels["order_items_order_fk"]["on_delete"], rels["order_items_order_fk"]["on_update"]) == (
        "cascade",
        "cascade",
    )
    assert rels["order_items_sku_fkey"]["on_delete"] == "restrict"
    assert rels["shipment_order"]["type"] == "one_to_one"
    assert rels["orders_customer_id_fkey"]["type"] == "one_to_many"
    shipments = table(shop.snapshot, "shipments")
    assert (
        rels["shipments_manager_id_fkey"]["source_table"]
        == rels["shipments_manager_id_fkey"]["target_table"]
        == shipments["id"]
    )
    assert rels["shipments_manager_id_fkey"]["on_delete"] == "set_null"
    products = table(shop.snapshot, "products")
    assert rels["order_items_sku_fkey"]["source_field"] == field(products, "sku")["id"]


def test_a_many_to_many_ref_gets_a_junction_table_as_the_designer_draws_it(shop):
    snap = shop.snapshot
    junction = table(snap, "customers_products")
    assert names_of(junction, junction["primary_key"]["fields"]) == ["customers_id", "products_sku"]
    assert [(f["data_type"], f["config"]) for f in junction["fields"]] == [
        ("number", {"kind": "integer"}),
        ("text", {"max_length": 40}),
    ]
    m2m = next(r for r in snap["relationships"] if r["type"] == "many_to_many")
    assert m2m["junction_table"] == junction["id"]
    assert (m2m["source_table"], m2m["target_table"]) == (table(snap, "customers")["id"], table(snap, "products")["id"])
    links = [r for r in snap["relationships"] if r["target_table"] == junction["id"]]
    assert sorted(r["type"] for r in links) == ["one_to_many", "one_to_many"]


def test_what_the_model_cannot_hold_is_named(shop):
    named = {(u.kind, u.name) for u in shop.unsupported}
    assert named == {
        ("expression index", "orders.orders_note_lower_idx"),
        ("index", "orders.orders_note_hash_idx"),
    }
    assert any("header colour #3498DB" in n for n in shop.notes)


def test_table_groups_and_sticky_notes_are_carried_to_the_canvas(shop):
    assert shop.groups == [{"name": "sales", "color": None, "tables": ["orders", "order_items"]}]
    assert shop.sticky_notes == [{"name": "welcome", "text": "Drawn with dbdiagram.io"}]
    coloured = read_dbml(
        "Table a {\n  id int\n}\nTable b {\n  id int\n}\n"
        "TableGroup \"Billing & tax\" [color: #1E7D3A] {\n  a\n  b\n  Note: 'money'\n}\n"
        "TableGroup short [color: #abc] {\n  b\n}\n"
    )
    assert coloured.groups == [
        {"name": "Billing & tax", "color": "#1e7d3a", "tables": ["a", "b"]},
        {"name": "short", "color": "#aabbcc", "tables": ["b"]},
    ]
    assert "table group Billing & tax: its note is not kept" in coloured.notes


@pytest.mark.django_db
def test_dbml_export_then_import_keeps_the_table_groups_and_notes(owner):
    from designer.exporters.dbml import to_dbml
    from designer.models import Project
    from designer.services.imports import apply_import, with_canvas
    from designer.services.snapshots import project_snapshot

    first = apply_import(read_dbml((DATA / "every_construct.dbml").read_text()), actor=owner, name="Shop A")
    group = first.table_groups.get()
    assert (group.name, sorted(t.table_name for t in group.tables.all())) == ("sales", ["order_items", "orders"])
    assert [n.text for n in first.notes.all()] == ["Drawn with dbdiagram.io"]
    group.color = "#c0392b"
    group.save()

    text = to_dbml(with_canvas(first, project_snapshot(first)))
    assert "TableGroup sales [color: #c0392b] {\n  order_items\n  orders\n}" in text
    assert "Note note_1 {\n  'Drawn with dbdiagram.io'\n}" in text
    again = apply_import(read_dbml(text), actor=owner, name="Shop B")
    assert schema_hash(project_snapshot(again)) == schema_hash(project_snapshot(first))
    (copy,) = Project.objects.get(pk=again.pk).table_groups.all()
    assert (copy.name, copy.color, sorted(t.table_name for t in copy.tables.all())) == (
        "sales",
        "#c0392b",
        ["order_items", "orders"],
    )
    assert [n.text for n in again.notes.all()] == ["Drawn with dbdiagram.io"]


def test_the_same_schema_from_dbml_and_from_sql_has_the_same_hash():
    dbml = read_dbml(
        """
        Enum mood {
          happy
          sad
        }
        Table author {
          id integer [pk, increment]
          name varchar(100) [not null, unique, note: 'Pen name']
          mood mood [default: 'happy']
          Note: 'Writers'
        }
        Table book {
          id bigint [pk]
          author_id integer [not null, ref: > author.id]
          price numeric(8,2) [default: 0]
          published timestamptz [default: `now()`]
          indexes {
            (author_id, price)
          }
        }
        """
    )
    sql = read_sql(
        """
        CREATE TYPE mood AS ENUM ('happy', 'sad');
        CREATE TABLE author (
            id serial PRIMARY KEY,
            name varchar(100) NOT NULL UNIQUE,
            mood mood DEFAULT 'happy'
        );
        COMMENT ON TABLE author IS 'Writers';
        COMMENT ON COLUMN author.name IS 'Pen name';
        CREATE TABLE book (
            id bigint PRIMARY KEY,
            author_id integer NOT NULL REFERENCES author (id),
            price numeric(8,2) DEFAULT 0,
            published timestamp with time zone DEFAULT now()
        );
        CREATE INDEX ON book (author_id, price);
        """
    )
    assert sql.snapshot["tables"] == dbml.snapshot["tables"]
    assert schema_hash(sql.snapshot) == schema_hash(dbml.snapshot)


@pytest.mark.parametrize(
    ("dbml", "line", "column", "message"),
    [
        ("Table users {\n  id int [pk\n}\n", 3, 1, "Expected ']'"),
        ("Table users {\n  id int [primary]\n}\n", 2, 11, "expected one of: not null, null, primary key, pk, unique"),
        (
            "Table users {\n  id int [pk]\n}\nTable posts {\n  user_id int [ref: > users.uid]\n}\n",
            5,
            None,
            "Column uid not present in table users",
        ),
        ("Table users {\n  id int [pk]\n}\nRef: posts.user_id > users.id\n", 4, None, "Table public.posts not present"),
        ("Table users {\n  id int\n}\n\nTable users {\n  id int\n}\n", 5, None, "defined only once"),
        ("Enum mood {\n  happy\n\nTable t {\n  id int\n}\n", 4, 9, "Expected end of line; found '{'"),
        (
            "Table a {\n  id int\n}\n\nTableGroup g {\n  a\n  zz\n}\n",
            7,
            None,
            "TableGroup g lists table zz, which is not defined in the file",
        ),
        (
            "Table a {\n  id int\n}\nTableGroup g {\n  a\n}\nTableGroup g {\n  a\n}\n",
            7,
            None,
            "TableGroup g is defined twice",
        ),
        (
            "Table a {\n  id int\n  Note: 'braces { in a note'\n  indexes {\n    id\n    (id, zz) [unique]\n  }\n}\n",
            6,
            None,
            "An index of table a names column zz, which the table does not have",
        ),
        (
            "Table users {\n  id int [default: now()]\n}\n",
            2,
            20,
            "found 'now()]'. A default is a number, 'quoted text'",
        ),
    ],
)
def test_broken_dbml_is_reported_with_line_and_what_is_wrong(dbml, line, column, message):
    with pytest.raises(ImportSyntaxError) as caught:
        read_dbml(dbml)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert error.messages[0].startswith(f"Line {line}")
    assert message in error.messages[0], error.messages[0]


def test_dbml_with_an_invalid_design_is_refused_with_the_rule():
    with pytest.raises(ValidationError) as caught:
        read_dbml(
            "Table a {\n  id int [pk]\n  b_id int [not null, ref: > b.id]\n}\n"
            "Table b {\n  id int [pk]\n  a_id int [not null, ref: > a.id]\n}\n"
        )
    assert "form a cycle" in " ".join(caught.value.messages)


def test_same_table_name_in_two_schemas_keeps_the_first_and_names_the_second():
    result = read_dbml("Table a.t {\n  id int [pk]\n}\nTable b.t {\n  id int [pk]\n  x int\n}\n")
    assert result.table_names == ["t"]
    assert [f["field_name"] for f in result.snapshot["tables"][0]["fields"]] == ["id"]
    assert [(u.kind, u.name) for u in result.unsupported] == [("table", "b.t")]
