"""A scratch PostgreSQL schema on the deploy target (DEPLOY_DATABASE_URL) for each test."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import pytest

from tests.api.conftest import _generous_limits, api, key_for  # noqa: F401 - the API fixtures, for its deploys
from tests.pg_scratch import deploy_url, drop_schema_and_kept, scratch  # noqa: F401 - helper and fixture


@pytest.fixture
def target(scratch):  # noqa: F811
    """(connection, schema): an autocommit connection to the deploy database and an empty schema."""
    return scratch.conn, scratch.schema()


def run(conn, statements) -> None:
    with conn.transaction():
        for statement in statements:
            conn.execute(statement.sql)


@pytest.fixture
def deployer(make_user):
    """A staff member: staff have the deploy permission."""
    from django.contrib.auth.models import Permission

    user = make_user("dora", staff=True)
    user.user_permissions.add(Permission.objects.get(codename="deploy_project"))
    return user


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _closing_connection(work):
    def run(*args) -> None:
        from django.db import connection

        try:
            work(*args)
        finally:
            connection.close()

    return run


@pytest.fixture
def clean_target():
    """``clean_target(project)``: the project's deploy schemas, one per environment (and what deploys kept
    aside), are dropped now — so nothing an earlier test or run left there matters — and again after the test."""
    from designer.services import environments
    from designer.services.deploy import schema_name

    projects = []

    def drop(*projects_to_drop) -> None:
        with psycopg.connect(deploy_url(), autocommit=True) as conn:  # skips (or fails) without PostgreSQL
            for project in projects_to_drop:
                for env in environments.of(project):  # every environment's schema
                    drop_schema_and_kept(conn, environments.schema_for(schema_name(project), env))

    def register(project) -> None:
        if _in_event_loop():  # an async test: the ORM may only be used from another thread
            worker = threading.Thread(target=_closing_connection(drop), args=(project,))
            worker.start()
            worker.join()
        else:
            drop(project)
        projects.append(project)

    yield register
    drop(*projects)


@pytest.fixture
def live_shop(shop, clean_target):
    clean_target(shop["project"])
    return shop


@pytest.fixture(autouse=True)
def _design_writes(locked, owner, deployer):
    """Deploy tests are not about editing locks: design edits by the owner or the deployer take their table locks
    on demand (``locks.holding``), as import and the demo do. Deploys take their own critical locks."""
    with locked([], owner), locked([], deployer):
        yield
