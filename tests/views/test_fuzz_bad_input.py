"""Bad input never gets a server error: every unsafe endpoint of the table panel, fed garbage through the real
middleware on the real database, answers a 4xx that says what is wrong (422: beside the input) and changes
nothing — or does the edit.

Each example runs in a savepoint that is rolled back, so every example starts from the same design.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.forms import ACTIONS, TYPE_CHOICES
from designer.models import DataTable

from .fuzzing import Endpoint, assert_explained, form, one_of_ids, send_refusable

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))  # FUZZ_EXAMPLES=200 for a longer hunt
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def scene(shop, owner, make_user, locked):
    """The shop design with an index, a constraint and a composite-able table, plus another project's objects,
    and the owner's locks on both tables (taken the way the page does)."""
    from designer.services import fields, indexes, projects, tables

    with locked([], owner):
        orders, customers = shop["orders"], shop["customers"]
        total = orders.fields.get(field_name="total")
        index = indexes.create_index(orders, actor=owner, field_ids=[str(total.pk)])
        constraint = indexes.create_constraint(orders, actor=owner, kind="check", expression="total >= 0")
        stranger = make_user("sam")
        other = projects.create_project(actor=stranger, name="Elsewhere")
    with locked([], stranger):
        elsewhere = tables.create_table(other, actor=stranger, table_name="things")
        foreign_field = fields.create_field(elsewhere, actor=stranger, field_name="id", data_type="integer")
    return {
        **shop,
        "index": index,
        "constraint": constraint,
        "other_table": elsewhere,
        "other_field": foreign_field,
        "fields": {f.field_name: f for t in (orders, customers) for f in t.fields.all()},
    }


@pytest.fixture
def fuzz_client(client, owner, scene):
    client.force_login(owner)
    tokens = {}
    for table in (scene["orders"], scene["customers"]):
        response = client.post(f"/projects/{scene['project'].slug}/tables/{table.pk}/lock/")
        assert response.status_code == 200
        tokens[table.pk] = response.json()["token"]
    client.tokens = tokens
    return client


def _t(scene, draw, name="orders"):
    return draw(one_of_ids(scene[name].pk, scene["other_table"].pk))


def _f(scene, draw, name="total"):
    return draw(one_of_ids(scene["fields"][name].pk, scene["other_field"].pk, scene["fields"]["email"].pk))


def field_ids(scene) -> st.SearchStrategy:
    return st.sampled_from([str(f.pk) for f in scene["fields"].values()] + [str(scene["other_field"].pk)])


def field_spec(scene) -> dict:
    return {
        "field_name": st.sampled_from(["note", "id", "customer_id", "Note", "select", "x" * 70]),
        "name": None,
        "data_type": st.sampled_from([v for v, _ in TYPE_CHOICES] + ["string", "numeric", "enum", "serial"]),
        "max_length": st.sampled_from(["5", "0", "-3", "2147483648", "10485761", "1" * 30, "ten"]),
        "precision": st.sampled_from(["10", "0", "1001", "2147483648", "-1", "1e3", "1" * 30]),
        "scale": st.sampled_from(["2", "-1", "20", "2147483648", "1" * 30]),
        "choices": st.sampled_from(["a, b", "a, a", ",,,", "x" * 300, "\x00"]),
        "identity": st.sampled_from(["on", "1", "no"]),
        "is_required": st.sampled_from(["on", ""]),
        "is_unique": st.sampled_from(["on", ""]),
        "primary_key": st.sampled_from(["on", ""]),
        "default_value": st.sampled_from(["0", "1.5", "now()", "gen_random_uuid()", "'x'", "true", "1" * 40]),
        "description": None,
    }


def rel_spec(scene) -> dict:
    keys = field_ids(scene)
    actions = st.sampled_from([v for v, _ in ACTIONS])
    return {
        "source_field": keys,
        "target_field": keys,
        "field_name": st.sampled_from(["buyer_id", "customer_id", "total"]),
        "relationship_type": st.sampled_from(["one_to_one", "one_to_many", "many_to_many"]),
        "relationship_name": st.sampled_from(["fk_buyer", "select"]),
        "on_delete": actions,
        "on_update": actions,
        "is_required": st.sampled_from(["on", ""]),
    }


T = "/projects/{slug}/tables/{table}/"
ENDPOINTS = [
    Endpoint(
        "table-add",
        lambda s, d: f"/projects/{s['project'].slug}/tables/",
        lambda s: {
            "table_name": st.sampled_from(["invoices", "orders", "Bad Name"]),
            "description": None,
            "near_x": st.sampled_from(["10", "-5"]),
            "near_y": None,
        },
    ),  # fmt: skip
    Endpoint(
        "table-save",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)),
        lambda s: {"table_name": st.sampled_from(["purchases", "customers"]), "name": None, "description": None},
        table="orders",
    ),
    Endpoint(
        "table-status",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "status",
        lambda s: {"status": st.sampled_from(["draft", "active", "deprecated", "deleted"])},
        table="orders",
    ),
    Endpoint("table-delete", lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "delete", table="orders"),
    Endpoint(
        "table-move",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "move",
        lambda s: {"x": st.sampled_from(["10", "-40"]), "y": st.sampled_from(["7", "0"])},
        form=False,
    ),
    Endpoint(
        "field-add",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "fields/",
        field_spec,
        table="orders",
    ),
    Endpoint(
        "field-edit",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + f"fields/{_f(s, d)}/",
        field_spec,
        table="orders",
    ),
    Endpoint(
        "field-delete",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + f"fields/{_f(s, d, 'customer_id')}/delete",
        table="orders",
    ),
    Endpoint(
        "field-move",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + f"fields/{_f(s, d)}/move",
        lambda s: {"direction": st.sampled_from(["up", "down"])},
        table="orders",
    ),
    Endpoint(
        "relationship-add",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "relationships/",
        rel_spec,
        table="orders",
    ),
    Endpoint(
        "relationship-edit",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + f"relationships/{d(one_of_ids(s['fk'].pk))}/",
        rel_spec,
        table="orders",
    ),
    Endpoint(
        "relationship-delete",
        lambda s, d: (
            T.format(slug=s["project"].slug, table=_t(s, d)) + f"relationships/{d(one_of_ids(s['fk'].pk))}/delete"
        ),
        table="orders",
    ),
    Endpoint(
        "index-add",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "indexes/",
        lambda s: {
            "fields": field_ids(s),
            "name": st.sampled_from(["ix_total", "select"]),
            "is_unique": st.sampled_from(["on"]),
        },
        table="orders",
    ),  # fmt: skip
    Endpoint(
        "index-delete",
        lambda s, d: (
            T.format(slug=s["project"].slug, table=_t(s, d))
            + f"indexes/{d(one_of_ids(s['index'].pk, s['constraint'].pk))}/delete"
        ),
        table="orders",
    ),
    Endpoint(
        "constraint-add",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "constraints/",
        lambda s: {
            "kind": st.sampled_from(["unique", "check"]),
            "fields": field_ids(s),
            "expression": st.sampled_from(["total > 0", "total > (", "1/0"]),
            "name": None,
        },
        table="orders",
    ),  # fmt: skip
    Endpoint(
        "constraint-delete",
        lambda s, d: (
            T.format(slug=s["project"].slug, table=_t(s, d))
            + f"constraints/{d(one_of_ids(s['constraint'].pk, s['index'].pk))}/delete"
        ),
        table="orders",
    ),
    Endpoint(
        "primary-key",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "primary-key",
        lambda s: {"fields": field_ids(s), "pk_name": st.sampled_from(["orders_pkey", ""])},
        table="orders",
    ),
    Endpoint(
        "lock-acquire",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "lock/",
        lambda s: {
            "lock_type": st.sampled_from(["optimistic", "pessimistic", "critical"]),
            "reason": None,
            "lock_token": None,
        },
    ),  # fmt: skip
    Endpoint(
        "lock-renew",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "lock/renew/",
        lambda s: {"lock_token": st.sampled_from([str(t) for t in s["tokens"].values()])},
    ),
    Endpoint(
        "lock-release",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "lock/release/",
        lambda s: {"lock_token": st.sampled_from([str(t) for t in s["tokens"].values()])},
    ),
    Endpoint(
        "lock-force",
        lambda s, d: T.format(slug=s["project"].slug, table=_t(s, d)) + "lock/force/",
        lambda s: {"reason": None, "take": st.sampled_from(["1", "0"])},
    ),
]


def send(client, scene, endpoint: Endpoint, data, hx: bool):
    """POST (or GET) ``endpoint`` with a drawn form; a table write carries the owner's lock token and the
    table's current revision unless the drawn form brought its own (garbage) ones."""
    path = endpoint.path(scene, data.draw)
    body = data.draw(form(endpoint.spec(scene)), label="form")
    if endpoint.table is not None:
        table = scene[endpoint.table]
        revision = DataTable.objects.values_list("revision", flat=True).get(pk=table.pk)
        lock = {"lock_token": client.tokens[table.pk], "base_revision": str(revision)}
        lock = (
            data.draw(form({k: st.just(v) for k, v in lock.items()}), label="lock")
            if data.draw(st.integers(0, 9), label="odd lock") == 0
            else lock
        )
        body = {**lock, **body}
    return send_refusable(client, scene["project"], endpoint.method, path, body, data, hx), path


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@FUZZ
@given(data=st.data(), hx=st.booleans())
def test_panel_endpoint_answers_bad_input_with_a_message(fuzz_client, scene, endpoint, data, hx):
    scene = {**scene, "tokens": fuzz_client.tokens}
    response, path = send(fuzz_client, scene, endpoint, data, hx)
    assert_explained(response, f"{endpoint.name} {path}", form=endpoint.form)


@pytest.mark.parametrize("endpoint", ENDPOINTS[:8], ids=[e.name for e in ENDPOINTS[:8]])
@settings(FUZZ, max_examples=4)
@given(data=st.data())
def test_a_viewer_fuzzing_the_panel_is_refused_with_a_message(client, viewer, scene, endpoint, data):
    client.force_login(viewer)
    client.tokens = {scene["orders"].pk: "", scene["customers"].pk: ""}
    scene = {**scene, "tokens": client.tokens}
    response, path = send(client, scene, endpoint, data, hx=True)
    assert_explained(response, f"viewer {endpoint.name} {path}", form=endpoint.form)
    assert response.status_code >= 400, f"a viewer's {endpoint.name} went through"
