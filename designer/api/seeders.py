"""Seed 004's seeders API per environment: ``POST …/seeders/run`` (realistic sample rows that PostgreSQL's own
constraints accept, reproducible by ``seed``), ``POST …/seeders/clear`` (exactly those rows) and
``GET …/seeders/status`` — the services the ``manage.py seed`` command uses too."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from designer.services import environments, sample_data
from designer.services.seeding import SeedError
from designer.services.targets import DeployRefused

from . import ratelimit
from .auth import project_for
from .deploys import environment_of, refused
from .errors import ApiError, responses

router = Router(tags=["seeders"])
ERRORS = ("UNAUTHORIZED", "PROJECT_NOT_FOUND", "ENVIRONMENT_NOT_FOUND", "RATE_LIMITED", "DEPLOY_IN_PROGRESS",
          "DEPLOY_REFUSED", "DEPLOY_TARGET_UNAVAILABLE", "VALIDATION_ERROR")  # fmt: skip


class SeedIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    environment: str = Field(examples=["dev"])
    rows_per_table: int = Field(100, ge=1, le=100_000)
    tables: list[str] | None = Field(None, description="Only these tables (their parents must have rows).")
    seed: int = Field(0, ge=0, le=2_147_483_647, description="The same seed gives the same rows.")


class ClearIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    environment: str = Field(examples=["dev"])


class SeedOut(Schema):
    environment: str
    seed: int
    rows_per_table: int
    total: int
    counts: dict[str, int] = Field(description="Rows added per table.")
    updated_references: dict[str, int] = Field(description="Second-pass references (cycles, self-references).")
    notes: list[str]


class ClearOut(Schema):
    environment: str
    removed: dict[str, int]
    total: int


class TableSeedStatus(Schema):
    deployed: bool
    rows: int
    seeded: int
    user: int


class SeedStatusOut(Schema):
    environment: str
    allow_seeding: bool
    tables: dict[str, TableSeedStatus]


class Where(Schema):
    environment: str = Field("dev", description="The environment (default dev).")


def _calling(work):
    try:
        return work()
    except DeployRefused as exc:
        raise refused(exc) from exc
    except SeedError as exc:
        raise ApiError("VALIDATION_ERROR", str(exc), details=[{"loc": ["body"], "msg": str(exc)}]) from exc


@router.post("/{project_id}/seeders/run", response={201: SeedOut, **responses(*ERRORS)},
             summary="Fill the environment's deployed tables with sample data")  # fmt: skip
def run_seeders(request: HttpRequest, project_id: str, payload: SeedIn):
    project = project_for(request, project_id, write=True)
    env = environment_of(project, payload.environment)
    environments.require_deploy_to(request.auth.user, env)
    ratelimit.hit(request, "schema_updates")
    return 201, _calling(
        lambda: sample_data.seed_environment(
            project,
            actor=request.auth.user,
            environment=env,
            rows_per_table=payload.rows_per_table,
            tables=payload.tables,
            seed=payload.seed,
        )
    )


@router.post("/{project_id}/seeders/clear", response={200: ClearOut, **responses(*ERRORS)},
             summary="Remove exactly the rows seeding added (user rows stay)")  # fmt: skip
def clear_seeders(request: HttpRequest, project_id: str, payload: ClearIn):
    project = project_for(request, project_id, write=True)
    env = environment_of(project, payload.environment)
    environments.require_deploy_to(request.auth.user, env)
    ratelimit.hit(request, "schema_updates")
    return _calling(lambda: sample_data.clear_environment(project, actor=request.auth.user, environment=env))


@router.get("/{project_id}/seeders/status", response={200: SeedStatusOut, **responses(*ERRORS)},
            summary="Rows per table: seeded and the user's own")  # fmt: skip
def seeders_status(request: HttpRequest, project_id: str, query: Query[Where]):
    project = project_for(request, project_id)
    env = environment_of(project, query.environment)
    return _calling(lambda: sample_data.environment_status(project, actor=request.auth.user, environment=env))
