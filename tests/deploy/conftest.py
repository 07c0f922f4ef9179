"""A scratch PostgreSQL schema on the deploy target (DEPLOY_DATABASE_URL) for each test."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.conf import settings


def drop_schema_and_kept(conn, schema: str) -> None:
    """Test cleanup only (the product never drops with CASCADE)."""
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s", (schema, f"{schema}_kept_%")
    ).fetchall()
    for (name,) in rows:
        conn.execute(psycopg.sql.SQL("DROP SCHEMA {} CASCADE").format(psycopg.sql.Identifier(name)))


@pytest.fixture
def target():
    """(connection, schema): an autocommit connection to the deploy database and an empty schema."""
    if not settings.DEPLOY_DATABASE_URL.startswith("postgres"):
        pytest.skip("DEPLOY_DATABASE_URL is not PostgreSQL")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    conn = psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True)
    conn.execute(psycopg.sql.SQL("CREATE SCHEMA {}").format(psycopg.sql.Identifier(schema)))
    try:
        yield conn, schema
    finally:
        drop_schema_and_kept(conn, schema)
        conn.close()


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


@pytest.fixture
def clean_target():
    """Drops the deploy schemas of the projects a test deployed (and what they kept aside)."""
    from designer.services.deploy import schema_name

    projects = []
    yield projects.append
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        for project in projects:
            drop_schema_and_kept(conn, schema_name(project))


@pytest.fixture
def live_shop(shop, clean_target):
    from designer.services.deploy import schema_name

    clean_target(shop["project"])
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        drop_schema_and_kept(conn, schema_name(shop["project"]))
    return shop


@pytest.fixture(autouse=True)
def _design_writes(locked, owner, deployer):
    """Deploy tests are not about editing locks: design edits by the owner or the deployer take their table locks
    on demand (``locks.holding``), as import and the demo do. Deploys take their own critical locks."""
    with locked([], owner), locked([], deployer):
        yield
