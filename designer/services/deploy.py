"""Plan, deploy, roll back, check drift and purge — a project's design on the target database.

The target is ``DEPLOY_DATABASE_URL`` (PostgreSQL); each project lives in its own schema named after its
slug (:func:`schema_name`), never among the app's own tables. A deploy:

1. takes a per-project advisory lock on the target (a second deploy at the same time is refused),
2. sets ``lock_timeout`` and ``statement_timeout``,
3. takes ``critical`` locks on the affected tables in the designer,
4. runs every statement in one transaction (on any error nothing is applied and the run records the
   failing statement),
5. introspects the target and requires no difference from the design (else ``failed_verification``),
6. moves deployed Draft tables to Active and records a :class:`DeployRun` with the forward and reverse SQL.

Rollback runs the reverse SQL of the last deploy (restoring kept-aside tables and columns with their data);
drift compares the live schema with the last deployed version; purge drops what deploys kept aside.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from psycopg import sql

from designer.ddl import risk
from designer.ddl.names import KEPT_COLUMN_MARK, kept_schema
from designer.ddl.postgresql import Statement, compile_plan, q
from designer.introspect.compare import differences
from designer.introspect.postgresql import introspect
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
from designer.schema.diff import diff, summarize
from designer.schema.snapshot import Snapshot, empty_snapshot
from designer.schema.validation import check_transition

from .deploy_target import connect_postgres, deploy_dialect
from .snapshots import project_snapshot

LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "5min"
RESERVED_SCHEMAS = {"public", "information_schema"}
DEPLOY_PERMISSION = "designer.deploy_project"


class DeployRefused(Exception):
    """A deploy that cannot start (another one is running, a table is locked, nothing deployed yet…)."""


# --- who and where ------------------------------------------------------------------------------
def can_deploy(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(DEPLOY_PERMISSION))


def require_deployer(user) -> None:
    """Deploys, rollbacks and purges need the ``designer.deploy_project`` permission (``None`` = the shell)."""
    if user is None:
        return
    if not can_deploy(user):
        raise PermissionDenied("Deploying needs the permission “Can deploy a project's schema”. Ask an administrator.")


def schema_name(project: Project) -> str:
    """The PostgreSQL schema a project deploys into: its slug as an identifier, never ``public``."""
    name = project.slug.lower().replace("-", "_")[:40] or "project"
    if not name[0].isalpha() or name in RESERVED_SCHEMAS or name.startswith("pg_"):
        name = f"p_{name}"[:40]
    return name


def _require_postgres() -> None:
    if deploy_dialect() != "postgresql":
        raise DeployRefused(
            "Deploying needs a PostgreSQL target: set DEPLOY_DATABASE_URL=postgres://… "
            "(the SQLite dialect compiles SQL for export but is not a deploy target yet)."
        )


def _lock_key(project: Project) -> int:
    return int.from_bytes(hashlib.sha256(f"tablewright-deploy:{project.pk}".encode()).digest()[:8], "big", signed=True)


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


# --- plan -----------------------------------------------------------------------------------------
@dataclass
class Plan:
    project: Project
    schema: str
    tag: str
    number: int
    base: Snapshot
    design: Snapshot
    changes: list[dict]
    forward: list[Statement]
    reverse: list[Statement]
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # live figures per table
    from_version: SchemaVersion | None = None

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
    def warnings(self) -> list[str]:
        return [s.figures["warning"] for s in self.forward if s.figures.get("warning")]


def _next_number(project: Project) -> int:
    return (DeployRun.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1


def plan(project: Project, *, measure: bool = True, design: Snapshot | None = None) -> Plan:
    """The forward and reverse SQL from what is deployed to the design, with live figures from the target."""
    _require_postgres()
    number = _next_number(project)
    base = deployed_snapshot(project)
    design = design if design is not None else project_snapshot(project)
    schema = schema_name(project)
    forward, reverse = compile_plan(base, design, schema=schema, tag=f"d{number}")
    result = Plan(
        project=project,
        schema=schema,
        tag=f"d{number}",
        number=number,
        base=base,
        design=design,
        changes=diff(base, design, canonical=True),
        forward=forward,
        reverse=reverse,
        from_version=deployed_version(project),
    )
    if measure and forward:
        with connect_postgres(autocommit=True) as conn:
            conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
            _measure(conn, result)
    return result


def _count(conn, query: sql.Composable) -> int | None:
    try:
        return conn.execute(query).fetchone()[0]
    except psycopg.Error:
        return None


def _measure(conn, p: Plan) -> None:
    """Live figures: rows and size of every affected table, and the real numbers behind risky statements."""
    s = p.schema
    existing = {
        name
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            (s,),
        ).fetchall()
    }
    old_names = {t["id"]: t["table_name"] for t in p.base["tables"]}
    new_names = {t["table_name"]: t["id"] for t in p.design["tables"]}
    for st in p.forward:
        live = old_names.get(new_names.get(st.table, ""), st.table)
        if live in existing and live not in p.tables:
            rows = _count(conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(s, live)))
            size = conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", (f"{q(s, live)}",)
            ).fetchone()[0]
            p.tables[live] = {"rows": rows, "size": size}
    for st in p.forward:
        impact = st.impact or {}
        kind, table = impact.get("kind"), impact.get("table")
        if not kind or kind == "none" or table not in existing:
            continue
        ident = sql.Identifier(s, table)
        if kind == "rows":
            n = p.tables.get(table, {}).get("rows")
            st.figures = {"rows": n, "warning": f"{table}: {n} rows affected" if n else ""}
            if st.op == "drop_table" and n:
                st.figures["warning"] = f"Dropping {table} hides {n} rows (kept aside until purged)."
            if st.note.startswith("Required without a default") and n:
                st.figures["warning"] = f"{table} has {n} rows: adding a required field without a default will fail."
        elif kind == "non_nulls":
            col = sql.Identifier(impact["column"])
            n = _count(conn, sql.SQL("SELECT count({}) FROM {}").format(col, ident))
            st.figures = {"non_nulls": n}
            if n:
                st.figures["warning"] = (
                    f"Dropping {table}.{impact['column']} hides {n} values (kept aside until purged)."
                )
        elif kind == "nulls":
            col = sql.Identifier(impact["column"])
            n = _count(conn, sql.SQL("SELECT count(*) FROM {} WHERE {} IS NULL").format(ident, col))
            st.figures = {"nulls": n}
            if n:
                st.figures["warning"] = (
                    f"{table}.{impact['column']} has {n} NULLs: making it required will fail until they are filled."
                )
        elif kind == "duplicates":
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in impact["columns"])
            n = _count(
                conn,
                sql.SQL(
                    "SELECT coalesce(sum(n - 1), 0) FROM "
                    "(SELECT count(*) AS n FROM {} GROUP BY {} HAVING count(*) > 1) d"
                ).format(ident, cols),
            )
            st.figures = {"duplicates": n}
            if n:
                st.figures["warning"] = (
                    f"{table} ({', '.join(impact['columns'])}) has {n} duplicate rows: unique fails."
                )
        elif kind == "orphans" and impact["ref_table"] in existing:
            n = _count(
                conn,
                sql.SQL(
                    "SELECT count(*) FROM {} c WHERE c.{} IS NOT NULL "
                    "AND NOT EXISTS (SELECT 1 FROM {} p WHERE p.{} = c.{})"
                ).format(
                    ident,
                    sql.Identifier(impact["column"]),
                    sql.Identifier(s, impact["ref_table"]),
                    sql.Identifier(impact["ref_column"]),
                    sql.Identifier(impact["column"]),
                ),
            )
            st.figures = {"orphans": n}
            if n:
                st.figures["warning"] = (
                    f"{table}.{impact['column']} has {n} values without a match: the foreign key fails."
                )
        elif kind == "violations":
            # The expression was parsed and re-emitted by the compiler from PostgreSQL's own parse tree.
            query = sql.SQL("SELECT count(*) FROM {} WHERE NOT ({})").format(ident, sql.SQL(impact["expression"]))
            n = _count(conn, query)
            st.figures = {"violations": n}
            if n:
                st.figures["warning"] = f"{table} has {n} rows violating the new check: it fails."


# --- table locks (critical, taken by deploy) ------------------------------------------------------
def take_critical_locks(project: Project, table_names: set[str], *, user, reason: str) -> list[TableLock]:
    """Critical locks on the affected tables; refuses when someone else holds a live lock on one of them."""
    now = timezone.now()
    tables = list(DataTable.objects.filter(project=project, table_name__in=table_names))
    with transaction.atomic():
        active = TableLock.objects.select_for_update().filter(table__in=tables, released_at__isnull=True)
        for lock in active.select_related("table", "user"):
            if lock.expires_at <= now:
                lock.released_at, lock.release_reason = now, "expired"
                lock.save(update_fields=["released_at", "release_reason"])
            elif user is None or lock.user_id != user.pk:
                raise DeployRefused(
                    f"Table {lock.table.table_name} is locked by {lock.user} until "
                    f"{timezone.localtime(lock.expires_at):%H:%M:%S}; wait for the lock to end or break it first."
                )
            else:
                lock.released_at, lock.release_reason = now, "released"
                lock.save(update_fields=["released_at", "release_reason"])
        owner = user or project.owner
        return TableLock.objects.bulk_create(
            TableLock(
                table=t,
                user=owner,
                lock_type=LockType.CRITICAL,
                locked_at=now,
                expires_at=now + timedelta(minutes=10),
                reason=reason,
            )
            for t in tables
        )


def release_locks(locks: list[TableLock]) -> None:
    TableLock.objects.filter(pk__in=[lock.pk for lock in locks], released_at__isnull=True).update(
        released_at=timezone.now(), release_reason="released"
    )


# --- running statements ---------------------------------------------------------------------------
Progress = Callable[[DeployRun, int, int], None]


BATCH = 200  # statements per round trip


def _execute(conn, run: DeployRun, statements: list[dict], progress: Progress | None) -> None:
    """All statements in one transaction, sent in batches (few round trips). On an error nothing is applied;
    the failing statement is found by replaying one by one in a transaction that is always rolled back,
    then the run records it and the error is re-raised."""
    total = len(statements)
    create_schema = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(run.target_schema))
    try:
        with conn.transaction():
            conn.execute(create_schema)
            for start in range(0, total, BATCH):
                chunk = statements[start : start + BATCH]
                conn.execute("\n".join(st["sql"] for st in chunk))
                done = start + len(chunk)
                DeployRun.objects.filter(pk=run.pk).update(statements_done=done)
                if progress is not None:
                    progress(run, done, total)
    except psycopg.Error as exc:
        run.status = DeployStatus.FAILED
        run.error, run.failed_statement = _describe_error(exc), ""
        with conn.transaction(force_rollback=True):
            conn.execute(create_schema)
            for st in statements:
                try:
                    with conn.transaction():
                        conn.execute(st["sql"])
                except psycopg.Error as exact:
                    run.error, run.failed_statement = _describe_error(exact), st["sql"]
                    break
        raise


def _describe_error(exc: psycopg.Error) -> str:
    diag = exc.diag
    text = (diag.message_primary or str(exc)).strip()
    if diag.message_detail:
        text += f" ({diag.message_detail})"
    return text


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


def _open_target(project: Project):
    conn = connect_postgres(autocommit=True)
    got = conn.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key(project),)).fetchone()[0]
    if not got:
        conn.close()
        raise DeployRefused(
            f"Another deploy of {project.name!r} is running right now; this one was not started. "
            "Try again when it has finished."
        )
    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def _close_target(project: Project, conn) -> None:
    try:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key(project),))
    finally:
        conn.close()


FINAL_FIELDS = [
    "status",
    "error",
    "failed_statement",
    "verification",
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


def _verify(conn, run: DeployRun, intended: Snapshot) -> None:
    run.verification = differences(intended, introspect(conn, run.target_schema))
    run.status = DeployStatus.FAILED_VERIFICATION if run.verification else DeployStatus.SUCCEEDED


def _broadcast(project: Project, event: str, payload: dict) -> None:
    """Tell the project's websocket group, when the realtime layer has landed (best effort)."""
    try:
        from designer.realtime import events  # type: ignore[attr-defined]
    except ImportError:
        return
    send = getattr(events, "broadcast", None)
    if send is not None:
        transaction.on_commit(lambda: send(project, event, payload))


# --- deploy -----------------------------------------------------------------------------------------
def deploy(
    project: Project,
    *,
    actor,
    confirm_name: str | None = None,
    message: str = "",
    progress: Progress | None = None,
    expected_sql: str | None = None,
) -> DeployRun:
    """Deploy the current design. Raises ``PermissionDenied``, ``DeployRefused`` or ``ValidationError``
    (destructive plan without the typed project name) before anything runs; returns the DeployRun (whose
    status says how it ended) otherwise."""
    from .versions import version_for_design

    require_deployer(actor)
    _require_postgres()
    conn = _open_target(project)
    try:
        p = plan(project, measure=True)
        if expected_sql is not None and expected_sql.strip() != p.sql.strip():
            raise DeployRefused("The design changed since you opened the plan. Review the new plan and deploy again.")
        if p.destructive and confirm_name != project.name:
            raise ValidationError(
                {"confirm_name": [f"This plan drops data. Type the project name ({project.name}) to confirm."]}
            )
        affected = {s.table for s in p.forward if s.table}
        locks = take_critical_locks(project, affected, user=actor, reason=f"Deploy #{p.number}")
        version = version_for_design(project, actor=actor, message=message or "Deployed", snapshot=p.design)
        run = DeployRun.objects.create(
            project=project,
            number=p.number,
            kind=DeployKind.DEPLOY,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            from_version=p.from_version,
            to_version=version,
            target_schema=p.schema,
            statements=[s.as_dict() for s in p.forward],
            reverse_statements=[s.as_dict() for s in p.reverse],
        )
        started = time.monotonic()
        _broadcast(project, "deploy.started", {"run": run.number})
        try:
            _execute(conn, run, run.statements, progress)
        except psycopg.Error:
            release_locks(locks)
            _broadcast(project, "deploy.finished", {"run": run.number, "status": run.status})
            return _finish(run, started)
        run.statements_done = len(run.statements)
        _verify(conn, run, p.design)
        release_locks(locks)
        if run.status == DeployStatus.SUCCEEDED:
            _activate_deployed_tables(project, p.design, actor)
        _broadcast(project, "deploy.finished", {"run": run.number, "status": run.status})
        return _finish(run, started)
    finally:
        _close_target(project, conn)


def rollback(project: Project, *, actor, progress: Progress | None = None) -> DeployRun:
    """Undo the last effective deploy with its reverse SQL (kept-aside tables and columns come back)."""
    require_deployer(actor)
    _require_postgres()
    conn = _open_target(project)
    try:
        last = effective_runs(project).first()
        if last is None:
            raise DeployRefused(f"{project.name} has no deploy to roll back.")
        run = DeployRun.objects.create(
            project=project,
            number=_next_number(project),
            kind=DeployKind.ROLLBACK,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            from_version=last.to_version,
            to_version=last.from_version,
            target_schema=last.target_schema,
            statements=last.reverse_statements,
            reverse_statements=last.statements,
        )
        started = time.monotonic()
        locks = take_critical_locks(
            project, {s["table"] for s in run.statements if s["table"]}, user=actor, reason=f"Rollback #{run.number}"
        )
        try:
            _execute(conn, run, run.statements, progress)
        except psycopg.Error:
            release_locks(locks)
            return _finish(run, started)
        run.statements_done = len(run.statements)
        _verify(conn, run, last.from_version.schema_snapshot if last.from_version else empty_snapshot())
        run.reverts = last
        release_locks(locks)
        return _finish(run, started)
    finally:
        _close_target(project, conn)


# --- drift and purge ----------------------------------------------------------------------------------
def drift(project: Project) -> list[str]:
    """Every difference between the live schema and the last deployed version (empty = no drift)."""
    _require_postgres()
    with connect_postgres(autocommit=True) as conn:
        live = introspect(conn, schema_name(project))
    return differences(deployed_snapshot(project), live, intended_label="last deployed version")


def kept_objects(project: Project) -> list[dict[str, Any]]:
    """Tables and columns that deploys moved aside (restorable by rollback until purged)."""
    _require_postgres()
    schema = schema_name(project)
    with connect_postgres(autocommit=True) as conn:
        return _kept(conn, schema)


def _kept(conn, schema: str) -> list[dict[str, Any]]:
    prefix = kept_schema(schema, "")
    out = []
    for nsp, rel, rows in conn.execute(
        "SELECT n.nspname, c.relname, c.reltuples::bigint FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname LIKE %s AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
        (prefix.replace("_", r"\_") + "%",),
    ).fetchall():
        out.append({"kind": "table", "schema": nsp, "table": rel, "column": "", "rows": max(rows, 0)})
    for rel, col in conn.execute(
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND a.attnum > 0 "
        "AND NOT a.attisdropped AND strpos(a.attname, %s) > 0 ORDER BY 1, 2",
        (schema, KEPT_COLUMN_MARK),
    ).fetchall():
        out.append({"kind": "column", "schema": schema, "table": rel, "column": col, "rows": None})
    schemas = {
        n
        for (n,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix.replace("_", r"\_") + "%",)
        ).fetchall()
    }
    for nsp in sorted(schemas - {o["schema"] for o in out if o["kind"] == "table"}):
        out.append({"kind": "schema", "schema": nsp, "table": "", "column": "", "rows": None})
    return out


def purge(project: Project, *, actor) -> list[str]:
    """Drop everything deploys kept aside (one transaction, never CASCADE). Returns what was dropped."""
    require_deployer(actor)
    _require_postgres()
    conn = _open_target(project)
    dropped = []
    try:
        items = _kept(conn, schema_name(project))
        with conn.transaction():
            for item in items:
                if item["kind"] == "column":
                    conn.execute(
                        sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(
                            sql.Identifier(item["schema"], item["table"]), sql.Identifier(item["column"])
                        )
                    )
                    dropped.append(f"column {item['table']}.{item['column']}")
                elif item["kind"] == "table":
                    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(item["schema"], item["table"])))
                    dropped.append(f"table {item['schema']}.{item['table']}")
            for nsp in sorted({i["schema"] for i in items if i["kind"] in ("table", "schema")}):
                conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(nsp)))
    finally:
        _close_target(project, conn)
    return dropped
