"""The canonical snapshot: deterministic, hashed, and a lossless round trip through the two commands."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from designer.models import DataField, Project
from designer.schema.snapshot import canonicalize, dumps, loads, schema_hash, validate_snapshot
from designer.services import fields, tables
from designer.services.snapshots import import_snapshot, project_snapshot


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    """Not about locks: the owner's service writes take their table locks on demand (``locks.holding``)."""
    with locked([], owner):
        yield


def test_snapshot_describes_the_design(shop):
    snap = project_snapshot(shop["project"])
    assert [t["table_name"] for t in snap["tables"]] == ["customers", "orders"]
    orders = snap["tables"][1]
    assert [f["field_name"] for f in orders["fields"]] == ["id", "customer_id", "total"]
    assert orders["primary_key"] == {"name": "orders_pkey", "fields": [orders["fields"][0]["id"]]}
    total = orders["fields"][2]
    assert total["config"] == {"kind": "decimal", "precision": 10, "scale": 2}
    assert total["default"] == "0.00"
    (rel,) = snap["relationships"]
    assert rel["target_field"] == orders["fields"][1]["id"]
    assert rel["source_table"] == snap["tables"][0]["id"]
    assert rel["on_delete"] == "no_action"


def test_snapshot_is_deterministic_and_query_count_is_constant(shop, django_assert_num_queries):
    with django_assert_num_queries(7):
        first = project_snapshot(shop["project"])
    second = project_snapshot(shop["project"])
    assert dumps(first) == dumps(second)
    assert schema_hash(first) == schema_hash(second)
    # Key order and list order of the input do not matter.
    shuffled = json.loads(json.dumps(first))
    shuffled["tables"].reverse()
    assert schema_hash(shuffled) == schema_hash(first)


def test_hash_changes_with_the_schema_but_not_with_layout_or_project_name(shop, owner):
    project = shop["project"]
    before = schema_hash(project_snapshot(project))
    tables.move_table(shop["orders"], actor=owner, x=999, y=999)
    project.name = "Renamed shop"
    project.save()
    assert schema_hash(project_snapshot(project)) == before
    fields.create_field(shop["orders"], actor=owner, field_name="note", data_type="text")
    assert schema_hash(project_snapshot(project)) != before


def test_renames_keep_stable_ids(shop, owner):
    before = project_snapshot(shop["project"])
    tables.update_table(shop["orders"], actor=owner, table_name="purchases")
    after = project_snapshot(shop["project"])
    assert {t["id"] for t in before["tables"]} == {t["id"] for t in after["tables"]}


def test_export_import_round_trip_gives_the_same_hash(shop, tmp_path, owner):
    out = tmp_path / "shop.json"
    call_command("export_schema", shop["project"].slug, "-o", str(out))
    written = json.loads(out.read_text())
    assert written["schema_hash"] == schema_hash(project_snapshot(shop["project"]))
    call_command("import_schema", str(out), "--project", "Shop copy", "--user", owner.username)
    copy = Project.objects.get(name="Shop copy")
    assert schema_hash(project_snapshot(copy)) == written["schema_hash"]
    assert project_snapshot(copy)["layout"] == project_snapshot(shop["project"])["layout"]
    # The copy is a real design: it can be edited like any other.
    copied_orders = copy.tables.get(table_name="orders")
    fields.create_field(copied_orders, actor=owner, field_name="note", data_type="text")
    assert DataField.objects.filter(table__project=copy).count() == 6


def test_demo_round_trip(settings, owner, tmp_path):
    from designer.demo import build_demo_project

    settings.DEBUG = True
    demo = build_demo_project(owner)
    snap = project_snapshot(demo)
    text = dumps(snap)
    copy = import_snapshot(loads(text), actor=owner, name="Demo copy")
    copied = project_snapshot(copy)
    assert schema_hash(copied) == schema_hash(snap)
    assert {k: v for k, v in copied.items() if k != "project"} == {
        k: v for k, v in loads(text).items() if k != "project"
    }


def test_import_refuses_a_broken_design_and_writes_nothing(shop, owner):
    snap = project_snapshot(shop["project"])
    snap["tables"][0]["table_name"] = "Customers"
    snap["tables"][1]["fields"][2]["default"] = "lots"
    snap["relationships"][0]["source_field"] = "nope"
    count = Project.objects.count()
    with pytest.raises(ValidationError) as info:
        import_snapshot(snap, actor=owner, name="Broken")
    messages = info.value.messages
    assert any("Table name 'Customers' must start with a lowercase letter" in m for m in messages)
    assert any("Table orders, field total: Default 'lots'" in m for m in messages)
    assert any("source field 'nope' is not a field of that table" in m for m in messages)
    assert Project.objects.count() == count


def test_import_command_reports_broken_json_with_line(tmp_path, owner):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "format": 1,\n  "tables": [\n}\n')
    with pytest.raises(CommandError) as info:
        call_command("import_schema", str(bad), "--user", owner.username)
    assert "line 4" in str(info.value)


def test_a_file_edited_by_hand_under_its_schema_hash_is_refused_with_the_way_out(shop, tmp_path, owner):
    out = tmp_path / "shop.json"
    call_command("export_schema", shop["project"].slug, "-o", str(out))
    doc = json.loads(out.read_text())
    doc["tables"][0]["description"] = "edited in a text editor"
    actual = schema_hash({k: v for k, v in doc.items() if k != "schema_hash"})
    out.write_text(json.dumps(doc, indent=2))
    with pytest.raises(CommandError) as info:
        call_command("import_schema", str(out), "--project", "Hand edited", "--user", owner.username)
    message = str(info.value)
    assert "does not match its content" in message and "edited by hand" in message
    assert 'Remove the "schema_hash" line' in message and actual in message
    assert not Project.objects.filter(name="Hand edited").exists()
    del doc["schema_hash"]  # as the message says: without the hash it imports as it is now
    out.write_text(json.dumps(doc, indent=2))
    call_command("import_schema", str(out), "--project", "Hand edited", "--user", owner.username)
    assert schema_hash(project_snapshot(Project.objects.get(name="Hand edited"))) == actual


def test_loads_accepts_its_own_hash_and_refuses_any_other():
    text = dumps({"format": 1, "tables": [], "relationships": []})
    assert loads(text)["tables"] == []
    doc = json.loads(text)
    doc["schema_hash"] = "0" * 64
    with pytest.raises(ValidationError, match="does not match its content"):
        loads(json.dumps(doc))


def test_validate_snapshot_finds_required_cycles():
    snap = canonicalize(
        {
            "tables": [
                {
                    "id": "a",
                    "table_name": "a",
                    "fields": [
                        {"id": "a1", "field_name": "id", "data_type": "integer", "required": True},
                        {"id": "a2", "field_name": "b_id", "data_type": "integer", "required": True},
                    ],
                },
                {
                    "id": "b",
                    "table_name": "b",
                    "fields": [
                        {"id": "b1", "field_name": "id", "data_type": "integer", "required": True},
                        {"id": "b2", "field_name": "a_id", "data_type": "integer", "required": True},
                    ],
                },
            ],
            "relationships": [
                {
                    "id": "r1",
                    "name": "a_b_fk",
                    "source_table": "b",
                    "source_field": "b1",
                    "target_table": "a",
                    "target_field": "a2",
                },
                {
                    "id": "r2",
                    "name": "b_a_fk",
                    "source_table": "a",
                    "source_field": "a1",
                    "target_table": "b",
                    "target_field": "b2",
                },
            ],
        }
    )
    assert any("a → b → a" in m for m in validate_snapshot(snap))


def test_validate_snapshot_finds_relation_name_clashes(shop):
    snap = project_snapshot(shop["project"])
    snap["tables"][1]["indexes"].append(
        {"id": "i1", "name": "customers", "fields": [snap["tables"][1]["fields"][0]["id"]], "unique": False}
    )
    assert any(
        "'customers' is used by table customers and index customers of orders" in m for m in validate_snapshot(snap)
    )
