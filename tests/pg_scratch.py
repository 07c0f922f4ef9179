"""A throw-away PostgreSQL schema in the deploy database, for tests that run DDL and read it back
(``scratch``; the deploy tests' ``target`` is one such schema)."""

from __future__ import annotations

import os
import urllib.parse
import uuid

import pglast
import psycopg
import psycopg.sql
import pytest

from designer.ddl.names import kept_schema_pattern
from designer.importers.sql import META_COMMAND


def deploy_url() -> str:
    from django.conf import settings

    url = settings.DEPLOY_DATABASE_URL
    if not url.startswith("postgres"):
        message = (
            f"needs a PostgreSQL deploy target for a scratch schema, and DEPLOY_DATABASE_URL is {url.split(':')[0]}: "
            "set DATABASE_URL=postgres://… (the tests then make a scratch deploy database on that server) or "
            "DEPLOY_DATABASE_URL=postgres://…"
        )
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    return url


def _server_url(db: dict, dbname: str) -> str:
    credentials = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        credentials += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{dbname}"


def create_scratch_deploy_database(db: dict) -> str:
    """A fresh ``test_<name>_deploy`` database on the server of ``db`` (Django's DATABASES entry); its URL.

    Made anew for each run (one left by an interrupted run is dropped first), so no test sees another run's
    tables."""
    name = f"test_{db['NAME']}_deploy"
    try:
        with psycopg.connect(_server_url(db, "postgres"), autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name))
            )
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    except psycopg.Error as exc:
        raise pytest.UsageError(
            f"DATABASE_URL is PostgreSQL and DEPLOY_DATABASE_URL is unset, so the tests make a scratch deploy "
            f"database {name!r} on the same server, and could not: {exc}. Let DATABASE_URL's user create "
            "databases, or set DEPLOY_DATABASE_URL=postgres://… to a database the tests may fill and empty."
        ) from exc
    return _server_url(db, name)


def drop_scratch_deploy_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))


def drop_schema_and_kept(conn: psycopg.Connection, schema: str) -> None:
    """Test cleanup only (the product never drops with CASCADE): the schema and what deploys kept aside —
    exactly the ``<schema>_kept_d<n>[r]`` schemas Tablewright names (``kept_schema_pattern``), never another
    project's schema that merely starts alike."""
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname ~ %s", (schema, kept_schema_pattern(schema))
    ).fetchall()
    for (name,) in rows:
        conn.execute(psycopg.sql.SQL("DROP SCHEMA {} CASCADE").format(psycopg.sql.Identifier(name)))


class Scratch:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.names: list[str] = []

    def schema(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.conn.execute(f'CREATE SCHEMA "{name}"')
        self.names.append(name)
        return name

    def run(self, schema: str, script: str) -> None:
        """Run a script with ``schema`` first on the search path, in one transaction."""
        script = META_COMMAND.sub("", script)
        with self.conn.transaction():
            self.conn.execute(f'SET LOCAL search_path TO "{schema}"')
            for statement in pglast.split(script):
                if statement.lstrip().upper().startswith(("CREATE DATABASE", "DROP DATABASE")):
                    continue
                self.conn.execute(statement)


@pytest.fixture
def scratch():
    with psycopg.connect(deploy_url(), autocommit=True) as conn:
        helper = Scratch(conn)
        try:
            yield helper
        finally:
            for name in helper.names:
                drop_schema_and_kept(conn, name)
