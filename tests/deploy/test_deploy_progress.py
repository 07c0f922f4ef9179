"""While a deploy runs, viewers see how far it got: per batch on the websocket and in the progress partial."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from designer.models import DeployRun
from designer.services import deploy as deploy_service
from designer.services import fields, locks, tables
from designer.services.targets import BATCH
from tests.realtime import conftest as realtime

pytestmark = [pytest.mark.postgres]
open_socket, session_cookie = realtime.open_socket, realtime.session_cookie  # the websocket fixtures


def _wide_design(project, actor, n: int) -> None:
    for i in range(n):
        table = tables.create_table(project, actor=actor, table_name=f"t{i:03}")
        fields.create_field(table, actor=actor, field_name="id", data_type="integer", primary_key=True)


@pytest.mark.django_db(transaction=True)
async def test_viewers_see_deploy_progress_per_batch_on_the_websocket(
    project,
    viewer,
    deployer,
    clean_target,
    open_socket,
    settings,
):
    settings.LOCK_SWEEP_IN_ASGI = False
    settings.DEPLOY_PROGRESS_INTERVAL = 0  # every batch, however fast
    clean_target(project)
    await sync_to_async(_wide_design)(project, deployer, 2 * BATCH + 10)
    connected, ws = await open_socket(project, viewer)
    assert connected
    seen_in_db = []

    def callback(run, done, total):
        seen_in_db.append(DeployRun.objects.get(pk=run.pk).statements_done)

    run = await sync_to_async(deploy_service.deploy)(project, actor=deployer, progress=callback)
    assert run.status == "succeeded", run.error or run.verification
    total = len(run.statements)
    progress = [(event["done"], event["total"]) for event in await _progress_until_finished(ws)]
    assert total > 2 * BATCH
    expected = [0, *range(BATCH, total, BATCH), total]
    assert progress == [(done, total) for done in expected]
    assert sorted(set(seen_in_db)) == expected[1:], "the run's counter moves per batch too"
    await ws.disconnect()
    await asyncio.sleep(0)


@pytest.mark.django_db(transaction=True)
async def test_a_fast_deploy_reports_progress_at_most_every_interval(
    project,
    viewer,
    deployer,
    clean_target,
    open_socket,
    settings,
):
    settings.LOCK_SWEEP_IN_ASGI = False
    settings.DEPLOY_PROGRESS_INTERVAL = 3600
    clean_target(project)
    await sync_to_async(_wide_design)(project, deployer, 2 * BATCH + 10)
    connected, ws = await open_socket(project, viewer)
    assert connected
    seen_in_db, calls = [], []

    def callback(run, done, total):
        calls.append(done)
        seen_in_db.append(DeployRun.objects.get(pk=run.pk).statements_done)

    run = await sync_to_async(deploy_service.deploy)(project, actor=deployer, progress=callback)
    assert run.status == "succeeded", run.error or run.verification
    total = len(run.statements)
    progress = [event["done"] for event in await _progress_until_finished(ws)]
    assert progress == [0, total], "the start and the end; no batch in between came an interval after the last"
    assert calls == [*range(BATCH, total, BATCH), total], "the caller's callback still hears every batch"
    assert seen_in_db == [0] * (len(calls) - 1) + [total]
    await ws.disconnect()
    await asyncio.sleep(0)


async def _progress_until_finished(ws) -> list[dict]:
    """The ``deploy.progress`` events the viewer receives until ``deploy.finished``."""
    progress = []
    while (event := await ws.receive_json_from(timeout=5))["event"] != "deploy.finished":
        if event["event"] == "deploy.progress":
            progress.append(event)
    return progress


def _design_by(project, actor, n: int) -> None:
    """Tables written by someone outside the deploy tests' lock-holding blocks, who keeps no lock afterwards."""
    with locks.unattended("test setup"):
        _wide_design(project, actor, n)


@pytest.mark.django_db(transaction=True)
async def test_viewers_see_each_table_locked_by_the_deploy_and_freed_after_it(
    project,
    editor,
    viewer,
    deployer,
    clean_target,
    open_socket,
    settings,
):
    settings.LOCK_SWEEP_IN_ASGI = False
    clean_target(project)
    await sync_to_async(_design_by)(project, editor, 5)
    names = {f"t{i:03}" for i in range(5)}
    connected, ws = await open_socket(project, viewer)
    assert connected
    run = await sync_to_async(deploy_service.deploy)(project, actor=deployer)
    assert run.status == "succeeded", run.error or run.verification
    seen = []
    while not seen or seen[-1]["event"] != "deploy.finished":
        seen.append(await ws.receive_json_from(timeout=5))
    kinds = [event["event"] for event in seen]

    def where(kind: str) -> list[int]:
        return [i for i, k in enumerate(kinds) if k == kind]

    acquired = [seen[i] for i in where("lock.acquired")]
    assert sorted(e["table"] for e in acquired) == sorted(names), "one lock.acquired per table"
    for event in acquired:
        assert (event["holder"], event["lock_type"], event["reason"]) == ("dora", "critical", "Deploy")
        assert event["ttl"] > 0 and event["table_id"] and "lock_token" not in event
    released = [seen[i] for i in where("lock.released")]
    assert sorted(e["table"] for e in released) == sorted(names), "one lock.released per table"
    activated = [seen[i] for i in where("schema.changed")]
    assert sorted(e["table"] for e in activated) == sorted(names), "each table's move to Active"
    progress = where("deploy.progress")
    assert max(where("lock.acquired")) < progress[0] and progress[-1] < min(where("lock.released"))
    assert max(where("schema.changed")) < min(where("lock.released")), "Active while the locks still hold"
    await ws.disconnect()
    await asyncio.sleep(0)


@pytest.mark.django_db
def test_the_progress_partial_shows_a_running_deploy(client, live_shop, deployer):
    project = live_shop["project"]
    from designer.services import environments

    DeployRun.objects.create(
        project=project,
        environment=environments.primary(project),
        number=1,
        status="running",
        target_schema="shop",
        statements=[{"sql": "SELECT 1;"}] * 120,
        statements_done=50,
    )
    client.force_login(deployer)
    response = client.get(reverse("designer:deploy-progress", args=[project.slug]), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<progress max="120" value="50"></progress>' in page
    assert "Deploy #1 running: 50 of 120 statements" in page
    assert "load delay:1s" in page, "it keeps polling while the run is running"
