"""Bad input never gets a server error, beyond the table panel: projects and members, groups and notes,
versions, imports, deploys, exports, and every page read with odd query strings — through the real middleware
on the real database. A refusal says what is wrong and changes nothing.

Each example runs in a savepoint that is rolled back, so every example starts from the same design.
"""

from __future__ import annotations

import os
import re

import psycopg
import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.exporters import FORMATS
from designer.importers import formats

from .fuzzing import HX, Endpoint, assert_explained, form, garbage, one_of_ids, send_refusable, undone

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def scene(shop, owner, make_user, locked):
    """The shop design with a group, a note and a saved version; another project with its own group and note;
    the owner may deploy (the deploy schema is dropped afterwards)."""
    from django.contrib.auth.models import Permission

    from designer.services import layout, projects, versions
    from designer.services.deploy import schema_name

    project = shop["project"]
    owner.user_permissions.add(Permission.objects.get(codename="deploy_project"))
    group = layout.create_group(project, actor=owner, name="Sales", table_ids=[str(shop["orders"].pk)])
    sticky = layout.create_note(project, actor=owner, text="Remember the VAT")
    versions.save_version(project, actor=owner, message="first")
    stranger = make_user("sam")
    other = projects.create_project(actor=stranger, name="Elsewhere")
    yield {
        **shop,
        "group": group,
        "note": sticky,
        "other_group": layout.create_group(other, actor=stranger, name="Theirs"),
        "other_note": layout.create_note(other, actor=stranger, text="theirs"),
        "other": other,
    }
    from tests.pg_scratch import drop_schema_and_kept

    if django_settings.DEPLOY_DATABASE_URL.startswith("postgres"):
        with psycopg.connect(django_settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
            drop_schema_and_kept(conn, schema_name(project))


@pytest.fixture
def owner_client(client, owner, scene):
    client.force_login(owner)
    return client


P = "/projects/{slug}/"


def _p(scene, draw) -> str:
    """Mostly the own project, sometimes another's (404) or none at all."""
    slug = draw(st.sampled_from([scene["project"].slug] * 4 + [scene["other"].slug, "no-such-project"]))
    return P.format(slug=slug)


def _own(scene) -> str:
    return P.format(slug=scene["project"].slug)


tables = lambda s: st.sampled_from([str(s["orders"].pk), str(s["customers"].pk), "nope"])  # noqa: E731
colors = st.sampled_from(["#ffcc00", "red", "#zzzzzz", "#fff"])
numbers = st.sampled_from(["10", "-40", "0", "12.5"])
ENDPOINTS = [
    Endpoint("project-create", lambda s, d: "/", lambda s: {"name": st.just("Warehouse"), "description": None}),
    Endpoint(
        "project-update",
        lambda s, d: _p(s, d) + "settings/update",
        lambda s: {"name": st.sampled_from(["Shop 2", "Elsewhere"]), "description": None},
    ),
    Endpoint("project-archive", lambda s, d: _p(s, d) + "settings/archive", lambda s: {"archived": st.just("1")}),
    Endpoint(
        "member-set",
        lambda s, d: _p(s, d) + "settings/members",
        lambda s: {
            "username": st.sampled_from(["eddie", "sam", "olivia"]),
            "role": st.sampled_from(["owner", "editor", "viewer"]),
        },
    ),  # fmt: skip
    Endpoint(
        "member-remove",
        lambda s, d: _p(s, d) + "settings/members/remove",
        lambda s: {"username": st.sampled_from(["eddie", "olivia", "sam"])},
    ),
    Endpoint("arrange", lambda s, d: _p(s, d) + "arrange"),
    Endpoint(
        "group-create",
        lambda s, d: _p(s, d) + "groups/",
        lambda s: {"name": st.sampled_from(["Billing", "Sales"]), "color": colors, "tables": tables(s)},
    ),
    Endpoint(
        "group-edit",
        lambda s, d: _own(s) + f"groups/{d(one_of_ids(s['group'].pk, s['other_group'].pk))}/",
        lambda s: {"name": st.sampled_from(["Billing"]), "color": colors, "tables": tables(s)},
    ),
    Endpoint(
        "group-delete", lambda s, d: _own(s) + f"groups/{d(one_of_ids(s['group'].pk, s['other_group'].pk))}/delete"
    ),
    Endpoint(
        "group-move",
        lambda s, d: _own(s) + f"groups/{d(one_of_ids(s['group'].pk, s['other_group'].pk))}/move",
        lambda s: {"dx": numbers, "dy": numbers},
        form=False,
    ),
    Endpoint(
        "note-create",
        lambda s, d: _p(s, d) + "notes/",
        lambda s: {"text": st.just("Check totals"), "color": colors, "x": numbers, "y": numbers},
    ),
    Endpoint(
        "note-edit",
        lambda s, d: _own(s) + f"notes/{d(one_of_ids(s['note'].pk, s['other_note'].pk))}/",
        lambda s: {"text": st.just("Check totals"), "color": colors},
    ),
    Endpoint("note-delete", lambda s, d: _own(s) + f"notes/{d(one_of_ids(s['note'].pk, s['other_note'].pk))}/delete"),
    Endpoint(
        "note-move",
        lambda s, d: _own(s) + f"notes/{d(one_of_ids(s['note'].pk, s['other_note'].pk))}/move",
        lambda s: {"x": numbers, "y": numbers},
        form=False,
    ),
    Endpoint("version-save", lambda s, d: _p(s, d) + "versions/", lambda s: {"message": st.just("second")}),
    Endpoint(
        "version-restore",
        lambda s, d: _p(s, d) + f"versions/{d(st.sampled_from(['1', '0', '2', '99999999999999999999']))}/restore/",
    ),
    Endpoint(
        "import-preview",
        lambda s, d: d(st.sampled_from(["/import/preview/", _own(s) + "import/preview/"])),
        lambda s: {
            "format": st.sampled_from(list(formats())),
            "text": st.sampled_from(["CREATE TABLE t (id int primary key);", "Table t { id int [pk] }", "{}"]),
            "schema": st.just("public"),
            "url": None,
        },
    ),  # fmt: skip
    Endpoint(
        "import-confirm",
        lambda s, d: d(st.sampled_from(["/import/confirm/", _own(s) + "import/confirm/"])),
        lambda s: {"token": None, "name": None},
    ),
]
DEPLOY_ENDPOINTS = [
    Endpoint(
        "deploy-run",
        lambda s, d: _p(s, d) + "deploy/run/",
        lambda s: {"confirm_name": st.just("Shop"), "message": None, "plan_digest": None},
    ),
    Endpoint(
        "rollback",
        lambda s, d: _p(s, d) + "deploy/rollback/",
        lambda s: {"confirm_name": st.just("Shop"), "plan_digest": None},
    ),  # fmt: skip
    Endpoint("purge", lambda s, d: _p(s, d) + "deploy/purge/", lambda s: {"confirm_name": st.just("Shop")}),
]
odd_query = {"deleted": st.just("1"), "focus": st.just("orders"), "table": st.just("orders"), "q": st.just("ord"),
             "tables": None, "download": st.just("1"), "cancel": st.just("1"), "archived": st.just("1"),
             "a": st.just("1"), "b": st.just("1"), "n": st.just("3")}  # fmt: skip
fields = lambda s: one_of_ids(*[f.pk for f in s["orders"].fields.all()])  # noqa: E731
GET_ENDPOINTS = [
    Endpoint("project-list", lambda s, d: "/", method="get"),
    Endpoint("designer-page", lambda s, d: _p(s, d), method="get"),
    Endpoint("settings", lambda s, d: _p(s, d) + "settings/", method="get"),
    Endpoint("diagram", lambda s, d: _p(s, d) + "diagram.svg", method="get"),
    Endpoint("table-list", lambda s, d: _p(s, d) + "tables/", method="get"),
    Endpoint("table-panel", lambda s, d: _own(s) + f"tables/{d(one_of_ids(s['orders'].pk))}/", method="get"),
    Endpoint(
        "field-edit-form",
        lambda s, d: _own(s) + f"tables/{s['orders'].pk}/fields/{d(fields(s))}/",
        method="get",
    ),
    Endpoint("organise", lambda s, d: _p(s, d) + "organise/", method="get"),
    Endpoint("versions", lambda s, d: _p(s, d) + "versions/", method="get"),
    Endpoint("version-compare", lambda s, d: _p(s, d) + "versions/compare/", method="get"),
    Endpoint(
        "export",
        lambda s, d: _p(s, d) + f"export/{d(st.sampled_from([*FORMATS, 'nope', 'DBML', '-', '_x']))}",
        method="get",
    ),
    Endpoint(
        "version-export",
        lambda s, d: (
            _p(s, d)
            + f"versions/{d(st.sampled_from(['1', '0', '7', '99999999999999999999']))}/export/"
            + d(st.sampled_from([*FORMATS, "nope"]))
        ),
        method="get",
    ),
    Endpoint("import-page", lambda s, d: d(st.sampled_from(["/import/", _own(s) + "import/"])), method="get"),
    Endpoint("deploy-page", lambda s, d: _p(s, d) + "deploy/", method="get"),
    Endpoint("deploy-progress", lambda s, d: _p(s, d) + "deploy/progress/", method="get"),
    Endpoint(
        "deploy-run-detail",
        lambda s, d: _p(s, d) + f"deploy/runs/{d(st.sampled_from(['1', '0', '99999999999999999999']))}/",
        method="get",
    ),
    Endpoint("rollback-page", lambda s, d: _p(s, d) + "deploy/rollback/", method="get"),
    Endpoint("drift", lambda s, d: _p(s, d) + "deploy/drift/", method="get"),
]


def send(client, scene, endpoint: Endpoint, data, hx: bool):
    path = endpoint.path(scene, data.draw)
    spec = odd_query if endpoint.method == "get" else endpoint.spec(scene)
    body = data.draw(form(spec), label="query" if endpoint.method == "get" else "form")
    return send_refusable(client, scene["project"], endpoint.method, path, body, data, hx), path


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@FUZZ
@given(data=st.data(), hx=st.booleans())
def test_project_endpoint_answers_bad_input_with_a_message(owner_client, scene, endpoint, data, hx):
    response, path = send(owner_client, scene, endpoint, data, hx)
    assert_explained(response, f"{endpoint.name} {path}", form=endpoint.form)


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS, ids=[e.name for e in GET_ENDPOINTS])
@settings(FUZZ, max_examples=max(3, EXAMPLES // 2))
@given(data=st.data(), hx=st.booleans())
def test_page_read_with_odd_query_strings_answers_without_a_server_error(owner_client, scene, endpoint, data, hx):
    response, path = send(owner_client, scene, endpoint, data, hx)
    assert_explained(response, f"GET {endpoint.name} {path}", form=False)


@pytest.mark.postgres
@pytest.mark.parametrize("endpoint", DEPLOY_ENDPOINTS, ids=[e.name for e in DEPLOY_ENDPOINTS])
@settings(FUZZ, max_examples=max(3, EXAMPLES // 2))
@given(data=st.data(), hx=st.booleans())
def test_deploy_endpoint_answers_bad_input_with_a_message(owner_client, scene, endpoint, data, hx):
    response, path = send(owner_client, scene, endpoint, data, hx)
    assert_explained(response, f"{endpoint.name} {path}")


@pytest.mark.parametrize("endpoint", ENDPOINTS[:14], ids=[e.name for e in ENDPOINTS[:14]])
@settings(FUZZ, max_examples=3)
@given(data=st.data())
def test_a_viewer_fuzzing_project_endpoints_is_refused_with_a_message(client, viewer, scene, endpoint, data):
    client.force_login(viewer)
    response, path = send(client, scene, endpoint, data, hx=True)
    assert_explained(response, f"viewer {endpoint.name} {path}", form=endpoint.form)
    if endpoint.name != "project-create":  # anyone may create a project of their own
        assert response.status_code >= 400, f"a viewer's {endpoint.name} went through"


@FUZZ
@given(
    text=st.sampled_from(["CREATE TABLE t (id int primary key, note text);", "Table t {\n id int [pk]\n}"]),
    name=garbage,
    hx=st.booleans(),
)
def test_confirming_a_previewed_import_under_an_odd_name_answers_with_a_message(owner_client, scene, text, name, hx):
    fmt = "sql" if text.startswith("CREATE") else "dbml"

    def flow():
        preview = owner_client.post("/import/preview/", {"format": fmt, "text": text}, **HX)
        assert preview.status_code == 200
        token = re.search(r'name="token" value="([^"]+)"', preview.content.decode())[1]
        return owner_client.post("/import/confirm/", {"token": token, "name": name}, **(HX if hx else {}))

    response = undone(flow)
    assert_explained(response, f"import confirm name={name!r:.100}")


SOURCES = {
    "dbml": "Project p {{ note: '{t}' }}\nTable {n} {{\n  id int [pk, note: '{t}', default: '{t}']\n  Note: '{t}'\n}}",
    "sql": "CREATE TABLE {n} (id int PRIMARY KEY DEFAULT '{t}');\nCOMMENT ON TABLE {n} IS '{t}';",
}


@FUZZ
@given(
    fmt=st.sampled_from(sorted(SOURCES)),
    text=garbage.map(lambda t: t.replace("'", "")),
    table_name=st.one_of(st.sampled_from(["t", "orders"]), garbage.filter(lambda t: t.isidentifier())),
    hx=st.booleans(),
)
def test_importing_odd_text_in_names_notes_and_defaults_answers_with_a_message(
    owner_client, scene, fmt, text, table_name, hx
):
    source = SOURCES[fmt].format(t=text, n=table_name)

    def flow():
        preview = owner_client.post("/import/preview/", {"format": fmt, "text": source}, **HX)
        assert_explained(preview, f"import preview {source!r:.200}")
        token = re.search(r'name="token" value="([^"]+)"', preview.content.decode())
        if token is None:
            return preview
        return owner_client.post("/import/confirm/", {"token": token[1], "name": ""}, **(HX if hx else {}))

    response = undone(flow)
    assert_explained(response, f"import {source!r:.200}")


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("", {"table": "a\x00b"}),
        ("", {"focus": "\x00"}),
        ("diagram.svg", {"focus": "\x00", "tables": "\x00,not-a-uuid"}),
        ("diagram.svg", {"tables": "not-a-uuid"}),
        ("tables/", {"q": "\x00"}),
        ("tables/", {"focus": "orders\x00"}),
        ("versions/compare/", {"a": "\x00", "b": "1"}),
        ("versions/compare/", {"a": "1", "b": "99999999999999999999"}),
        ("deploy/progress/", {"n": "99999999999999999999999"}),
    ],
)
def test_a_page_read_with_a_nul_byte_or_odd_id_in_its_query_answers_without_a_server_error(
    owner_client, scene, page, query
):
    response = undone(lambda: owner_client.get(_own(scene) + page, query, **HX))
    assert_explained(response, f"GET {page} {query!r}", form=False)
