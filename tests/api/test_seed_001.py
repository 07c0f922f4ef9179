"""Seed 001's own examples, replayed verbatim."""

from __future__ import annotations

from tests.api.conftest import COMPLIANCE_EVENTS


def test_seed_001_compliance_events_gives_the_documented_201_body(api, key_for, project, owner):
    answer = api.post(f"/v1/public/{project.slug}/tables", COMPLIANCE_EVENTS, key=key_for(owner))
    assert answer.status == 201, answer.body
    body = answer.body
    assert body["id"].startswith("tbl_")
    assert {k: body[k] for k in ("table_name", "description", "schema", "project_id", "row_count", "updated_at")} == {
        "table_name": "compliance_events",
        "description": "Stores compliance event records for audit trail",
        "schema": COMPLIANCE_EVENTS["schema"],
        "project_id": project.slug,
        "row_count": 0,
        "updated_at": None,
    }
    assert set(body) == {"id", "table_name", "description", "schema", "project_id", "row_count", "created_at",
                         "updated_at"}  # fmt: skip
    again = api.post(f"/v1/public/{project.slug}/tables", COMPLIANCE_EVENTS, key=key_for(owner))
    assert again.status == 409
    assert again.body["error_code"] == "TABLE_ALREADY_EXISTS"
    assert again.body["detail"] == f"Table 'compliance_events' already exists in project: {project.slug}"


def test_seed_001_error_examples_unknown_table_no_key_other_users_project(api, key_for, project, owner, outsider):
    base = f"/v1/public/{project.slug}/tables"
    unknown = api.get(f"{base}/tbl_00000000000000000000000000000000", key=key_for(owner))
    assert unknown.status == 404
    assert unknown.body == {
        "detail": "Table not found: tbl_00000000000000000000000000000000",
        "error_code": "TABLE_NOT_FOUND",
        "severity": "error",
    }
    no_key = api.get(base)
    assert no_key.status == 401 and no_key.body["error_code"] == "INVALID_API_KEY"
    assert "X-API-Key" in no_key.body["detail"]
    wrong_key = api.get(base, key="tw_deadbeef_not-a-key")
    assert wrong_key.status == 401 and wrong_key.body["error_code"] == "INVALID_API_KEY"
    other = api.get(base, key=key_for(outsider))
    assert other.status == 403
    assert other.body["error_code"] == "UNAUTHORIZED"
    assert other.body["detail"] == f"User {outsider.username} is not authorized for project: {project.slug}"
    nowhere = api.get("/v1/public/no-such-project/tables", key=key_for(owner))
    assert nowhere.status == 404 and nowhere.body["error_code"] == "PROJECT_NOT_FOUND"


def test_nothing_under_v1_answers_html(api, key_for, owner, project):
    key = key_for(owner)
    for answer in (
        api.get("/v1/no/such/thing", key=key),
        api.get("/v1/public", key=key),
        api.call("patch", f"/v1/public/{project.slug}/tables", {}, key=key),
        api.post(f"/v1/public/{project.slug}/tables", "{not json", key=key),
        api.post(f"/v1/public/{project.slug}/tables", {"table_name": "x"}, key=key),
    ):
        assert "_not_json" not in answer.body, answer.body
        assert set(answer.body) >= {"detail", "error_code"}, answer.body
        assert answer.status in (404, 405, 422), answer
