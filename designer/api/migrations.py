"""Seed 000's migration generation: ``GET /v1/public/{project_id}/migration`` (the whole project) and
``GET …/tables/{table_id}/migration`` (one table), from what is deployed to a saved version or the current
design — the same :func:`designer.services.deploy.plan` the Deploy page shows, nothing run."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from designer.ddl import risk
from designer.models import SchemaVersion
from designer.services import deploy as deploy_service
from designer.services.targets import DeployRefused

from . import design, ratelimit
from .auth import project_for
from .errors import ApiError, responses
from .schemas import MigrationOut

router = Router(tags=["migrations"])
ERRORS = ("UNAUTHORIZED", "PROJECT_NOT_FOUND", "VERSION_NOT_FOUND", "RATE_LIMITED", "DEPLOY_TARGET_UNAVAILABLE",
          "VALIDATION_ERROR")  # fmt: skip


class Target(Schema):
    target_version: int | None = Field(
        None, ge=1, le=2_147_483_647, description="A saved version's number; absent: the current design."
    )


def _plan(project, target_version: int | None) -> deploy_service.Plan:
    snapshot = None
    if target_version is not None:
        version = SchemaVersion.objects.filter(project=project, version_number=target_version).first()
        if version is None:
            latest = SchemaVersion.objects.filter(project=project).values_list("version_number", flat=True).first()
            known = f"versions 1…{latest}" if latest else "no saved versions yet"
            raise ApiError("VERSION_NOT_FOUND", f"Version not found: {target_version} ({project.slug} has {known}).")
        snapshot = version.schema_snapshot
    try:
        return deploy_service.plan(project, design=snapshot)
    except (DeployRefused, *deploy_service.TARGET_ERRORS) as exc:
        raise ApiError(
            "DEPLOY_TARGET_UNAVAILABLE",
            f"The deploy database could not be planned against: {exc}. Check DEPLOY_DATABASE_URL.",
        ) from exc


def migration_out(plan: deploy_service.Plan, target_version: int | None, tables: set[str] | None = None) -> dict:
    """The plan as seed 000's ``{migration_sql, estimated_impact}`` (plus ``reverse_sql``), for all its tables or
    only the statements on ``tables`` (names in the deployed schema or the target)."""
    forward = [s for s in plan.forward if tables is None or s.table in tables]
    reverse = [s for s in plan.reverse if tables is None or s.table in tables]
    impact = [{k: v for k, v in s.as_dict().items() if k != "impact"} for s in forward]
    return {
        "from_version": plan.from_version.version_number if plan.from_version else None,
        "target_version": target_version,
        "target": plan.location,
        "migration_sql": "\n".join(s.sql for s in forward),
        "reverse_sql": "\n".join(s.sql for s in reverse),
        "estimated_impact": {
            "risk": risk.worst([s.risk for s in forward]),
            "destructive": any(s.risk == risk.DESTRUCTIVE for s in forward),
            "summary": plan.summary if tables is None else "; ".join(i["summary"] for i in impact if i["summary"]),
            "statements": impact,
            "tables": {n: t for n, t in plan.tables.items() if tables is None or n in tables},
            "warnings": [s.figures["warning"] for s in forward if s.figures.get("warning")],
        },
    }


@router.get(
    "/{project_id}/migration",
    response={200: MigrationOut, **responses(*ERRORS)},
    summary="The migration of the whole project from what is deployed to a version (or the design)",
)
def project_migration(request: HttpRequest, project_id: str, query: Query[Target]):
    project = project_for(request, project_id)
    ratelimit.hit(request, "migrations")
    return migration_out(_plan(project, query.target_version), query.target_version)


@router.get(
    "/{project_id}/tables/{table_id}/migration",
    response={200: MigrationOut, **responses(*ERRORS, "TABLE_NOT_FOUND")},
    summary="The migration of one table from what is deployed to a version (or the design)",
)
def table_migration(request: HttpRequest, project_id: str, table_id: str, query: Query[Target]):
    project = project_for(request, project_id)
    table = design.find_table(project, table_id)
    ratelimit.hit(request, "migrations")
    plan = _plan(project, query.target_version)
    uid = str(table.uid)
    names = {t["table_name"] for snap in (plan.base, plan.design) for t in snap["tables"] if t["id"] == uid}
    return migration_out(plan, query.target_version, names or {table.table_name})
