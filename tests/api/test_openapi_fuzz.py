"""Every operation of /v1/openapi.json fuzzed against a live server (schemathesis): valid and invalid requests,
on real ids and on random ones. Not one answer is a server error, and every answer — status, content type,
headers, body — is one the document declares.

Bounded and repeatable: a fixed number of examples per operation, derandomized; ``API_FUZZ_EXAMPLES`` raises it.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from designer.services.deploy_target import deploy_dialect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))
# Writes that remove what later operations need run last, so the other operations keep meeting real ids.
REMOVING_LAST = ("DELETE",)
CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,  # what the document forbids is refused with a 4xx
]


@pytest.fixture
def fuzz_target(live_server, shop, owner, key_for, api):
    """The live server's document, the owner's key, and the real ids its paths take."""
    project = shop["project"]
    key = key_for(owner, name="fuzz")
    _, listing = api.get(f"/v1/public/{project.slug}/tables", key=key)
    by_name = {t["table_name"]: t for t in listing["tables"]}
    _, rels = api.get(f"/v1/public/{project.slug}/relationships", key=key)
    _, indexes = api.get(f"/v1/public/{project.slug}/tables/{by_name['customers']['id']}/indexes", key=key)
    real = {
        "project_id": project.slug,
        "table_id": by_name["customers"]["id"],
        "column": "email",
        "name": rels["relationships"][0]["name"] if rels.get("relationships") else "customers_orders",
    }
    if indexes.get("indexes"):
        real["index_name"] = indexes["indexes"][0]["name"]
    schema = schemathesis.openapi.from_url(f"{live_server.url}/v1/openapi.json")
    return schema, key, real, live_server.url


def _operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: (op.method.upper() in REMOVING_LAST, op.path, op.method))


def _strategy(operation, real: dict):
    params = {p.name for p in operation.path_parameters}
    fixed = {name: value for name, value in real.items() if name in params}
    if "name" in params and "/indexes/" in operation.path:
        fixed["name"] = real.get("index_name", "missing")
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    options = [operation.as_strategy(mode, path_parameters=fixed) for mode in modes]
    options += [operation.as_strategy(mode) for mode in modes]  # random ids, slugs and names too
    return st.one_of(options)


def _fuzz(operation, real: dict, base_url: str, key: str, seen: set[int]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=_strategy(operation, real))
    def fuzz(case):
        _send(case, base_url, key, seen, label)

    fuzz()


def _send(case, base_url: str, key: str, seen: set[int], label: str):
    case.headers = {**(case.headers or {}), "X-API-Key": key}  # the document's apiKey, never a generated one
    response = case.call(base_url=base_url, timeout=30)
    seen.add(response.status_code)
    assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:500]}"
    case.validate_response(response, checks=CHECKS)
    return response


def _fresh_tables(api, project_id: str, key: str, n: int) -> tuple[str, str]:
    """Two new tables ``good_<n>_a`` (id) and ``good_<n>_b`` (id, a_id, note): whatever the fuzz did to the shop,
    the well-formed request of each operation meets a table it can work on."""
    ids = []
    for side, extra in (("a", {}), ("b", {"a_id": {"type": "integer"}, "note": {"type": "string"}})):
        body = {"table_name": f"good_{n}_{side}", "schema": {"fields": {"id": {"type": "integer"}, **extra},
                                                              "primary_key": "id"}}  # fmt: skip
        answer = api.post(f"/v1/public/{project_id}/tables", body, key=key)
        assert answer.status == 201, answer.body
        ids.append(answer.body["id"])
    return ids[0], ids[1]


# A well-formed request per write whose random bodies cannot name real columns: (setup calls, path parameters,
# body). ``{a}``/``{b}`` are the fresh tables' ids; setup calls are (method, path under the project, body).
# on a SQLite deploy target these are refused (409), with the reason
NEEDS_POSTGRES = {"/migrations/rehearse", "/seeders/run", "/seeders/clear", "/seeders/status"}
WELL_FORMED = {
    ("POST", "/migrations/run"): ([], {}, {"environment": "dev"}),
    ("DELETE", "/tables/{table_id}"): ([], {"table_id": "{b}"}, None),  # the shop itself is deployed by now
    ("POST", "/migrations/rehearse"): ([], {}, {"environment": "dev"}),
    ("POST", "/seeders/run"): ([("POST", "/migrations/run", {"environment": "dev"})], {}, {"environment": "dev"}),
    ("POST", "/seeders/clear"): ([("POST", "/migrations/run", {"environment": "dev"})], {}, {"environment": "dev"}),
    ("GET", "/seeders/status"): ([("POST", "/migrations/run", {"environment": "dev"})], {}, None),
    ("POST", "/migrations/rollback"): (
        [("POST", "/migrations/run", {"environment": "dev"})],
        {},
        {"environment": "dev", "confirm": "Shop"},
    ),
    ("GET", "/migrations/runs/{number}"): (
        [("POST", "/migrations/run", {"environment": "dev"})],
        {"number": "{run}"},
        None,
    ),
    ("POST", "/relationships"): ([], {}, {"table": "{b}", "column": "a_id", "references": "{a_name}.id"}),
    ("POST", "/tables/{table_id}/constraints"): ([], {"table_id": "{b}"}, {"kind": "check", "expression": "a_id > 0"}),
    ("POST", "/tables/{table_id}/indexes"): ([], {"table_id": "{b}"}, {"columns": ["note"], "name": "good_note_idx"}),
    ("DELETE", "/tables/{table_id}/columns/{column}"): ([], {"table_id": "{b}", "column": "note"}, None),
    ("DELETE", "/tables/{table_id}/constraints/{name}"): (
        [("POST", "/tables/{b}/constraints", {"kind": "unique", "columns": ["note"], "name": "good_note_key"})],
        {"table_id": "{b}", "name": "good_note_key"},
        None,
    ),
    ("DELETE", "/tables/{table_id}/indexes/{name}"): (
        [("POST", "/tables/{b}/indexes", {"columns": ["a_id"], "name": "good_a_idx"})],
        {"table_id": "{b}", "name": "good_a_idx"},
        None,
    ),
}


def _well_formed(operation, api, real: dict, base_url: str, key: str, seen: set[int], n: int) -> None:
    method, path = operation.method.upper(), operation.path.removeprefix("/v1/public/{project_id}")
    if (method, path) not in WELL_FORMED or (path in NEEDS_POSTGRES and deploy_dialect() != "postgresql"):
        return
    setup, params, body = WELL_FORMED[method, path]
    project_id = real["project_id"]
    a, b = _fresh_tables(api, project_id, key, n)
    names = {"a": a, "b": b, "a_name": f"good_{n}_a"}

    def fill(value):
        if isinstance(value, str):
            return value.format(**names)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return [fill(v) for v in value] if isinstance(value, list) else value

    for call_method, call_path, call_body in setup:
        answer = api.call(call_method.lower(), f"/v1/public/{project_id}{fill(call_path)}", fill(call_body), key=key)
        assert answer.status < 300, (call_path, answer.body)
        names["run"] = str(answer.body.get("run", ""))
    case = operation.Case(
        path_parameters={"project_id": project_id, **fill(params)},
        **({"body": fill(body)} if body is not None else {}),
    )
    response = _send(case, base_url, key, seen, f"{method} {operation.path}")
    assert response.status_code < 300, f"{method} {operation.path}: {response.status_code} {response.text[:500]}"


def test_no_operation_answers_a_server_error_or_outside_its_document(fuzz_target, api):
    schema, key, real, base_url = fuzz_target
    failures: list[str] = []
    seen: dict[str, set[int]] = {}

    for n, operation in enumerate(_operations(schema)):
        label = f"{operation.method.upper()} {operation.path}"
        try:
            _well_formed(operation, api, real, base_url, key, seen.setdefault(label, set()), n)
            _fuzz(operation, real, base_url, key, seen.setdefault(label, set()))
        except Exception as exc:  # noqa: BLE001 — collect every operation's first failure, then report them all
            failures.append(f"{label}: {exc}")

    assert not failures, "\n\n".join(failures)
    # the fuzz reached the real resources, not only 404s: every operation answered at least once below 400
    never_ok = [
        label
        for label, codes in seen.items()
        if min(codes) >= 400 and not (deploy_dialect() != "postgresql" and label.endswith(tuple(NEEDS_POSTGRES)))
    ]
    assert len(seen) == len(_operations(schema))
    assert not never_ok, f"never answered with success: {never_ok} ({seen})"
