"""Where a project deploys: one PostgreSQL schema per project, or one SQLite file per project.

Both targets offer the same small interface to ``services.deploy``: an exclusive per-project lock
(PostgreSQL advisory lock / an OS file lock), compile, live counts for the plan, run statements in one
transaction, introspect, list and purge what deploys kept aside. Identifiers are always quoted by the
dialect's quoting function; the only expressions run are CHECK expressions re-emitted by the compiler
from PostgreSQL's parse tree.
"""

from __future__ import annotations

import fcntl
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from django.db import IntegrityError, transaction
from psycopg import sql

from designer.ddl import postgresql as pg_ddl
from designer.ddl import sqlite as sqlite_ddl
from designer.ddl.names import KEPT_COLUMN_MARK, is_kept_column, is_kept_schema, kept_schema_pattern
from designer.introspect import postgresql as pg_introspect
from designer.introspect import sqlite as sqlite_introspect
from designer.models import DeployRun, Project
from designer.schema.snapshot import Snapshot

from .deploy_target import DeployBusy, DeployRefused, connect_postgres, deploy_dialect, sqlite_path

LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "5min"
BATCH = 50  # statements per round trip (PostgreSQL), and how often progress is reported
RESERVED_SCHEMAS = {"public", "information_schema"}
Progress = Callable[[DeployRun, int, int], None]


class StatementFailed(Exception):
    """A statement failed; nothing was applied. ``run.error`` and ``run.failed_statement`` say which."""


SCHEMA_STEM = 40  # characters of the slug kept in a schema name (plus a 7 or 13 character suffix at most)


def derived_schema_name(slug: str) -> str:
    """The slug as an identifier (``-`` → ``_``, cut to 40 characters, never ``public`` or ``pg_…``)."""
    name = slug.lower().replace("-", "_")[:SCHEMA_STEM] or "project"
    if not name[0].isalpha() or name in RESERVED_SCHEMAS or name.startswith("pg_"):
        name = f"p_{name}"[:SCHEMA_STEM]
    return name


def _schema_candidates(project: Project) -> list[str]:
    """The slug itself when it is already a plain identifier, else (or when taken) the derived name plus a short
    hash of the project's id: ``my-shop`` and ``my_shop``, or two long slugs cut alike, never share a schema."""
    stem = derived_schema_name(project.slug)
    digest = hashlib.sha256(str(project.pk).encode()).hexdigest()
    hashed = [f"{stem}_{digest[:6]}", f"{stem}_{digest[:12]}"]
    if stem != project.slug or is_kept_schema(stem):  # altered, cut, or looks like another project's kept schema
        return hashed
    return [stem, *hashed]


def schema_name(project: Project) -> str:
    """The schema (SQLite: file stem) a project deploys into, unique per project (a database constraint).

    Fixed by the first deploy (:func:`claim_schema_name` stores it on the project); until then the first candidate
    no other project has claimed."""
    if project.deploy_schema:
        return project.deploy_schema
    if project.pk is not None:
        stored = Project.objects.filter(pk=project.pk).values_list("deploy_schema", flat=True).first()
        if stored:
            project.deploy_schema = stored
            return stored
    candidates = _schema_candidates(project)
    return next((c for c in candidates if not _collides(project, c)), candidates[-1])


def _collides(project: Project, candidate: str) -> bool:
    """Whether ``candidate`` or one of its environment schemas (``<candidate>_dev``…) is, or would be, another
    project's (``shop`` + ``_dev`` and a project whose own schema is ``shop_dev``)."""
    from designer.models import Environment

    others = set(
        Project.objects.exclude(pk=project.pk).exclude(deploy_schema=None).values_list("deploy_schema", flat=True)
    )
    suffixes = {"", *Environment.objects.values_list("schema_suffix", flat=True).distinct()}
    return any(candidate + s in others for s in suffixes) or any(o + s == candidate for o in others for s in suffixes)


def claim_schema_name(project: Project) -> str:
    """Store the project's schema name (first deploy). Two projects racing for one name: the unique constraint
    lets one win and the other takes its next candidate."""
    for _ in range(3):
        name = schema_name(project)
        if project.deploy_schema:
            return name
        try:
            with transaction.atomic():
                Project.objects.filter(pk=project.pk, deploy_schema__isnull=True).update(deploy_schema=name)
        except IntegrityError:
            continue
        project.deploy_schema = None
        return schema_name(project)
    raise DeployRefused(f"No free deploy schema for {project.name!r}; rename the project's slug and try again.")


def target_for(project: Project, environment=None) -> PostgresTarget | SqliteTarget:
    """The target of one of the project's environments (``None``: the primary one)."""
    from . import environments

    env = environments.get(project, environment)
    url = environments.database_url(env)
    cls = PostgresTarget if deploy_dialect(url) == "postgresql" else SqliteTarget
    return cls(project, env)


def _lock_key(project: Project, env=None) -> int:
    key = f"tablewright-deploy:{project.pk}" + ("" if env is None or env.is_primary else f":{env.pk}")
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _busy(project: Project, env=None) -> DeployBusy:
    where = f" to {env.name}" if env is not None else ""
    return DeployBusy(
        f"Another deploy of {project.name!r}{where} is running right now; this one was not started. "
        "Try again when it has finished."
    )


class _Target:
    dialect = ""
    errors: type[Exception] | tuple[type[Exception], ...] = ()

    def __init__(self, project: Project, environment=None) -> None:
        from . import environments

        self.project = project
        self.environment = environment
        self.url = environments.database_url(environment)
        self.schema = environments.schema_for(schema_name(project), environment)
        self.conn: Any = None

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ident(self, table: str) -> str:  # pragma: no cover - per dialect
        raise NotImplementedError

    def count(self, query: str) -> int | None:
        """A count for the plan; None when the target cannot answer (the figure is then left out)."""
        try:
            value = self.conn.execute(query).fetchone()[0]
        except self.errors:
            return None
        return None if value is None else int(value)  # sum() answers numeric: the run stores figures as JSON

    def row_counts(self, tables: list[str]) -> dict[str, int]:
        """Exact rows of each of ``tables`` that exists in the target, in one statement (absent ones: left out)."""
        present = sorted(set(tables) & self.existing_tables())
        if not present:
            return {}
        parts = [f"SELECT {i}, count(*) FROM {self.ident(name)}" for i, name in enumerate(present)]
        rows = self.conn.execute(" UNION ALL ".join(parts)).fetchall()
        return {present[i]: int(n) for i, n in rows}

    def measure(self, plan) -> None:
        """Live figures: rows (and size) of every affected table, and the real numbers behind risky statements."""
        existing = self.existing_tables()
        old_names = {t["id"]: t["table_name"] for t in plan.base["tables"]}
        new_names = {t["table_name"]: t["id"] for t in plan.design["tables"]}
        for st in plan.forward:
            live = old_names.get(new_names.get(st.table, ""), st.table)
            if live in existing and live not in plan.tables:
                plan.tables[live] = {
                    "rows": self.count(f"SELECT count(*) FROM {self.ident(live)}"),
                    "size": self.size(live),
                }
        for st in plan.forward:
            impact = st.impact or {}
            # a statement with several consequences (an SQLite table rebuild) lists them under "all"
            found = [self._figure(plan, st, one, existing) for one in impact.get("all", [impact])]
            found = [f for f in found if f is not None]
            if found:
                st.figures = {kind: n for kind, n, _ in found}
                st.figures["warning"] = " ".join(w for _, _, w in found if w)

    def _figure(self, plan, st, impact: dict, existing: set[str]) -> tuple[str, int | None, str] | None:
        """One live figure behind a risky statement: (kind, number, warning), None when it does not apply."""
        q = self.quote
        kind, table = impact.get("kind"), impact.get("table")
        if not kind or kind == "none" or table not in existing:
            return None
        t = self.ident(table)
        col = q(impact.get("column", ""))
        warning = ""
        if kind == "rows":
            n = plan.tables.get(table, {}).get("rows")
            if n and st.op == "drop_table":
                warning = f"Dropping {table} hides {n} rows (kept aside until purged)."
            elif n and st.note.startswith("Required without a default"):
                warning = f"{table} has {n} rows: adding a required field without a default will fail."
            elif n:
                warning = f"{table}: {n} rows affected."
        elif kind == "non_nulls":
            n = self.count(f"SELECT count({col}) FROM {t}")
            if n:
                warning = f"Dropping {table}.{impact['column']} hides {n} values (kept aside until purged)."
        elif kind == "nulls":
            n = self.count(f"SELECT count(*) FROM {t} WHERE {col} IS NULL")
            if n:
                warning = (
                    f"{table}.{impact['column']} has {n} NULLs: making it required will fail until they are filled."
                )
        elif kind == "duplicates":
            cols = ", ".join(q(c) for c in impact["columns"])
            n = self.count(
                f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {t} GROUP BY {cols} "
                "HAVING count(*) > 1) d"
            )
            if n:
                warning = f"{table} ({', '.join(impact['columns'])}) has {n} duplicate rows: unique fails."
        elif kind == "orphans" and impact["ref_table"] in existing:
            n = self.count(
                f"SELECT count(*) FROM {t} c WHERE c.{col} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {self.ident(impact['ref_table'])} p WHERE p.{q(impact['ref_column'])} = c.{col})"
            )
            if n:
                warning = f"{table}.{impact['column']} has {n} values without a match: the foreign key fails."
        elif kind == "violations":
            # re-emitted by the compiler from PostgreSQL's parse tree of a validated expression
            n = self.count(f"SELECT count(*) FROM {t} WHERE NOT ({impact['expression']})")
            if n:
                warning = f"{table} has {n} rows violating the new check: it fails."
        else:
            return None
        return kind, n, warning


class PostgresTarget(_Target):
    dialect = "postgresql"
    errors = psycopg.Error
    quote = staticmethod(lambda name: sql.Identifier(name).as_string(None))

    @property
    def location(self) -> str:
        return f"schema {self.schema}"

    def open(self, *, lock: bool = False) -> None:
        self.conn = connect_postgres(self.url, autocommit=True)
        self.locked = lock
        key = _lock_key(self.project, self.environment)
        if lock and not self.conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            self.conn.close()
            raise _busy(self.project, self.environment)
        self.conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        self.conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        self.conn.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            if getattr(self, "locked", False):
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key(self.project, self.environment),))
        finally:
            self.conn.close()
            self.conn = None

    def compile(self, base: Snapshot, design: Snapshot, tag: str):
        return pg_ddl.compile_plan(base, design, schema=self.schema, tag=tag)

    def ident(self, table: str) -> str:
        return sql.Identifier(self.schema, table).as_string(None)

    def size(self, table: str) -> str:
        """The table's size on disk; when the table is locked (a concurrent deploy) or gone, says so instead."""
        try:
            return self.conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", (self.ident(table),)
            ).fetchone()[0]
        except psycopg.errors.LockNotAvailable:
            return "unknown (the table is locked, maybe by a deploy running now)"
        except psycopg.Error as exc:
            return f"unknown ({_pg_error(exc)})"

    def existing_tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            (self.schema,),
        ).fetchall()
        return {name for (name,) in rows}

    def execute(
        self,
        run: DeployRun,
        statements: list[dict],
        progress: Progress | None,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """All statements in one transaction, in batches. On an error nothing is applied; the failing
        statement is found by replaying one by one in a transaction that is always rolled back.
        ``before_commit`` runs once every statement succeeded, in the same transaction (the convergence check:
        it reads exactly what is committed, and faster than after the commit)."""
        total = len(statements)
        create_schema = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
        try:
            with self.conn.transaction():
                self.conn.execute(create_schema)
                for start in range(0, total, BATCH):
                    chunk = statements[start : start + BATCH]
                    self.conn.execute("\n".join(st["sql"] for st in chunk))
                    if progress is not None:
                        progress(run, start + len(chunk), total)
                if before_commit is not None:
                    before_commit()
        except psycopg.Error as exc:
            run.error, run.failed_statement = _pg_error(exc), ""
            with self.conn.transaction(force_rollback=True):
                self.conn.execute(create_schema)
                for st in statements:
                    try:
                        with self.conn.transaction():
                            self.conn.execute(st["sql"])
                    except psycopg.Error as exact:
                        run.error, run.failed_statement = _pg_error(exact), st["sql"]
                        break
            raise StatementFailed(run.error) from exc

    def introspect(self) -> Snapshot:
        return pg_introspect.introspect(self.conn, self.schema, missing_ok=True)

    def kept(self) -> list[dict[str, Any]]:
        """What this project's deploys moved aside: exactly ``<schema>_kept_d<n>[r]`` schemas and
        ``<column>__kept_d<n>[r]`` columns (never another project's schema that merely starts alike)."""
        pattern = kept_schema_pattern(self.schema)
        out = []
        for nsp, rel, rows in self.conn.execute(
            "SELECT n.nspname, c.relname, c.reltuples::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname ~ %s AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
            (pattern,),
        ).fetchall():
            out.append({"kind": "table", "schema": nsp, "table": rel, "column": "", "rows": max(rows, 0)})
        for rel, col in self.conn.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND a.attnum > 0 "
            "AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND strpos(a.attname, %s) > 0 ORDER BY 1, 2",
            (self.schema, KEPT_COLUMN_MARK),
        ).fetchall():
            if is_kept_column(col):
                out.append({"kind": "column", "schema": self.schema, "table": rel, "column": col, "rows": None})
        schemas = {n for (n,) in self.conn.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ %s", (pattern,))}
        for nsp in sorted(schemas - {o["schema"] for o in out if o["kind"] == "table"}):
            out.append({"kind": "schema", "schema": nsp, "table": "", "column": "", "rows": None})
        return out

    def purge(self, items: list[dict[str, Any]]) -> list[str]:
        """Drop what was kept aside, one transaction, never CASCADE."""
        dropped = []
        with self.conn.transaction():
            for item in items:
                if item["kind"] == "column":
                    self.conn.execute(
                        sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(
                            sql.Identifier(item["schema"], item["table"]), sql.Identifier(item["column"])
                        )
                    )
                    dropped.append(f"column {item['table']}.{item['column']}")
                elif item["kind"] == "table":
                    self.conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(item["schema"], item["table"])))
                    dropped.append(f"table {item['schema']}.{item['table']}")
            for nsp in sorted({i["schema"] for i in items if i["kind"] in ("table", "schema")}):
                self.conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(nsp)))
        return dropped


def app_database_files() -> set[Path]:
    """The SQLite files of the app's own databases (``DATABASE_URL`` and every entry of ``DATABASES``)."""
    from django.conf import settings

    names = [db["NAME"] for db in settings.DATABASES.values() if "sqlite" in db.get("ENGINE", "")]
    url = getattr(settings, "DATABASE_URL", "")
    if url.startswith("sqlite"):
        names.append(sqlite_path(url))
    return {Path(name).resolve() for name in names if name and str(name) != ":memory:"}


def _pg_error(exc: psycopg.Error) -> str:
    diag = exc.diag
    text = (diag.message_primary or str(exc)).strip()
    if diag.message_detail:
        text += f" ({diag.message_detail})"
    return text


class SqliteTarget(_Target):
    """One SQLite file per project, in a folder of its own next to ``DEPLOY_DATABASE_URL``'s file:
    ``<dir>/projects/<schema>.sqlite3`` — never the app's own database file (refused if it were)."""

    dialect = "sqlite"
    errors = sqlite3.Error
    quote = staticmethod(sqlite_ddl.q)

    @property
    def path(self) -> Path:
        return sqlite_path(self.url).parent / "projects" / f"{self.schema}.sqlite3"

    @property
    def location(self) -> str:
        return f"file {self.path.name}"

    def open(self, *, lock: bool = False) -> None:
        if self.path.resolve() in app_database_files():
            raise DeployRefused(f"{self.path} is the app's own database; point DEPLOY_DATABASE_URL at another folder.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock_file = None
        if lock:
            self.lock_file = open(f"{self.path}.lock", "w")  # noqa: SIM115 - held until close()
            try:
                fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                self.lock_file.close()
                raise _busy(self.project, self.environment) from exc
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=5)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if getattr(self, "lock_file", None) is not None:
            fcntl.flock(self.lock_file, fcntl.LOCK_UN)
            self.lock_file.close()
            self.lock_file = None

    def compile(self, base: Snapshot, design: Snapshot, tag: str):
        return sqlite_ddl.compile_plan(base, design, tag=tag)

    def ident(self, table: str) -> str:
        return sqlite_ddl.q(table)

    def size(self, table: str) -> str:
        return "–"

    def existing_tables(self) -> set[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {name for (name,) in rows}

    def execute(
        self,
        run: DeployRun,
        statements: list[dict],
        progress: Progress | None,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        current = ""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            for i, st in enumerate(statements, start=1):
                current = st["sql"]
                self.conn.execute(current)
                if progress is not None:
                    progress(run, i, len(statements))
            current = "PRAGMA foreign_key_check"
            problems = self.conn.execute(current).fetchall()
            if problems:
                raise sqlite3.IntegrityError(f"{len(problems)} rows break foreign keys, e.g. in table {problems[0][0]}")
            current = ""
            if before_commit is not None:
                before_commit()
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.execute("ROLLBACK")
            run.error, run.failed_statement = str(exc), current
            raise StatementFailed(run.error) from exc
        DeployRun.objects.filter(pk=run.pk).update(statements_done=len(statements))

    def introspect(self) -> Snapshot:
        return sqlite_introspect.introspect(self.conn)

    def kept(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        return [
            {"kind": "table", "schema": self.path.name, "table": name, "column": "", "rows": None}
            for (name,) in rows
            if is_kept_column(name)
        ]

    def purge(self, items: list[dict[str, Any]]) -> list[str]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for item in items:
                self.conn.execute(f"DROP TABLE {sqlite_ddl.q(item['table'])}")
        except sqlite3.Error:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return [f"table {item['table']}" for item in items]
