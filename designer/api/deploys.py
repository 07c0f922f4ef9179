"""Seed 004's migrations API per environment: ``POST …/migrations/run`` (deploy the design, a saved version, or
promote what runs in another environment), ``POST …/migrations/rollback``, ``GET …/migrations/status`` and
``GET …/migrations/runs/{number}`` — the Deploy page's services and rules (the environment's deploy right, the
advisory lock, the typed confirmation of a destructive plan), counted as "migration generation"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from designer.models import DeployRun, SchemaVersion
from designer.services import deploy as deploy_service
from designer.services import environments
from designer.services.deploy_target import DeployBusy, DeployTargetMisconfigured, DeployTargetUnreachable
from designer.services.targets import DeployRefused

from . import ratelimit
from .auth import project_for
from .errors import ApiError, responses

router = Router(tags=["migrations"])
WRITE_ERRORS = ("UNAUTHORIZED", "PROJECT_NOT_FOUND", "ENVIRONMENT_NOT_FOUND", "VERSION_NOT_FOUND", "RATE_LIMITED",
                "DEPLOY_IN_PROGRESS", "DEPLOY_REFUSED", "DEPLOY_TARGET_UNAVAILABLE", "VALIDATION_ERROR")  # fmt: skip


class _In(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class RunIn(_In):
    environment: str = Field(description="Where to deploy (``dev``, ``staging``, ``prod``…).", examples=["dev"])
    version: int | None = Field(None, ge=1, le=2_147_483_647, description="A saved version; absent: the design.")
    from_environment: str | None = Field(
        None, description="Promote: deploy exactly the version running there (instead of ``version``)."
    )
    confirm: str | None = Field(None, description="The project's name: required when the plan drops data.")
    expected_digest: str | None = Field(None, description="Refuse unless the plan is still this one (from a preview).")


class RollbackIn(_In):
    environment: str = Field(examples=["dev"])
    confirm: str | None = Field(None, description="The project's name: required when the rollback drops data.")


class RehearseIn(_In):
    environment: str = Field(examples=["dev"])
    sample_rows: int | None = Field(None, ge=1, le=1_000_000, description="Rows copied per table (default 10,000).")


class RehearsalFailure(Schema):
    index: int = Field(description="The statement's position in the plan.")
    sql: str
    kind: str = Field(description="not_null, unique, check, foreign_key, cast or error")
    table: str | None = None
    column: str | None = None
    error: str
    rows: int | None = Field(None, description="Rows that block the statement (in the copy).")
    of_rows: int | None = None
    examples: list[Any] = Field(default_factory=list)
    sampled: bool = False
    summary: str


class RehearsalOut(Schema):
    environment: str
    success: bool
    summary: str
    duration_ms: int
    statements_total: int
    statements_run: int
    statements_failed: int
    sampled_tables: list[str]
    failures: list[RehearsalFailure]
    digest: str = Field(description="The plan rehearsed; a run with this expected_digest deploys exactly it.")


class RunOut(Schema):
    run: int = Field(description="The run's number in the project.")
    environment: str
    kind: str = Field(description="deploy or rollback")
    status: str = Field(description="running, succeeded, failed, failed_verification")
    from_version: int | None
    to_version: int | None
    statements: int
    statements_done: int
    error: str
    failed_statement: str
    verification: list[str]
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    status_url: str


class EnvironmentStatus(Schema):
    name: str
    position: int
    target: str = Field(description="Its schema (or SQLite file) in the deploy database.")
    own_database: bool = Field(description="True when DEPLOY_DATABASE_URL_<NAME> gives it a database of its own.")
    deployed_version: int | None
    pending_changes: list[str] = Field(description="What deploying the design there would change, one per line.")
    pending_summary: str
    last_run: RunOut | None
    drift: list[str] | None = Field(description="Differences of the live schema from its deployed version.")
    drift_error: str
    can_deploy: bool = Field(description="Whether this key's user may deploy there.")
    allow_seeding: bool


class StatusOut(Schema):
    project_id: str
    environments: list[EnvironmentStatus]


def run_out(run: DeployRun) -> dict[str, Any]:
    return {
        "run": run.number,
        "environment": run.environment.name,
        "kind": run.kind,
        "status": run.status,
        "from_version": run.from_version.version_number if run.from_version else None,
        "to_version": run.to_version.version_number if run.to_version else None,
        "statements": len(run.statements),
        "statements_done": run.statements_done,
        "error": run.error,
        "failed_statement": run.failed_statement,
        "verification": list(run.verification or []),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "status_url": reverse("api:migration_run", kwargs={"project_id": run.project.slug, "number": run.number}),
    }


def environment_of(project, name: str):
    try:
        return environments.get(project, name)
    except ValidationError as exc:
        raise ApiError("ENVIRONMENT_NOT_FOUND", exc.messages[0]) from None


def refused(exc: DeployRefused) -> ApiError:
    """A service's refusal in the API's words."""
    if isinstance(exc, DeployBusy):
        return ApiError("DEPLOY_IN_PROGRESS", str(exc))
    if isinstance(exc, DeployTargetMisconfigured | DeployTargetUnreachable):
        return ApiError("DEPLOY_TARGET_UNAVAILABLE", str(exc))
    return ApiError("DEPLOY_REFUSED", str(exc))


def _version(project, number: int) -> SchemaVersion:
    version = SchemaVersion.objects.filter(project=project, version_number=number).first()
    if version is None:
        raise ApiError("VERSION_NOT_FOUND", f"Version not found: {number} ({project.slug} has no such version).")
    return version


@router.post(
    "/{project_id}/migrations/run",
    response={201: RunOut, **responses(*WRITE_ERRORS)},
    summary="Deploy the design, a saved version, or what runs in another environment, to an environment",
)
def run_migrations(request: HttpRequest, project_id: str, payload: RunIn):
    project = project_for(request, project_id, write=True)
    env = environment_of(project, payload.environment)
    environments.require_deploy_to(request.auth.user, env)
    ratelimit.hit(request, "migrations")
    if payload.version is not None and payload.from_environment is not None:
        raise ApiError(
            "VALIDATION_ERROR",
            "Give either version or from_environment, not both.",
            details=[{"loc": ["body", "from_environment"], "msg": "only one of version, from_environment"}],
        )
    try:
        if payload.from_environment is not None:
            run = deploy_service.promote(
                project,
                actor=request.auth.user,
                source=environment_of(project, payload.from_environment),
                target_env=env,
                confirm_name=payload.confirm,
                expected_digest=payload.expected_digest,
            )
        else:
            run = deploy_service.deploy(
                project,
                actor=request.auth.user,
                environment=env,
                version=_version(project, payload.version) if payload.version is not None else None,
                confirm_name=payload.confirm,
                expected_digest=payload.expected_digest,
            )
    except DeployRefused as exc:
        raise refused(exc) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "confirm_name" in exc.error_dict:
            raise ValidationError({"confirm": exc.error_dict["confirm_name"]}) from exc
        raise
    return 201, run_out(run)


@router.post(
    "/{project_id}/migrations/rollback",
    response={201: RunOut, **responses(*WRITE_ERRORS)},
    summary="Undo the environment's last deploy (kept-aside data comes back)",
)
def rollback_migrations(request: HttpRequest, project_id: str, payload: RollbackIn):
    project = project_for(request, project_id, write=True)
    env = environment_of(project, payload.environment)
    environments.require_deploy_to(request.auth.user, env)
    ratelimit.hit(request, "migrations")
    try:
        run = deploy_service.rollback(project, actor=request.auth.user, environment=env, confirm_name=payload.confirm)
    except DeployRefused as exc:
        raise refused(exc) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "confirm_name" in exc.error_dict:
            raise ValidationError({"confirm": exc.error_dict["confirm_name"]}) from exc
        raise
    return 201, run_out(run)


@router.post(
    "/{project_id}/migrations/rehearse",
    response={200: RehearsalOut, **responses(*WRITE_ERRORS)},
    summary="Test the update: run the environment's next plan on a copy of its data, always rolled back",
)
def rehearse_migrations(request: HttpRequest, project_id: str, payload: RehearseIn):
    project = project_for(request, project_id, write=True)
    env = environment_of(project, payload.environment)
    environments.require_deploy_to(request.auth.user, env)
    ratelimit.hit(request, "migrations")
    try:
        return deploy_service.rehearse(
            project, actor=request.auth.user, environment=env, sample_rows=payload.sample_rows
        )
    except DeployRefused as exc:
        raise refused(exc) from exc


@router.get(
    "/{project_id}/migrations/status",
    response={200: StatusOut, **responses("UNAUTHORIZED", "PROJECT_NOT_FOUND")},
    summary="Per environment: deployed version, pending changes, last run, drift",
)
def migrations_status(request: HttpRequest, project_id: str):
    project = project_for(request, project_id)
    base = deploy_service.schema_name(project)
    out = []
    for state in deploy_service.environment_states(project, request.auth.user, with_drift=True):
        env = state.environment
        out.append(
            {
                "name": env.name,
                "position": env.position,
                "target": environments.schema_for(base, env),
                "own_database": environments.database_url(env) is not None,
                "deployed_version": state.version.version_number if state.version else None,
                "pending_changes": [c.get("summary") or c["op"] for c in state.pending],
                "pending_summary": state.pending_summary,
                "last_run": run_out(state.last_run) if state.last_run else None,
                "drift": state.drift,
                "drift_error": state.drift_error,
                "can_deploy": state.can_deploy,
                "allow_seeding": env.allow_seeding,
            }
        )
    return {"project_id": project.slug, "environments": out}


@router.get(
    "/{project_id}/migrations/runs/{number}",
    response={200: RunOut, **responses("UNAUTHORIZED", "PROJECT_NOT_FOUND", "RUN_NOT_FOUND", "VALIDATION_ERROR")},
    summary="One deploy or rollback run: its status and progress",
    url_name="migration_run",
)
def migration_run(request: HttpRequest, project_id: str, number: int):
    project = project_for(request, project_id)
    run = (
        DeployRun.objects.filter(project=project, number=number)
        .select_related("environment", "from_version", "to_version", "project")
        .first()
    )
    if run is None:
        raise ApiError("RUN_NOT_FOUND", f"{project.slug} has no run #{number}.")
    return run_out(run)
