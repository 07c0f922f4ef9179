"""Plan, deploy, roll back, check drift and purge — a project's design on the target database.

The target is ``DEPLOY_DATABASE_URL`` (PostgreSQL); each project lives in its own schema named after its
slug (:func:`schema_name`), never among the app's own tables. A deploy:

1. takes a per-project advisory lock on the target (a second deploy at the same time is refused),
2. sets ``lock_timeout`` and ``statement_timeout``,
3. takes ``critical`` locks on the affected tables in the designer,
4. runs every statement in one transaction (on any error nothing is applied and the run records the
   failing statement),
5. introspects the target (in that transaction, before it commits) and requires no difference from the
   design (else ``failed_verification``),
6. moves deployed Draft tables to Active and records a :class:`DeployRun` with the forward and reverse SQL.

Rollback runs the reverse SQL of the last deploy (restoring kept-aside tables and columns with their data);
drift compares the live schema with the last deployed version; purge drops what deploys kept aside.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Max
from django.utils import timezone

from designer.ddl import risk
from designer.ddl.postgresql import Statement
from designer.introspect.compare import differences
from designer.models import (
    DataTable,
    DeployKind,
    DeployRun,
    DeployStatus,
    Project,
    SchemaVersion,
    TableLock,
)
from designer.models.lock import LockType
from designer.realtime import events
from designer.schema.diff import diff, summarize
from designer.schema.snapshot import Snapshot, empty_snapshot, schema_hash
from designer.schema.validation import check_transition

from . import locks as table_locks
from .snapshots import project_snapshot
from .targets import BATCH, DeployRefused, StatementFailed, claim_schema_name, schema_name, target_for

__all__ = [
    "DeployRefused",
    "deploy",
    "drift",
    "kept_objects",
    "plan",
    "purge",
    "rollback",
    "rollback_plan",
    "schema_name",
]
DEPLOY_PERMISSION = "designer.deploy_project"
Progress = Callable[[DeployRun, int, int], None]


# --- who --------------------------------------------------------------------------------------------
def can_deploy(user) -> bool:
    """Staff, and users granted ``designer.deploy_project`` (superusers have every permission)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return bool(user.is_staff or user.has_perm(DEPLOY_PERMISSION))


def require_deployer(user) -> None:
    """Deploys, rollbacks and purges need staff or the ``designer.deploy_project`` permission (``None`` = the
    shell)."""
    if user is None:
        return
    if not can_deploy(user):
        raise PermissionDenied("Deploying needs the permission “Can deploy a project's schema”. Ask an administrator.")


# --- what is deployed -----------------------------------------------------------------------------
def effective_runs(project: Project):
    """Deploy runs whose result is in the database now (applied and not rolled back), newest first."""
    return (
        DeployRun.objects.filter(
            project=project,
            kind=DeployKind.DEPLOY,
            status__in=[DeployStatus.SUCCEEDED, DeployStatus.FAILED_VERIFICATION],
            reverted_by__isnull=True,
        )
        .select_related("to_version", "from_version")
        .order_by("-number")
    )


def deployed_version(project: Project) -> SchemaVersion | None:
    run = effective_runs(project).first()
    return run.to_version if run else None


def deployed_snapshot(project: Project) -> Snapshot:
    version = deployed_version(project)
    return version.schema_snapshot if version else empty_snapshot()


TARGET_ERRORS = (psycopg.Error, sqlite3.Error, ValueError, OSError)


def live_row_counts(project: Project, tables: list[str]) -> dict[str, int] | None:
    """Rows of the project's deployed tables (0 for a table not deployed); None when the target cannot answer."""
    if not project.deploy_schema or not effective_runs(project).exists():
        return dict.fromkeys(tables, 0)
    try:
        with target_for(project) as target:
            counts = target.row_counts(tables)
    except (DeployRefused, *TARGET_ERRORS):
        return None
    return {name: counts.get(name, 0) for name in tables}


# --- plan -----------------------------------------------------------------------------------------
@dataclass
class Plan:
    project: Project
    schema: str
    location: str
    tag: str
    number: int
    base: Snapshot
    design: Snapshot
    changes: list[dict]
    forward: list[Statement]
    reverse: list[Statement]
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # live figures per table
    from_version: SchemaVersion | None = None
    reverts: DeployRun | None = None  # a rollback plan: the deploy it undoes

    @property
    def risk(self) -> str:
        return risk.worst([s.risk for s in self.forward])

    @property
    def destructive(self) -> bool:
        return self.risk == risk.DESTRUCTIVE

    @property
    def summary(self) -> str:
        return summarize(self.changes)

    @property
    def sql(self) -> str:
        return "\n".join(s.sql for s in self.forward)

    @property
    def digest(self) -> str:
        """Identifies exactly this SQL: a deploy approved on a plan refuses to run a different one."""
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def warnings(self) -> list[str]:
        return [s.figures["warning"] for s in self.forward if s.figures.get("warning")]


def _next_number(project: Project) -> int:
    return (DeployRun.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1


def plan(project: Project, *, measure: bool = True, target=None, design: Snapshot | None = None) -> Plan:
    """The forward and reverse SQL from what is deployed to the design (or to ``design``, e.g. a saved
    version's snapshot), with live figures from the target."""
    number = _next_number(project)
    base = deployed_snapshot(project)
    design = project_snapshot(project) if design is None else design
    own = target is None
    target = target or target_for(project)
    forward, reverse = target.compile(base, design, f"d{number}")
    result = Plan(
        project=project,
        schema=target.schema,
        location=target.location,
        tag=f"d{number}",
        number=number,
        base=base,
        design=design,
        changes=diff(base, design, canonical=True),
        forward=forward,
        reverse=reverse,
        from_version=deployed_version(project),
    )
    if measure:
        _measure(result, target, own)
    return result


def _measure(plan_: Plan, target, own: bool) -> None:
    if not plan_.forward:
        return
    if own:
        with target:
            target.measure(plan_)
    else:
        target.measure(plan_)


def rollback_plan(project: Project, *, measure: bool = True, target=None) -> Plan | None:
    """What a rollback would run: the reverse SQL of the last effective deploy, with the same lock, risk and
    live figures as a deploy plan (``None`` when there is nothing to roll back)."""
    last = effective_runs(project).first()
    if last is None:
        return None
    number = _next_number(project)
    base = last.to_version.schema_snapshot if last.to_version else deployed_snapshot(project)
    intended = last.from_version.schema_snapshot if last.from_version else empty_snapshot()
    own = target is None
    target = target or target_for(project)
    result = Plan(
        project=project,
        schema=last.target_schema,
        location=target.location,
        tag=f"{last.tag}r",
        number=number,
        base=base,
        design=intended,
        changes=diff(base, intended, canonical=True),
        forward=[Statement(**{**st, "figures": {}}) for st in last.reverse_statements],
        reverse=[Statement(**{**st, "figures": {}}) for st in last.statements],
        from_version=last.to_version,
    )
    result.reverts = last
    if measure:
        _measure(result, target, own)
    return result


# --- table locks (critical, taken by deploy) ------------------------------------------------------
def take_critical_locks(project: Project, table_names: set[str], *, user, reason: str) -> list[TableLock]:
    """Critical locks on the affected tables, through the lock service (so viewers see them live), all or none.

    Refuses (``DeployRefused``) when someone else holds a live lock on one of them; a lock the deployer holds
    himself is upgraded to critical for the deploy. A shell deploy (``user`` None) locks in the owner's name.
    One statement locks all the free tables (``locks.acquire_many``); each lock is still announced per table.
    """
    actor = user or project.owner
    tables = list(DataTable.objects.filter(project=project, table_name__in=table_names).select_related("project"))
    try:
        return table_locks.acquire_many(
            tables, actor=actor, lock_type=LockType.CRITICAL, reason=reason, by_operator=user is None
        )
    except table_locks.TableLocked as exc:
        raise DeployRefused(
            f"Table {exc.table.table_name} is locked by {exc.holder} until "
            f"{timezone.localtime(exc.expires_at):%H:%M:%S}; wait for the lock to end or break it first."
        ) from exc


def release_locks(locks: list[TableLock]) -> None:
    """Give the deploy's locks back: one UPDATE (``locks.release_many``), ``lock.released`` per table."""
    table_locks.release_many(locks)


# --- running -----------------------------------------------------------------------------------------
def _activate_deployed_tables(project: Project, design: Snapshot, actor) -> None:
    """Deployed Draft tables become Active (seed 002's lifecycle: only a deploy makes that move)."""
    deployed = {t["id"] for t in design["tables"]}
    tables = [t for t in DataTable.objects.filter(project=project, status="draft") if str(t.uid) in deployed]
    for table in tables:
        check_transition(table.status, "active", by_deploy=True)
        table.status = "active"
        table.revision += 1
        table.updated_at = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    DataTable.objects.filter(pk__in=[t.pk for t in tables]).update(
        status="active", revision=F("revision") + 1, updated_at=timezone.now()
    )
    DataTable.history.bulk_history_create(tables, update=True, default_user=user)
    events.tables_changed(project.pk, tables, by=actor)  # schema.changed per table, sent together


FINAL_FIELDS = [
    "status",
    "error",
    "failed_statement",
    "verification",
    "live_warnings",
    "statements_done",
    "reverts",
    "finished_at",
    "duration_ms",
]


def _finish(run: DeployRun, started: float) -> DeployRun:
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save(update_fields=FINAL_FIELDS)  # the statements were written once, at the start
    return run


def _verify(target, run: DeployRun, intended: Snapshot) -> None:
    live = target.introspect()
    run.verification = differences(intended, live, dialect=target.dialect)
    run.live_warnings = list(live.get("warnings", []))  # drift compares against these later
    run.status = DeployStatus.FAILED_VERIFICATION if run.verification else DeployStatus.SUCCEEDED


def _broadcast(project: Project, event: str, payload: dict) -> None:
    """Tell the project's websocket group (``deploy.progress`` / ``deploy.finished``), after the commit."""
    events.deploy(project.pk, event.removeprefix("deploy."), **payload)


def _reporter(run: DeployRun, progress: Progress | None) -> Progress:
    """Per batch (every ``BATCH`` statements) at most every ``DEPLOY_PROGRESS_INTERVAL`` seconds, and at the end:
    the run's counter in the app database (the progress partial reads it) and ``deploy.progress`` to the project's
    viewers — a commit and a broadcast each, so a fast deploy is not slowed down by telling about it; then the
    caller's callback (every time)."""
    every = float(getattr(settings, "DEPLOY_PROGRESS_INTERVAL", 0.25))
    sent = {"done": 0, "at": time.monotonic()}

    def report(run_: DeployRun, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or (done - sent["done"] >= BATCH and now - sent["at"] >= every):
            sent["done"], sent["at"] = done, now
            DeployRun.objects.filter(pk=run.pk).update(statements_done=done)
            _broadcast(run.project, "deploy.progress", {"run": run.number, "done": done, "total": total})
        if progress is not None:
            progress(run_, done, total)

    return report


def _run(target, run: DeployRun, intended: Snapshot, progress: Progress | None) -> bool:
    """Execute the run's statements and verify convergence (the caller releases its locks). True when applied."""
    started = time.monotonic()
    _broadcast(run.project, "deploy.progress", {"run": run.number, "done": 0, "total": len(run.statements)})
    try:  # the convergence check reads the target inside the deploy's transaction, just before it commits
        target.execute(
            run, run.statements, _reporter(run, progress), before_commit=lambda: _verify(target, run, intended)
        )
    except StatementFailed:
        run.status = DeployStatus.FAILED
        run.verification, run.live_warnings = [], []  # nothing was applied, so nothing was verified
        _finish(run, started)
        return False
    run.statements_done = len(run.statements)
    _finish(run, started)
    return True


# --- deploy -----------------------------------------------------------------------------------------
def _claim_target_schema(project: Project, target, locks) -> None:
    """Store the project's schema name once its deploy is sure to run (every refusal is behind it, so a
    refused first deploy claims nothing). Another project claiming that same name since the target was opened
    (two first deploys racing) refuses this one, which then deploys into its next candidate."""
    try:
        claimed = claim_schema_name(project)
        if claimed != target.schema:
            raise DeployRefused(
                f"Another project took the schema {target.schema} a moment ago; {project.name} deploys into "
                f"{claimed} instead. Review the plan and deploy again."
            )
    except DeployRefused:
        release_locks(locks)
        raise


def deploy(
    project: Project,
    *,
    actor,
    confirm_name: str | None = None,
    message: str = "",
    progress: Progress | None = None,
    expected_digest: str | None = None,
) -> DeployRun:
    """Deploy the current design. Raises ``PermissionDenied``, ``DeployRefused`` or ``ValidationError``
    (destructive plan without the typed project name) before anything runs; returns the DeployRun (whose
    status says how it ended) otherwise."""
    from .versions import version_for_design

    require_deployer(actor)
    target = target_for(project)  # its schema: the stored name, or the one this first deploy will claim
    target.open(lock=True)
    try:
        p = plan(project, measure=True, target=target)
        if expected_digest is not None and expected_digest != p.digest:
            raise DeployRefused("The design changed since you opened the plan. Review the new plan and deploy again.")
        if p.destructive and confirm_name != project.name:
            raise ValidationError(
                {"confirm_name": [f"This plan drops data. Type the project name ({project.name}) to confirm."]}
            )
        locks = take_critical_locks(project, {s.table for s in p.forward if s.table}, user=actor, reason="Deploy")
        _claim_target_schema(project, target, locks)
        run = DeployRun.objects.create(
            project=project,
            number=p.number,
            kind=DeployKind.DEPLOY,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            from_version=p.from_version,
            from_hash=p.from_version.schema_hash if p.from_version else "",
            to_hash=schema_hash(p.design),
            target_schema=p.schema,
            statements=[s.as_dict() for s in p.forward],
            reverse_statements=[s.as_dict() for s in p.reverse],
        )
        try:  # Draft -> Active while the deploy still holds its critical locks
            if _run(target, run, p.design, progress):
                # only an applied run records a version: a failed one changed nothing, so nothing advances
                run.to_version = version_for_design(
                    project, actor=actor, message=message or "Deployed", snapshot=p.design
                )
                run.save(update_fields=["to_version"])
                if run.status == DeployStatus.SUCCEEDED:
                    _activate_deployed_tables(project, p.design, actor)
        finally:
            release_locks(locks)
        _broadcast(project, "deploy.finished", {"run": run.number, "status": run.status})
        return run
    finally:
        target.close()


def _require_kept_data(target, last: DeployRun) -> None:
    """A rollback that must bring back kept-aside data is refused once that data was purged."""
    mark = re.compile(rf"kept_{last.tag}(?![0-9r])")
    if not any(mark.search(s["sql"]) for s in last.reverse_statements):
        return
    kept = target.kept()
    if not any(mark.search(f"{k['schema']}.{k['table']}.{k['column']}") for k in kept):
        raise DeployRefused(
            f"Deploy #{last.number} dropped data that has since been purged, so it cannot be rolled back. "
            "Restore an earlier version into the design and deploy it instead."
        )


def rollback(
    project: Project,
    *,
    actor,
    confirm_name: str | None = None,
    progress: Progress | None = None,
    expected_digest: str | None = None,
) -> DeployRun:
    """Undo the last effective deploy with its reverse SQL (kept-aside tables and columns come back).

    Like a deploy: a destructive reverse plan (it drops what the deploy added) needs the typed project name,
    and ``expected_digest`` (from the previewed :func:`rollback_plan`) refuses to run a different one."""
    require_deployer(actor)
    target = target_for(project)
    target.open(lock=True)
    try:
        p = rollback_plan(project, measure=True, target=target)
        if p is None:
            raise DeployRefused(f"{project.name} has no deploy to roll back.")
        last = p.reverts
        if expected_digest is not None and expected_digest != p.digest:
            raise DeployRefused("Another deploy or rollback ran since you opened this preview. Review it again.")
        _require_kept_data(target, last)
        if p.destructive and confirm_name != project.name:
            raise ValidationError(
                {"confirm_name": [f"This rollback drops data. Type the project name ({project.name}) to confirm."]}
            )
        tables = {s["table"] for s in last.reverse_statements if s["table"]}
        locks = take_critical_locks(project, tables, user=actor, reason="Rollback")
        run = DeployRun.objects.create(
            project=project,
            number=p.number,
            kind=DeployKind.ROLLBACK,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            from_version=last.to_version,
            to_version=last.from_version,
            from_hash=last.to_hash,
            to_hash=last.from_hash,
            target_schema=last.target_schema,
            statements=[s.as_dict() for s in p.forward],
            reverse_statements=last.statements,
        )
        try:
            if _run(target, run, p.design, progress):
                run.reverts = last
                run.save(update_fields=["reverts"])
        finally:
            release_locks(locks)
        _broadcast(project, "deploy.finished", {"run": run.number, "status": run.status})
        return run
    finally:
        target.close()


# --- drift and purge ----------------------------------------------------------------------------------
def drift(project: Project) -> list[str]:
    """Every difference between the live schema and the last deployed version (empty = no drift), including
    objects the design cannot hold (views, triggers, sequences, domains…) added or removed since the last run."""
    with target_for(project) as target:
        live = target.introspect()
        report = differences(
            deployed_snapshot(project), live, intended_label="last deployed version", dialect=target.dialect
        )
    last = (
        DeployRun.objects.filter(project=project, status__in=[DeployStatus.SUCCEEDED, DeployStatus.FAILED_VERIFICATION])
        .order_by("-number")
        .values_list("live_warnings", flat=True)
        .first()
    ) or []
    now = list(live.get("warnings", []))
    report += [f"added outside Tablewright: {w}" for w in now if w not in last]
    report += [f"removed outside Tablewright: {w}" for w in last if w not in now]
    return report


def kept_objects(project: Project) -> list[dict[str, Any]]:
    """Tables and columns that deploys moved aside (restorable by rollback until purged)."""
    with target_for(project) as target:
        return target.kept()


def purge(project: Project, *, actor) -> list[str]:
    """Drop everything deploys kept aside (one transaction, never CASCADE). Returns what was dropped."""
    require_deployer(actor)
    target = target_for(project)
    target.open(lock=True)
    try:
        return target.purge(target.kept())
    finally:
        target.close()
