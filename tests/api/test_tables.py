"""The tables endpoints as a script uses them: list with pages, read, replace with PUT, delete along the design's
lifecycle, optimistic concurrency with ETag/If-Match, and the table locks of people in the designer."""

from __future__ import annotations

import pytest

from designer.models import DataTable
from designer.services import locks, tables
from tests.api.conftest import COMPLIANCE_EVENTS

pytestmark = pytest.mark.django_db


def test_list_pages_through_the_tables_with_a_total(api, key_for, project, owner):
    key = key_for(owner)
    for i in range(5):
        body = {"table_name": f"t{i}", "schema": {"fields": {"id": {"type": "integer"}}}}
        assert api.post(f"/v1/public/{project.slug}/tables", body, key=key).status == 201
    page = api.get(f"/v1/public/{project.slug}/tables?limit=2&offset=2", key=key)
    assert page.status == 200
    assert page.body["total"] == 5 and page.body["limit"] == 2 and page.body["offset"] == 2
    assert [t["table_name"] for t in page.body["tables"]] == ["t2", "t3"]
    bad = api.get(f"/v1/public/{project.slug}/tables?limit=0", key=key)
    assert bad.status == 422 and bad.body["details"][0]["loc"][-1] == "limit"


def test_put_renames_describes_and_replaces_the_schema(api, key_for, project, owner):
    key = key_for(owner)
    created = api.post(f"/v1/public/{project.slug}/tables", COMPLIANCE_EVENTS, key=key).body
    put = api.put(
        f"/v1/public/{project.slug}/tables/{created['id']}",
        {
            "table_name": "audit_events",
            "description": "Audit trail",
            "schema": {
                "fields": {
                    "event_type": {"type": "string", "required": True, "max_length": 40},
                    "timestamp": {"type": "timestamp", "required": True},
                    "actor": {"type": "string", "required": False},
                },
                "indexes": ["timestamp"],
            },
        },
        key=key,
    )
    assert put.status == 200, put.body
    assert put.body["id"] == created["id"], "the id survives the rename"
    assert put.body["table_name"] == "audit_events" and put.body["description"] == "Audit trail"
    assert list(put.body["schema"]["fields"]) == ["event_type", "timestamp", "actor"]
    assert put.body["schema"]["fields"]["event_type"] == {"type": "string", "max_length": 40, "required": True}
    assert put.body["schema"]["indexes"] == ["timestamp"]
    assert put.body["updated_at"] is not None
    assert api.get(f"/v1/public/{project.slug}/tables/audit_events", key=key).body["id"] == created["id"]


def test_a_stale_if_match_is_refused_with_the_current_state(api, key_for, project, owner):
    key = key_for(owner)
    created = api.post(f"/v1/public/{project.slug}/tables", COMPLIANCE_EVENTS, key=key)
    url = f"/v1/public/{project.slug}/tables/{created.body['id']}"
    etag = created.headers["ETag"]
    first = api.put(url, {"description": "first"}, key=key, headers={"If-Match": etag})
    assert first.status == 200 and first.headers["ETag"] != etag
    second = api.put(url, {"description": "second"}, key=key, headers={"If-Match": etag})
    assert second.status == 412
    assert second.body["error_code"] == "REVISION_CONFLICT"
    assert second.body["current"]["description"] == "first"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert DataTable.objects.get(table_name="compliance_events").description == "first"
    nonsense = api.put(url, {"description": "x"}, key=key, headers={"If-Match": "yesterday"})
    assert nonsense.status == 422 and nonsense.body["details"][0]["loc"] == ["header", "If-Match"]


def test_a_table_someone_edits_in_the_designer_refuses_api_writes(api, key_for, shop, owner, editor):
    lock = locks.acquire(shop["orders"], actor=editor)
    answer = api.put(f"/v1/public/{shop['project'].slug}/tables/orders", {"description": "x"}, key=key_for(owner))
    assert answer.status == 423
    assert answer.body["error_code"] == "TABLE_LOCKED"
    assert answer.body["holder"] == editor.username
    assert answer.body["expires_at"].startswith(str(lock.expires_at.year))
    assert DataTable.objects.get(pk=shop["orders"].pk).description == ""


def test_deleting_a_never_deployed_draft_removes_it(api, key_for, project, owner):
    key = key_for(owner)
    created = api.post(f"/v1/public/{project.slug}/tables", COMPLIANCE_EVENTS, key=key).body
    gone = api.delete(f"/v1/public/{project.slug}/tables/{created['id']}", key=key)
    assert gone.status == 200
    assert gone.body["id"] == created["id"] and gone.body["table_name"] == "compliance_events"
    assert gone.body["deleted"] is True and gone.body["deleted_at"] and gone.body["soft"] is False
    assert not DataTable.objects.filter(project=project).exists()
    assert api.get(f"/v1/public/{project.slug}/tables/{created['id']}", key=key).status == 404


def test_an_api_write_names_the_keys_user_in_the_history_and_bumps_the_revision(api, key_for, shop, editor):
    before = DataTable.objects.get(pk=shop["orders"].pk).revision
    answer = api.put(f"/v1/public/{shop['project'].slug}/tables/orders", {"description": "Orders"}, key=key_for(editor))
    assert answer.status == 200
    table = DataTable.objects.get(pk=shop["orders"].pk)
    assert table.revision > before
    assert table.history.first().history_user == editor


def test_an_active_table_changed_over_the_api_goes_back_to_draft(api, key_for, shop, owner, locked):
    with locked([shop["orders"]], owner):
        tables.transition_table(shop["orders"], actor=owner, status="active", by_deploy=True)
    answer = api.post(
        f"/v1/public/{shop['project'].slug}/tables/orders/columns", {"name": "note", "type": "text"}, key=key_for(owner)
    )
    assert answer.status == 201
    assert DataTable.objects.get(pk=shop["orders"].pk).status == "draft"
