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
