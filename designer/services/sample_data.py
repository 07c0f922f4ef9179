"""Seed 004's seeders per environment: fill what is deployed there with sample data (designer/services/seeding.py),
remove exactly those rows again, and report them. The keys of the rows added are kept on the environment (in the
app database); user rows are never touched."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from designer.models import Project

from . import deploy as deploy_service
from . import environments, seeding
from .targets import DeployRefused, target_for


def _open(project: Project, env, actor, *, writing: bool):
    environments.require_deploy_to(actor, env)
    if writing and not env.allow_seeding:
        raise PermissionDenied(
            f"Sample data is not allowed in {env.name}; an owner can allow it in the environment's settings."
        )
    version = deploy_service.deployed_version(project, env)
    if version is None:
        raise DeployRefused(f"Nothing is deployed in {env.name} yet; deploy there first, then seed it.")
    target = target_for(project, env)
    if target.dialect != "postgresql":
        raise DeployRefused("Seeding needs a PostgreSQL deploy database (DEPLOY_DATABASE_URL=postgres://…).")
    target.open(lock=writing)  # one seeding, deploy or rollback of an environment at a time
    return target, version.schema_snapshot


def seed_environment(
    project: Project,
    *,
    actor,
    environment=None,
    rows_per_table: int = 100,
    tables: list[str] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Add ``rows_per_table`` sample rows to each deployed table (or ``tables``); the same ``seed`` gives the
    same rows. Raises ``PermissionDenied``, ``DeployRefused`` or ``SeedError`` (a ValueError: which table, why)."""
    env = environments.get(project, environment)
    target, snapshot = _open(project, env, actor, writing=True)
    try:
        result = seeding.seed(target.conn, target.schema, snapshot, rows_per_table=rows_per_table, tables=tables,
                              seed=seed)  # fmt: skip
    finally:
        target.close()
    kept = dict(env.seeded_keys or {})
    for table, keys in result.keys.items():
        kept[table] = [*kept.get(table, []), *keys]
    env.seeded_keys = kept
    env.save(update_fields=["seeded_keys"])
    return {"environment": env.name, **{k: v for k, v in result.as_dict().items() if k != "keys"},
            "total": result.total}  # fmt: skip


def clear_environment(project: Project, *, actor, environment=None) -> dict[str, Any]:
    """Delete exactly the rows seeding added to the environment (children first); user rows stay."""
    env = environments.get(project, environment)
    target, snapshot = _open(project, env, actor, writing=True)
    keys = {t: k for t, k in (env.seeded_keys or {}).items() if t in {x["table_name"] for x in snapshot["tables"]}}
    try:
        removed = seeding.clear(target.conn, target.schema, snapshot, keys)
    finally:
        target.close()
    env.seeded_keys = {}
    env.save(update_fields=["seeded_keys"])
    return {"environment": env.name, "removed": removed, "total": sum(removed.values())}


def environment_status(project: Project, *, actor, environment=None) -> dict[str, Any]:
    """Per deployed table: rows now, seeded rows still there, and the user's own rows."""
    env = environments.get(project, environment)
    target, snapshot = _open(project, env, actor, writing=False)
    try:
        tables = seeding.status(target.conn, target.schema, snapshot, env.seeded_keys or {})
    finally:
        target.close()
    return {"environment": env.name, "allow_seeding": env.allow_seeding, "tables": tables}
