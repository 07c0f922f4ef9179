"""The deploy target database (``DEPLOY_DATABASE_URL``): connecting to it and checking it is up.

The deploy issue builds on this; each project deploys into its own PostgreSQL schema (or SQLite file).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.conf import settings


def deploy_dialect(url: str | None = None) -> str:
    scheme = urlparse(url or settings.DEPLOY_DATABASE_URL).scheme
    if scheme.startswith("postgres"):
        return "postgresql"
    if scheme.startswith("sqlite"):
        return "sqlite"
    raise ValueError(f"DEPLOY_DATABASE_URL must be a postgres:// or sqlite:/// URL, got scheme {scheme!r}")


def sqlite_path(url: str | None = None) -> Path:
    return Path(dj_database_url.parse(url or settings.DEPLOY_DATABASE_URL)["NAME"])


def connect_postgres(url: str | None = None, **kwargs):
    import psycopg

    target = url or settings.DEPLOY_DATABASE_URL
    return psycopg.connect(target.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=5, **kwargs)


def check_deploy_database() -> dict:
    """Open a connection to the deploy target and run ``SELECT 1``; raise on failure."""
    dialect = deploy_dialect()
    if dialect == "postgresql":
        with connect_postgres(autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        return {"dialect": dialect, "version": version}
    path = sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path, timeout=5) as conn:
        conn.execute("SELECT 1").fetchone()
    return {"dialect": dialect, "version": sqlite3.sqlite_version}
