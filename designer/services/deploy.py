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

from . import environments
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


def require_deployer(user, env=None) -> None:
    """Deploys, rollbacks and purges need staff or the ``designer.deploy_project`` permission (``None`` = the
    shell); in an environment that lets editors deploy (dev by default), the project's editors may too."""
    if user is None:
        return
    if env is not None:
        environments.require_deploy_to(user, env)
        return
    if not can_deploy(user):
        raise PermissionDenied("Deploying needs the permission “Can deploy a project's schema”. Ask an administrator.")


# --- what is deployed -----------------------------------------------------------------------------
def effective_runs(project: Project, environment=None):
    """Deploy runs whose result is in the environment's database now (applied and not rolled back), newest
    first (``environment``: an Environment, its name, or ``None`` for the primary one)."""
    return (
        DeployRun.objects.filter(
            project=project,
            environment=environments.get(project, environment),
            kind=DeployKind.DEPLOY,
            status__in=[DeployStatus.SUCCEEDED, DeployStatus.FAILED_VERIFICATION],
            reverted_by__isnull=True,
        )
        .select_related("to_version", "from_version")
        .order_by("-number")
    )


def deployed_version(project: Project, environment=None) -> SchemaVersion | None:
    run = effective_runs(project, environment).first()
    return run.to_version if run else None


def deployed_snapshot(project: Project, environment=None) -> Snapshot:
    version = deployed_version(project, environment)
    return version.schema_snapshot if version else empty_snapshot()


def deployed_anywhere(project: Project) -> set[str]:
    """Stable ids of the tables deployed in at least one environment."""
    ids: set[str] = set()
    for env in environments.of(project):
        ids |= {t["id"] for t in deployed_snapshot(project, env)["tables"]}
    return ids


TARGET_ERRORS = (psycopg.Error, sqlite3.Error, ValueError, OSError)


def live_row_counts(project: Project, tables: list[str], environment=None) -> dict[str, int] | None:
    """Rows of the project's deployed tables (0 for a table not deployed); None when the target cannot answer."""
    if not project.deploy_schema or not effective_runs(project, environment).exists():
        return dict.fromkeys(tables, 0)
    try:
        with target_for(project, environment) as target:
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
    environment: Any = None
    version: SchemaVersion | None = None  # a promotion: the exact version it deploys

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


def plan(
    project: Project,
    *,
    measure: bool = True,
    target=None,
    design: Snapshot | None = None,
    environment=None,
    version: SchemaVersion | None = None,
) -> Plan:
    """The forward and reverse SQL from what is deployed in the environment (``None``: the primary one) to the
    design (or to ``design``, or to a saved ``version`` — a promotion), with live figures from the target."""
    env = target.environment if target is not None and target.environment is not None else None
    env = env or environments.get(project, environment)
    number = _next_number(project)
    base = deployed_snapshot(project, env)
    if version is not None:
        design = version.schema_snapshot
    design = project_snapshot(project) if design is None else design
    own = target is None
    target = target or target_for(project, env)
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
        from_version=deployed_version(project, env),
        environment=env,
        version=version,
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


def rollback_plan(project: Project, *, measure: bool = True, target=None, environment=None) -> Plan | None:
    """What a rollback would run: the reverse SQL of the environment's last effective deploy, with the same
    lock, risk and live figures as a deploy plan (``None`` when there is nothing to roll back)."""
    env = target.environment if target is not None and target.environment is not None else None
    env = env or environments.get(project, environment)
    last = effective_runs(project, env).first()
    if last is None:
        return None
    number = _next_number(project)
    base = last.to_version.schema_snapshot if last.to_version else deployed_snapshot(project, env)
    intended = last.from_version.schema_snapshot if last.from_version else empty_snapshot()
    own = target is None
    target = target or target_for(project, env)
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
        environment=env,
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
            # the deploy service checked the environment's deploy right (editors may deploy to dev)
            tables,
            actor=actor,
            lock_type=LockType.CRITICAL,
            reason=reason,
            by_operator=True,
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
        claimed = environments.schema_for(claim_schema_name(project), target.environment)
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
    environment=None,
    version: SchemaVersion | None = None,
) -> DeployRun:
    """Deploy the current design (or a saved ``version``: a promotion deploys exactly what runs in the previous
    environment) to ``environment`` (``None``: the primary one). Raises ``PermissionDenied``, ``DeployRefused``
    or ``ValidationError`` (destructive plan without the typed project name) before anything runs; returns the
    DeployRun (whose status says how it ended) otherwise."""
    from .versions import version_for_design

    env = environments.get(project, environment)
    require_deployer(actor, env)
    target = target_for(project, env)  # its schema: the stored name, or the one this first deploy will claim
    target.open(lock=True)
    try:
        p = plan(project, measure=True, target=target, version=version)
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
            environment=env,
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
                run.to_version = version or version_for_design(
                    project, actor=actor, message=message or f"Deployed to {env.name}", snapshot=p.design
                )
                run.save(update_fields=["to_version"])
                if run.status == DeployStatus.SUCCEEDED:
                    _activate_deployed_tables(project, p.design, actor)
        finally:
            release_locks(locks)
        _broadcast(project, "deploy.finished", {"run": run.number, "status": run.status, "environment": env.name})
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
    environment=None,
) -> DeployRun:
    """Undo the environment's last effective deploy with its reverse SQL (kept-aside tables and columns come
    back).

    Like a deploy: a destructive reverse plan (it drops what the deploy added) needs the typed project name,
    and ``expected_digest`` (from the previewed :func:`rollback_plan`) refuses to run a different one."""
    env = environments.get(project, environment)
    require_deployer(actor, env)
    target = target_for(project, env)
    target.open(lock=True)
    try:
        p = rollback_plan(project, measure=True, target=target)
        if p is None:
            raise DeployRefused(f"{project.name} has no deploy to roll back in {env.name}.")
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
            environment=env,
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
        _broadcast(project, "deploy.finished", {"run": run.number, "status": run.status, "environment": env.name})
        return run
    finally:
        target.close()


# --- drift and purge ----------------------------------------------------------------------------------
def drift(project: Project, environment=None) -> list[str]:
    """Every difference between the environment's live schema and its last deployed version (empty = no drift),
    including objects the design cannot hold (views, triggers, sequences, domains…) added or removed since the
    last run."""
    env = environments.get(project, environment)
    with target_for(project, env) as target:
        live = target.introspect()
        report = differences(
            deployed_snapshot(project, env), live, intended_label="last deployed version", dialect=target.dialect
        )
    last = (
        DeployRun.objects.filter(
            project=project, environment=env, status__in=[DeployStatus.SUCCEEDED, DeployStatus.FAILED_VERIFICATION]
        )
        .order_by("-number")
        .values_list("live_warnings", flat=True)
        .first()
    ) or []
    now = list(live.get("warnings", []))
    report += [f"added outside Tablewright: {w}" for w in now if w not in last]
    report += [f"removed outside Tablewright: {w}" for w in last if w not in now]
    return report


def kept_objects(project: Project, environment=None) -> list[dict[str, Any]]:
    """Tables and columns that deploys moved aside (restorable by rollback until purged)."""
    with target_for(project, environment) as target:
        return target.kept()


def purge(project: Project, *, actor, environment=None) -> list[str]:
    """Drop everything deploys kept aside (one transaction, never CASCADE). Returns what was dropped."""
    env = environments.get(project, environment)
    require_deployer(actor, env)
    target = target_for(project, env)
    target.open(lock=True)
    try:
        return target.purge(target.kept())
    finally:
        target.close()


# --- environments -------------------------------------------------------------------------------------
def promote(project: Project, *, actor, source, target_env=None, confirm_name: str | None = None,
            progress: Progress | None = None, expected_digest: str | None = None) -> DeployRun:  # fmt: skip
    """Deploy exactly the version running in ``source`` to the next environment (or ``target_env``): its
    snapshot, not the design as it is now."""
    src = environments.get(project, source)
    dest = environments.get(project, target_env) if target_env is not None else environments.next_of(src)
    if dest is None:
        raise DeployRefused(f"{src.name} is the last environment; there is nothing to promote it to.")
    if dest.pk == src.pk:
        raise DeployRefused(f"Promote from {src.name} to another environment.")
    version = deployed_version(project, src)
    if version is None:
        raise DeployRefused(f"Nothing is deployed in {src.name} yet; deploy there first, then promote.")
    return deploy(
        project,
        actor=actor,
        confirm_name=confirm_name,
        message=f"Promoted from {src.name}",
        progress=progress,
        expected_digest=expected_digest,
        environment=dest,
        version=version,
    )


@dataclass
class EnvironmentState:
    """One row of the Deploy page's matrix (and of the migrations API's status)."""

    environment: Any
    version: SchemaVersion | None
    pending: list[dict]
    last_run: DeployRun | None
    can_deploy: bool
    drift: list[str] | None = None  # None: not checked (or the target cannot answer: ``drift_error``)
    drift_error: str = ""
    promote_from: Any = None  # the previous environment, when it runs another version than this one

    @property
    def pending_summary(self) -> str:
        return summarize(self.pending) if self.pending else ""


def environment_states(project: Project, user, *, with_drift: bool = False) -> list[EnvironmentState]:
    """Per environment: the deployed version, what the design would change there, the last run, whether
    ``user`` may deploy there, and (``with_drift``) the drift of its live schema."""
    design = project_snapshot(project)
    states = []
    previous = None
    for env in environments.of(project):
        version = deployed_version(project, env)
        base = version.schema_snapshot if version else empty_snapshot()
        state = EnvironmentState(
            environment=env,
            version=version,
            pending=diff(base, design, canonical=True),
            last_run=DeployRun.objects.filter(project=project, environment=env).order_by("-number").first(),
            can_deploy=environments.can_deploy_to(user, env),
        )
        if (
            previous is not None
            and previous.version is not None
            and (version is None or previous.version.pk != version.pk)
        ):
            state.promote_from = previous.environment
        if with_drift and version is not None:
            try:
                state.drift = drift(project, env)
            except (DeployRefused, *TARGET_ERRORS) as exc:
                state.drift_error = str(exc)
        states.append(state)
        previous = state
    return states


def rehearse(project: Project, *, actor, environment=None, sample_rows: int | None = None) -> dict[str, Any]:
    """Seed 000's "test update": run the environment's exact next plan on a copy of its structure and a bounded
    sample of its rows, in a transaction that is always rolled back; the report (success, duration, each failing
    statement with the rows that block it) is kept on the environment with the plan's digest, so the Deploy page
    can say whether the plan it shows failed its rehearsal."""
    from . import rehearsal

    env = environments.get(project, environment)
    require_deployer(actor, env)
    target = target_for(project, env)
    if target.dialect != "postgresql":
        raise DeployRefused("Rehearsals need a PostgreSQL deploy database (DEPLOY_DATABASE_URL=postgres://…).")
    target.open(lock=False)
    try:
        p = plan(project, measure=False, target=target)
        try:
            report = rehearsal.rehearse(
                target.conn,
                target.schema,
                p.base,
                p.design,
                sample_rows=sample_rows or settings.REHEARSAL_SAMPLE_ROWS,
                tag=p.tag,
            )
        except rehearsal.RehearsalError as exc:
            raise DeployRefused(f"The rehearsal could not start: {exc}") from exc
    finally:
        target.close()
    result = {**report.as_dict(), "digest": p.digest, "environment": env.name, "plan_summary": p.summary}
    env.last_rehearsal = result
    env.save(update_fields=["last_rehearsal"])
    return result
