"""The deploy target database (``DEPLOY_DATABASE_URL``): connecting to it and checking it is up.

The deploy issue builds on this; each project deploys into its own PostgreSQL schema (or SQLite file).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.conf import settings


class DeployRefused(Exception):
    """The deploy (or its plan) cannot start; the message says why and what to do."""


class DeployTargetMisconfigured(DeployRefused):
    """``DEPLOY_DATABASE_URL`` cannot be used as it is written; the message names the variable and the fix."""


class DeployTargetUnreachable(DeployRefused):
    """The deploy database does not answer."""


class DeployBusy(DeployRefused):
    """Another deploy, rollback or purge of the same environment holds its advisory lock."""


VARIABLE = "DEPLOY_DATABASE_URL"
FORMS = "postgres://user[:password]@host[:port]/database or sqlite:///path/to/file.sqlite3"


def deploy_dialect(url: str | None = None) -> str:
    url = url or settings.DEPLOY_DATABASE_URL
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme.startswith("postgres"):
        return "postgresql"
    if scheme.startswith("sqlite"):
        return "sqlite"
    raise DeployTargetMisconfigured(
        f"{VARIABLE} must be a PostgreSQL or SQLite URL ({FORMS}); "
        + (f"it is a {scheme}:// URL." if scheme else "it has no scheme (postgres:// or sqlite:///).")
    )


def sqlite_path(url: str | None = None) -> Path:
    return Path(dj_database_url.parse(url or settings.DEPLOY_DATABASE_URL)["NAME"])


def connect_postgres(url: str | None = None, **kwargs):
    """A connection to the PostgreSQL deploy target; a URL that is not one, cannot be read or does not answer is
    refused with a message naming ``DEPLOY_DATABASE_URL`` (never a driver traceback)."""
    import psycopg

    target = url or settings.DEPLOY_DATABASE_URL
    if deploy_dialect(target) != "postgresql":
        raise DeployTargetMisconfigured(
            f"{VARIABLE} is a SQLite URL and this needs a PostgreSQL deploy database: set {VARIABLE}=postgres://…"
        )
    try:
        return psycopg.connect(target.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=5, **kwargs)
    except psycopg.ProgrammingError as exc:  # the URL itself cannot be parsed
        raise DeployTargetMisconfigured(
            f"{VARIABLE} is not a valid PostgreSQL URL ({FORMS}): {_said(exc, target)}"
        ) from exc
    except psycopg.OperationalError as exc:
        raise DeployTargetUnreachable(f"The deploy database ({VARIABLE}) is unreachable: {_said(exc, target)}") from exc


def _said(exc: Exception, url: str) -> str:
    """The driver's message on one line, without the URL's password (``/healthz`` shows it to anyone)."""
    text = " ".join(str(exc).split())
    try:
        password = urlparse(url).password
    except ValueError:
        password = None
    return text.replace(password, "***") if password else text


def check_deploy_database() -> dict:
    """Open a connection to the deploy target and run ``SELECT 1``; raise on failure."""
    dialect = deploy_dialect()  # raises DeployTargetMisconfigured / DeployRefused, whose message /healthz shows
    if dialect == "postgresql":
        with connect_postgres(autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        return {"dialect": dialect, "version": version}
    path = sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path, timeout=5) as conn:
        conn.execute("SELECT 1").fetchone()
    return {"dialect": dialect, "version": sqlite3.sqlite_version}
