"""Shared fixtures: users with roles, projects, and small designs built through the services."""

from __future__ import annotations

import os

import pytest
from django.db import connection

REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def _database_banner() -> str:
    from django.conf import settings

    cfg = settings.DATABASES["default"]
    vendor = cfg["ENGINE"].rsplit(".", 1)[-1]
    version = "?"
    try:
        if vendor == "sqlite3":
            import sqlite3

            version = sqlite3.sqlite_version
        else:
            import psycopg

            with psycopg.connect(
                host=cfg.get("HOST") or None,
                port=cfg.get("PORT") or None,
                user=cfg.get("USER") or None,
                password=cfg.get("PASSWORD") or None,
                dbname=cfg.get("NAME") or "postgres",
                connect_timeout=3,
            ) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - the banner reports what it can
        version = f"unreachable ({type(exc).__name__})"
    return f"database: {vendor} {version} ({cfg.get('NAME')}); REQUIRE_POSTGRES={int(REQUIRE_POSTGRES)}"


def pytest_report_header(config) -> list[str]:
    from django.conf import settings

    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    return [
        _database_banner(),
        f"channel layer: {layer}; deploy target: {settings.DEPLOY_DATABASE_URL.split('://')[0]}",
    ]


def pytest_configure(config) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if REQUIRE_POSTGRES and "postgresql" not in engine:
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES=1 but DATABASE_URL points at {engine}. "
            "Set DATABASE_URL=postgres://… to run on PostgreSQL."
        )
    if "postgresql" in engine and not os.environ.get("DEPLOY_DATABASE_URL"):
        # DATABASE_URL alone on PostgreSQL: the deploy tests get their own scratch deploy database on the same
        # server (``test_<name>_deploy``, like pytest-django's ``test_<name>``), dropped when the run ends. The
        # environment carries it to the server processes the tests start.
        from tests import pg_scratch

        url = pg_scratch.create_scratch_deploy_database(settings.DATABASES["default"])
        settings.DEPLOY_DATABASE_URL = os.environ["DEPLOY_DATABASE_URL"] = url
        config.add_cleanup(lambda: pg_scratch.drop_scratch_deploy_database(url))


def pytest_collection_modifyitems(config, items) -> None:
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    if on_postgres:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://… (REQUIRE_POSTGRES=1 makes this fail)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings) -> None:
    """Users are created by the dozen in tests; the real (slow on purpose) hasher only costs time here.

    Not in browser tests: their users log in through a server process that knows only the real hashers.
    """
    if request.node.get_closest_marker("browser") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def make_user(django_user_model):
    def make(username: str, *, staff: bool = False, password: str | None = None):
        user = django_user_model.objects.create_user(username=username, password=password or username, is_staff=staff)
        return user

    return make


@pytest.fixture
def owner(make_user):
    return make_user("olivia")


@pytest.fixture
def editor(make_user):
    return make_user("eddie")


@pytest.fixture
def viewer(make_user):
    return make_user("vera")


@pytest.fixture
def outsider(make_user):
    return make_user("oscar")


@pytest.fixture
def project(owner, editor, viewer):
    from designer.services import projects

    project = projects.create_project(actor=owner, name="Shop", description="A small shop")
    projects.set_member(project, actor=owner, username=editor.username, role="editor")
    projects.set_member(project, actor=owner, username=viewer.username, role="viewer")
    return project


@pytest.fixture
def locked():
    """``with locked(tables, user):`` — write as ``user`` under locks taken for the block, released after it.

    Schema writes need the caller's lock token and the revision they are based on (DESIGN.md §3). Tests that are
    not about locking write the way import and the demo do (``locks.holding``): inside the block, ``user``'s
    writes without ``lock_token`` take the table's lock on first use (``tables`` may be ``[]``);
    ``held.args(table)`` gives explicit ``lock_token``/``base_revision``. For a whole module::

        @pytest.fixture(autouse=True)
        def _owner_writes(locked, owner):
            with locked([], owner):
                yield
    """
    from designer.services import locks

    def hold(tables, user, reason: str = "test setup"):
        return locks.holding(tables, actor=user, reason=reason)

    return hold


@pytest.fixture
def unattended_writes():
    """Service writes without a lock token are allowed while nobody else holds the table's lock.

    For test modules about other rules than locking: ``pytestmark = pytest.mark.usefixtures("unattended_writes")``.
    Lock enforcement itself is tested without it (tests/services/test_locks.py).
    """
    from designer.services import locks

    with locks.unattended("test"):
        yield


@pytest.fixture
def shop(project, owner, locked):
    """customers 1—n orders, with a primary key on each and a required foreign key."""
    from designer.services import fields, relationships, tables

    with locked([], owner):
        customers = tables.create_table(project, actor=owner, table_name="customers")
        cid = fields.create_field(customers, actor=owner, field_name="id", data_type="integer", primary_key=True)
        fields.create_field(
            customers,
            actor=owner,
            field_name="email",
            data_type="string",
            field_config={"max_length": 200},
            is_required=True,
            is_unique=True,
        )
        orders = tables.create_table(project, actor=owner, table_name="orders")
        fields.create_field(orders, actor=owner, field_name="id", data_type="bigint", primary_key=True)
        customer_id = fields.create_field(
            orders, actor=owner, field_name="customer_id", data_type="integer", is_required=True
        )
        fields.create_field(
            orders,
            actor=owner,
            field_name="total",
            data_type="decimal",
            field_config={"precision": 10, "scale": 2},
            default_value="0.00",
        )
        rel = relationships.create_relationship(project, actor=owner, source_field=cid, target_field=customer_id)
    customers.refresh_from_db()
    orders.refresh_from_db()
    return {"project": project, "customers": customers, "orders": orders, "fk": rel}


class DesignerClient:
    """Mixin for Django's test client: edits the designer's table panel the way the page does (collab.js).

    Opening a table (any GET below ``/projects/<slug>/tables/<id>/``) takes its lock through the lock endpoint;
    every later POST there carries that lock token and the revision the page last saw (from the
    ``X-Table-Revision`` answer header, like the browser). A 423 (the lock was lost, e.g. released by the test's
    own setup) forgets the token, opens the table again and retries once; a 409 — the table was changed by
    another write of the same test, e.g. a relationship that touched it —
    is answered like the page does (it shows the current state and the user applies the change again): the
    revision is re-read once and the write retried. A POST that names its own ``lock_token`` is sent as it is.
    """

    TABLE_URL = r"^/projects/(?P<slug>[^/]+)/tables/(?P<table>[0-9a-f-]{36})/(?P<rest>.*)$"

    def _table(self, path: str):
        import re

        match = re.match(self.TABLE_URL, path)
        return None if match is None or match["rest"].startswith("lock/") else match

    def _open(self, match) -> dict | None:
        from designer.models import DataTable

        held = self.__dict__.setdefault("_held", {})
        if match["table"] not in held:
            response = super().post(f"/projects/{match['slug']}/tables/{match['table']}/lock/")
            if response.status_code != 200:
                return None  # e.g. a viewer: the write goes out without a token and the view refuses it
            revision = DataTable.objects.filter(pk=match["table"]).values_list("revision", flat=True).first()
            held[match["table"]] = {"lock_token": response.json()["token"], "base_revision": revision}
        return held[match["table"]]

    def get(self, path, *args, **kwargs):
        response = super().get(path, *args, **kwargs)
        match = self._table(path)
        if match is not None and response.status_code == 200:
            self._open(match)
        return response

    def post(self, path, data=None, *args, **kwargs):
        match = self._table(path)
        if match is None or (isinstance(data, dict) and "lock_token" in data):
            return super().post(path, data, *args, **kwargs)
        from designer.models import DataTable

        for attempt in range(2):
            held = self._open(match)
            response = super().post(path, {**(data or {}), **(held or {})}, *args, **kwargs)
            if response.status_code == 423:
                self._held.pop(match["table"], None)
                if attempt == 0:
                    continue
            elif held is not None and response.get("X-Table-Revision"):
                held["base_revision"] = int(response["X-Table-Revision"])
            if response.status_code == 409 and held is not None and attempt == 0:
                held["base_revision"] = DataTable.objects.values_list("revision", flat=True).get(pk=match["table"])
                continue
            return response
        return response


@pytest.fixture
def client():
    """pytest-django's ``client``, editing tables the way the designer page does (see :class:`DesignerClient`)."""
    from django.test import Client

    return type("DesignerTestClient", (DesignerClient, Client), {})()
