"""Seed 004's migrations API per environment with an API key: run, promote, rollback, status and a run's
progress — the Deploy page's rules (deploy right per environment, advisory lock, typed confirmation)."""

from __future__ import annotations

import threading

import psycopg
import pytest
import requests

from designer.services import environments, fields, tables
from tests.pg_scratch import deploy_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _url(project, rest: str) -> str:
    return f"/v1/public/{project.slug}/migrations/{rest}"


def test_a_pipeline_deploys_to_dev_promotes_to_staging_and_reads_the_status(api, key_for, live_shop, deployer):
    project, orders = live_shop["project"], live_shop["orders"]
    key = key_for(deployer)
    first = api.post(_url(project, "run"), {"environment": "dev"}, key=key)
    assert first.status == 201, first.body
    assert first.body["status"] == "succeeded" and first.body["environment"] == "dev"
    assert first.body["statements_done"] == first.body["statements"] > 0
    assert api.get(first.body["status_url"], key=key).body["status"] == "succeeded"

    fields.create_field(orders, actor=deployer, field_name="note", data_type="string")
    status = api.get(_url(project, "status"), key=key).body
    by_name = {e["name"]: e for e in status["environments"]}
    assert list(by_name) == ["dev", "staging", "prod"]
    assert by_name["dev"]["deployed_version"] == first.body["to_version"]
    assert any("note" in line for line in by_name["dev"]["pending_changes"])
    assert by_name["dev"]["drift"] == [] and by_name["staging"]["deployed_version"] is None
    assert by_name["staging"]["target"].endswith("_staging") and by_name["prod"]["allow_seeding"] is False

    promoted = api.post(_url(project, "run"), {"environment": "staging", "from_environment": "dev"}, key=key)
    assert promoted.status == 201, promoted.body
    assert promoted.body["to_version"] == first.body["to_version"]  # dev's version, not the design with "note"
    with psycopg.connect(deploy_url()) as conn:
        staging_columns = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = 'orders'",
                (by_name["staging"]["target"],),
            )
        }
    assert "customer_id" in staging_columns and "note" not in staging_columns

    back = api.post(_url(project, "rollback"), {"environment": "staging", "confirm": project.name}, key=key)
    assert back.status == 201, back.body
    assert back.body["kind"] == "rollback" and back.body["status"] == "succeeded"
    again = api.post(_url(project, "rollback"), {"environment": "staging"}, key=key)
    assert again.status == 409 and again.body["error_code"] == "DEPLOY_REFUSED"
    assert "no deploy to roll back in staging" in again.body["detail"]


def test_every_environment_refuses_who_may_not_deploy_there(api, key_for, live_shop, owner, editor, viewer, deployer):
    project = live_shop["project"]
    cells = {
        (editor, False, "dev"): 201,
        (editor, False, "staging"): 403,
        (editor, False, "prod"): 403,
        (viewer, False, "dev"): 403,
        (viewer, False, "prod"): 403,
        (owner, False, "staging"): 403,  # owning the design is not the deploy permission
        (deployer, True, "dev"): 403,  # a read-only key
        (deployer, False, "prod"): 201,
    }
    from designer.services import projects

    projects.set_member(project, actor=owner, username=deployer.username, role="viewer")
    for (user, read_only, env), expected in cells.items():
        answer = api.post(_url(project, "run"), {"environment": env}, key=key_for(user, read_only=read_only))
        assert answer.status == expected, (user.username, read_only, env, answer.body)
        if expected == 403:
            assert answer.body["error_code"] == "UNAUTHORIZED"


def test_bad_requests_name_what_to_fix(api, key_for, live_shop, deployer):
    project, orders = live_shop["project"], live_shop["orders"]
    key = key_for(deployer)
    unknown = api.post(_url(project, "run"), {"environment": "qa"}, key=key)
    assert unknown.status == 404 and unknown.body["error_code"] == "ENVIRONMENT_NOT_FOUND"
    assert "dev, staging, prod" in unknown.body["detail"]
    nothing = api.post(_url(project, "run"), {"environment": "prod", "from_environment": "dev"}, key=key)
    assert nothing.status == 409 and "Nothing is deployed in dev" in nothing.body["detail"]
    missing = api.post(_url(project, "run"), {"environment": "dev", "version": 99}, key=key)
    assert missing.status == 404 and missing.body["error_code"] == "VERSION_NOT_FOUND"
    assert api.post(_url(project, "run"), {"environment": "dev"}, key=key).status == 201
    tables.transition_table(orders, actor=deployer, status="deprecated")
    tables.transition_table(orders, actor=deployer, status="deleted")
    unconfirmed = api.post(_url(project, "run"), {"environment": "dev"}, key=key)
    assert unconfirmed.status == 422, unconfirmed.body
    assert unconfirmed.body["details"][0]["loc"] == ["body", "confirm"]
    assert "Type the project name (Shop)" in unconfirmed.body["detail"]
    confirmed = api.post(_url(project, "run"), {"environment": "dev", "confirm": "Shop"}, key=key)
    assert confirmed.status == 201 and confirmed.body["status"] == "succeeded"
    assert api.get(_url(project, "runs/999"), key=key).body["error_code"] == "RUN_NOT_FOUND"


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_runs_one_deploys_and_nine_are_told_a_deploy_is_in_progress(
    live_server, key_for, project, deployer, clean_target
):
    clean_target(project)
    for n in range(80):  # a deploy long enough for ten requests to meet it
        table = tables.create_table(project, actor=deployer, table_name=f"t{n:03}")
        fields.create_field(table, actor=deployer, field_name="id", data_type="integer", primary_key=True)
    key = key_for(deployer)
    url = f"{live_server.url}{_url(project, 'run')}"
    start, answers = threading.Barrier(10), []

    def call() -> None:
        start.wait()
        try:
            response = requests.post(url, json={"environment": "dev"}, headers={"X-API-Key": key}, timeout=120)
            answers.append((response.status_code, response.json()))
        except Exception as exc:  # noqa: BLE001 — reported in the assertion below
            answers.append((0, repr(exc)))

    workers = [threading.Thread(target=call) for _ in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    codes = sorted(code for code, _ in answers)
    assert codes == [201] + [409] * 9, [a for a in answers if a[0] != 409 or a[1]["error_code"] != "DEPLOY_IN_PROGRESS"]
    busy = [body for code, body in answers if code == 409]
    assert {b["error_code"] for b in busy} == {"DEPLOY_IN_PROGRESS"}
    assert all("running right now" in b["detail"] for b in busy)


def test_a_rehearsal_names_the_rows_that_block_a_required_column_and_leaves_dev_untouched(
    api, key_for, live_shop, deployer
):
    project, orders = live_shop["project"], live_shop["orders"]
    key = key_for(deployer)
    run = api.post(_url(project, "run"), {"environment": "dev"}, key=key).body
    assert run["status"] == "succeeded"
    project.refresh_from_db()
    schema = f"{project.deploy_schema}_dev"
    with psycopg.connect(deploy_url(), autocommit=True) as conn:
        conn.execute(f'INSERT INTO "{schema}".customers (id, email) VALUES (1, %s)', ("a@example.com",))
        conn.execute(f'INSERT INTO "{schema}".orders (id, customer_id) VALUES (1, 1), (2, 1), (3, 1)')
    channel = fields.create_field(orders, actor=deployer, field_name="channel", data_type="string", is_required=True)

    failed = api.post(_url(project, "rehearse"), {"environment": "dev"}, key=key)
    assert failed.status == 200, failed.body
    assert failed.body["success"] is False and failed.body["statements_failed"] == 1
    failure = failed.body["failures"][0]
    assert failure["kind"] == "not_null" and failure["rows"] == 3 and failure["column"] == "channel"
    assert "orders.channel" in failure["summary"]
    with psycopg.connect(deploy_url()) as conn:
        assert conn.execute(f'SELECT count(*) FROM "{schema}".orders').fetchone()[0] == 3
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = %s AND column_name = 'channel'",
            (schema,),
        ).fetchone()[0]
        assert columns == 0
    assert environments.get(project, "dev").last_rehearsal["success"] is False

    fields.update_field(channel, actor=deployer, default_value="web")
    passed = api.post(_url(project, "rehearse"), {"environment": "dev"}, key=key).body
    assert passed["success"] is True, passed
    deployed = api.post(_url(project, "run"), {"environment": "dev", "expected_digest": passed["digest"]}, key=key)
    assert deployed.status == 201 and deployed.body["status"] == "succeeded", deployed.body
