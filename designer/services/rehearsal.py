"""Deploy rehearsal: run a plan against a sample of the real rows, in a transaction that is always rolled back.

    report = rehearse(conn, "shop", base=deployed_snapshot, design=project_snapshot(project))
    report.success, report.failures[0].summary, report.as_dict()  # JSON for a model field / the API

In ONE transaction on ``conn`` (an autocommit psycopg 3 connection to the deploy target), ended by a ROLLBACK
whatever happens:

1. ``SET LOCAL`` lock and statement timeouts; a scratch schema ``tw_rehearse_<random>`` is created;
2. ``base``'s structure is created there by the project's own compiler, without its foreign keys;
3. each table gets up to ``sample_rows`` rows of the source table (all of them when it has fewer), read with
   plain ``SELECT`` — only ACCESS SHARE locks on the source, which block nothing but a concurrent ACCESS
   EXCLUSIVE (a deploy's DDL) until the rollback;
4. a sampled table's sample is made consistent: the parent rows its sampled children reference (under
   ``base``'s foreign keys and the design's new ones) are copied too, until nothing is missing; then
   ``base``'s foreign keys are added;
5. the exact forward plan (``compile_plan(base, design, schema=<scratch>, tag=...)``) runs statement by
   statement, each under a SAVEPOINT, so every failing statement is reported, each with the PostgreSQL error
   and the real numbers behind it (NULLs under a new NOT NULL, duplicates under a new UNIQUE, rows failing a
   new CHECK, orphans under a new FOREIGN KEY, values that fail a type cast), counted in the scratch copy;
6. ROLLBACK: the scratch schema, its rows and the helper function disappear; the source was only read.

Counts on a sampled table are counts in the sample (the report says which tables were sampled); on a table
copied whole they are exact. Statements in the report are shown as they will run on the source schema (the
same compiler, the source schema's name), not with the scratch schema's name.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import pq, sql

from designer.ddl.names import choices_name, unique_name
from designer.ddl.postgresql import Statement, check_sql, choices_sql, compile_diff, compile_plan
from designer.schema.diff import deployable
from designer.schema.snapshot import Snapshot, canonicalize, empty_snapshot

__all__ = ["Failure", "RehearsalError", "RehearsalReport", "TableSample", "rehearse"]

SCRATCH_PREFIX = "tw_rehearse_"
LOCK_TIMEOUT_MS = 5_000
STATEMENT_TIMEOUT_MS = 60_000
EXAMPLE_CHARS = 80
CAST_HELPER = "tw_try_cast"
Progress = Callable[[int, int], None]

# Errors a statement gets when an earlier failed statement did not create or change what it relies on.
CONSEQUENTIAL = (
    pg_errors.UndefinedColumn,
    pg_errors.UndefinedObject,
    pg_errors.UndefinedTable,
    pg_errors.InvalidForeignKey,
    pg_errors.DatatypeMismatch,
    pg_errors.UndefinedFunction,
    pg_errors.DuplicateColumn,
    pg_errors.DuplicateObject,
)
CAST_ERRORS = (psycopg.DataError,)  # class 22: invalid text representation, out of range, …
IDENT = r'"((?:[^"]|"")*)"'
ALTER_TYPE_RE = re.compile(rf"^ALTER TABLE {IDENT}\.{IDENT} ALTER COLUMN {IDENT} TYPE (.+) USING ")
ALTER_COLUMN_RE = re.compile(rf"^ALTER TABLE {IDENT}\.{IDENT} ALTER COLUMN {IDENT} ")
ADD_COLUMN_RE = re.compile(rf"^ALTER TABLE {IDENT}\.{IDENT} ADD COLUMN {IDENT} ")
TABLE_RE = re.compile(rf"{IDENT}\.{IDENT}")
# A type as postgres_type() writes it (the compiler's text, never user input): checked before it is used in SQL.
TYPE_RE = re.compile(r"^[a-z][a-z ]*(\(\d+(, ?\d+)?\))?(\[\])?$")


class RehearsalError(Exception):
    """The rehearsal could not be set up (e.g. the source schema does not match ``base``, or a lock on the
    source was not granted in time). Nothing was left behind: the transaction was rolled back."""


@dataclass
class TableSample:
    """How much of one table was copied into the scratch schema."""

    table: str
    copied: int  # rows in the scratch copy (the sample plus the parent rows its children need)
    sampled: bool  # True: the source has more than ``sample_rows`` rows, counts on this table are in a sample
    source_rows: int | None  # exact row count of the source when it was copied whole, else None
    estimated_rows: int | None = None  # the planner's estimate (pg_class.reltuples) for a sampled table
    added_for_references: int = 0  # parent rows copied so that sampled children keep their references

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Failure:
    """One plan statement that failed in the rehearsal, with what PostgreSQL said and the numbers behind it."""

    index: int  # position in the forward plan (0-based), as in the deploy plan's statements
    sql: str  # the statement as it will run on the source schema
    op: str
    table: str
    kind: str  # not_null | unique | check | foreign_key | cast | error
    error: str  # PostgreSQL's message (and detail)
    sqlstate: str
    error_class: str
    summary: str  # one line for people
    column: str = ""
    constraint: str = ""
    rows: int | None = None  # rows (values) violating it, None when not measured
    of_rows: int | None = None  # rows of the table in the scratch copy
    examples: list[str] = field(default_factory=list)
    sampled: bool = False  # the counts are from a sample of the table
    after_failure: int | None = None  # likely a consequence of the failure of this earlier statement (index)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RehearsalReport:
    success: bool
    duration_ms: int
    source_schema: str
    scratch_schema: str
    sample_rows: int
    statements_total: int
    statements_run: int
    statements_failed: int
    tables: list[TableSample]
    failures: list[Failure]
    started_at: str
    phases_ms: dict[str, int] = field(default_factory=dict)

    @property
    def sampled_tables(self) -> list[str]:
        return [t.table for t in self.tables if t.sampled]

    @property
    def summary(self) -> str:
        if self.success:
            return (
                f"All {self.statements_total} statements ran on a copy of the data"
                + (f" (sampled: {', '.join(self.sampled_tables)})" if self.sampled_tables else "")
                + f" in {self.duration_ms} ms."
            )
        return f"{self.statements_failed} of {self.statements_total} statements fail: " + " ".join(
            f.summary for f in self.failures
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sampled_tables"] = self.sampled_tables
        data["summary"] = self.summary
        return data


def _scratch_name() -> str:
    return f"{SCRATCH_PREFIX}{secrets.token_hex(8)}"  # 28 characters, with the kept-aside suffix well under 63


def _strip_relationships(snapshot: Snapshot) -> Snapshot:
    doc = dict(snapshot)
    doc["relationships"] = []
    return doc


def _error_text(exc: psycopg.Error) -> str:
    diag = exc.diag
    text = (diag.message_primary or str(exc)).strip()
    if diag.message_detail:
        text += f" ({diag.message_detail})"
    return text


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def _unquote(name: str) -> str:
    return name.replace('""', '"')


class _Rehearsal:
    def __init__(
        self,
        conn: psycopg.Connection,
        source: str,
        base: Snapshot,
        design: Snapshot,
        *,
        sample_rows: int,
        tag: str,
        progress: Progress | None,
        lock_timeout_ms: int = LOCK_TIMEOUT_MS,
        statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
    ) -> None:
        self.lock_timeout_ms, self.statement_timeout_ms = lock_timeout_ms, statement_timeout_ms
        self.conn, self.source, self.sample_rows, self.tag, self.progress = conn, source, sample_rows, tag, progress
        self.base = deployable(canonicalize(base), canonical=True)
        self.design = deployable(canonicalize(design), canonical=True)
        self.scratch = _scratch_name()
        self.samples: dict[str, TableSample] = {}
        self.failures: list[Failure] = []
        self.phases: dict[str, int] = {}
        self.design_tables = {t["table_name"]: t for t in self.design["tables"]}
        self.base_fields = {f["id"]: (t, f) for t in self.base["tables"] for f in t["fields"]}
        self.design_fields = {f["id"]: (t, f) for t in self.design["tables"] for f in t["fields"]}
        self.sampled_ids: set[str] = set()  # table ids (stable across renames) whose copy is a sample

    # --- helpers -----------------------------------------------------------------------------
    def s(self, table: str) -> sql.Composable:
        return sql.Identifier(self.scratch, table)

    def src(self, table: str) -> sql.Composable:
        return sql.Identifier(self.source, table)

    def one(self, query: sql.Composable | str, params: tuple | None = None) -> tuple:
        return self.conn.execute(query, params).fetchone()

    def timed(self, phase: str, started: float) -> None:
        self.phases[phase] = int((time.monotonic() - started) * 1000)

    # --- set up --------------------------------------------------------------------------------
    def setup(self) -> None:
        started = time.monotonic()
        self.conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{self.lock_timeout_ms}ms",))
        self.conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{self.statement_timeout_ms}ms",))
        self.conn.execute("SELECT set_config('search_path', %s, true)", (self.scratch,))  # never the source
        self.conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.scratch)))
        self.conn.execute(
            sql.SQL(
                "CREATE FUNCTION {}(value anyelement, target text) RETURNS boolean LANGUAGE plpgsql AS $f$\n"
                "BEGIN\n  EXECUTE format('SELECT $1::%s', target) USING value;\n  RETURN true;\n"
                "EXCEPTION WHEN others THEN\n  RETURN false;\nEND\n$f$"
            ).format(sql.Identifier(self.scratch, CAST_HELPER))
        )
        bare = _strip_relationships(self.base)
        for st in compile_diff(empty_snapshot(), bare, schema=self.scratch, tag=self.tag):
            self._setup_statement(st.sql)
        self.timed("structure", started)

        started = time.monotonic()
        for table in self.base["tables"]:
            self._copy(table)
        self._add_referenced_rows()
        self.timed("copy", started)

        started = time.monotonic()
        for st in compile_diff(bare, self.base, schema=self.scratch, tag=self.tag):
            self._setup_statement(st.sql, "the foreign keys of the deployed design could not be added to the copy")
        self.timed("foreign_keys", started)

    def _setup_statement(self, text: str | sql.Composable, what: str = "", params: tuple | None = None) -> Any:
        try:
            return self.conn.execute(text, params)
        except pg_errors.LockNotAvailable as exc:
            raise RehearsalError(
                f"A table of schema {self.source} is locked (a deploy running now?); the rehearsal did not start "
                f"within {self.lock_timeout_ms} ms. Try again when it has finished."
            ) from exc
        except psycopg.Error as exc:
            raise RehearsalError(
                f"Schema {self.source} does not match the deployed design ({what or 'setting up the copy failed'}): "
                f"{_error_text(exc)}. Check drift first."
            ) from exc

    def _copy(self, table: dict) -> None:
        name = table["table_name"]
        cols = sql.SQL(", ").join(sql.Identifier(f["field_name"]) for f in table["fields"])
        what = f"copying {name}"
        bounded = self._setup_statement(
            sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) s").format(self.src(name)),
            what,
            (self.sample_rows + 1,),
        ).fetchone()[0]
        sampled = bounded > self.sample_rows
        cur = self._setup_statement(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} LIMIT %s").format(self.s(name), cols, cols, self.src(name)),
            what,
            (self.sample_rows,),
        )
        estimate = None
        if sampled:
            self.sampled_ids.add(table["id"])
            estimate = self.one(
                "SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relname = %s",
                (self.source, name),
            )
            estimate = int(estimate[0]) if estimate else None
        self.samples[table["id"]] = TableSample(
            table=name,
            copied=cur.rowcount,
            sampled=sampled,
            source_rows=None if sampled else int(bounded),
            estimated_rows=estimate,
        )

    def _references(self) -> list[tuple[dict, dict, dict, dict]]:
        """(child table, child field, parent table, parent field) in ``base``'s names, for every relationship of
        ``base`` and of the design whose two columns exist in ``base``, and whose parent table is sampled."""
        out, seen = [], set()
        for rel in [*self.base["relationships"], *self.design["relationships"]]:
            child, parent = self.base_fields.get(rel["target_field"]), self.base_fields.get(rel["source_field"])
            if child is None or parent is None or parent[0]["id"] not in self.sampled_ids:
                continue
            key = (child[1]["id"], parent[1]["id"])
            if key not in seen:
                seen.add(key)
                out.append((child[0], child[1], parent[0], parent[1]))
        return out

    def _add_referenced_rows(self) -> None:
        """Copy the parent rows that rows of the copy reference but the sample of their table left out, until
        none is missing (a parent row copied in may reference a grandparent row, and so on)."""
        refs = self._references()
        broken: set[int] = set()
        for _ in range(len(self.base["tables"]) + 1):
            added = 0
            for i, (child_t, child_f, parent_t, parent_f) in enumerate(refs):
                if i in broken:
                    continue
                cols = sql.SQL(", ").join(sql.Identifier(f["field_name"]) for f in parent_t["fields"])
                pcol, ccol = sql.Identifier(parent_f["field_name"]), sql.Identifier(child_f["field_name"])
                query = sql.SQL(
                    "INSERT INTO {scratch_p} ({cols}) SELECT {cols} FROM {source_p} p WHERE p.{pcol} IN "
                    "(SELECT c.{ccol} FROM {scratch_c} c WHERE c.{ccol} IS NOT NULL) "
                    "AND NOT EXISTS (SELECT 1 FROM {scratch_p} x WHERE x.{pcol} = p.{pcol})"
                ).format(
                    scratch_p=self.s(parent_t["table_name"]),
                    cols=cols,
                    source_p=self.src(parent_t["table_name"]),
                    pcol=pcol,
                    ccol=ccol,
                    scratch_c=self.s(child_t["table_name"]),
                )
                try:
                    with self.conn.transaction():
                        n = self.conn.execute(query).rowcount
                except pg_errors.LockNotAvailable as exc:
                    raise RehearsalError(
                        f"A table of schema {self.source} is locked (a deploy running now?); try again later."
                    ) from exc
                except psycopg.Error:  # e.g. a new foreign key between columns of different types (yet)
                    broken.add(i)
                    continue
                if n:
                    sample = self.samples[parent_t["id"]]
                    sample.copied += n
                    sample.added_for_references += n
                    added += n
            if not added:
                return

    # --- run the plan ----------------------------------------------------------------------------
    def run(self, forward: list[Statement]) -> int:
        started = time.monotonic()
        shown = compile_diff(self.base, self.design, schema=self.source, tag=self.tag)
        total = len(forward)
        for i, st in enumerate(forward):
            try:
                with self.conn.transaction():
                    self.conn.execute(st.sql)
            except psycopg.Error as exc:
                self.failures.append(self._failure(i, st, shown[i] if i < len(shown) else st, exc))
                self._carry_on(st)
            if self.progress is not None:
                self.progress(i + 1, total)
        self.timed("plan", started)
        return total

    def _carry_on(self, st: Statement) -> None:
        """After a failed ADD COLUMN … NOT NULL, add the column as optional, so that what the rest of the plan does
        with it still runs (and is rehearsed)."""
        if st.op == "add_field" and " NOT NULL" in st.sql:
            try:
                with self.conn.transaction():
                    self.conn.execute(st.sql.replace(" NOT NULL", "", 1))
            except psycopg.Error:
                pass

    def _failure(self, index: int, st: Statement, shown: Statement, exc: psycopg.Error) -> Failure:
        diag = exc.diag
        failure = Failure(
            index=index,
            sql=shown.sql,
            op=st.op,
            table=diag.table_name or st.table,
            kind="error",
            error=_error_text(exc),
            sqlstate=diag.sqlstate or "",
            error_class=type(exc).__name__,
            summary="",
            column=diag.column_name or "",
            constraint=diag.constraint_name or "",
        )
        failure.after_failure = self._earlier_cause(st, exc)
        try:
            with self.conn.transaction():  # measuring must never end the rehearsal
                self._measure(failure, st, exc)
        except psycopg.Error:
            pass
        if not failure.summary:
            what = st.summary or st.op.replace("_", " ")
            failure.summary = f"{what}: {failure.error}"
            if failure.after_failure is not None:
                failure.summary += f" (probably because statement {failure.after_failure + 1} failed)"
        return failure

    def _earlier_cause(self, st: Statement, exc: psycopg.Error) -> int | None:
        if not isinstance(exc, CONSEQUENTIAL):
            return None
        tables = {_unquote(t) for s, t in TABLE_RE.findall(st.sql) if _unquote(s) == self.scratch}
        for earlier in reversed(self.failures):
            if earlier.table in tables:
                return earlier.index
        return None

    # --- the numbers behind a failure -----------------------------------------------------------------
    def _table_rows(self, table: str) -> int:
        return int(self.one(sql.SQL("SELECT count(*) FROM {}").format(self.s(table)))[0])

    def _is_sampled(self, table: str) -> bool:
        t = self.design_tables.get(table)
        return bool(t and t["id"] in self.sampled_ids)

    def _key_sql(self, table: str, exclude: str = "") -> sql.Composable | None:
        """``json_build_object`` of the table's primary key, for a short example of a row."""
        t = self.design_tables.get(table)
        pk = (t or {}).get("primary_key")
        if not t or not pk:
            return None
        by_id = {f["id"]: f["field_name"] for f in t["fields"]}
        cols = [by_id[i] for i in pk["fields"] if by_id.get(i) and by_id[i] != exclude]
        if not cols:
            return None
        return sql.SQL("json_build_object({})::text").format(
            sql.SQL(", ").join(sql.SQL("{}, {}").format(sql.Literal(c), sql.Identifier(c)) for c in cols)
        )

    def _measure(self, f: Failure, st: Statement, exc: psycopg.Error) -> None:
        if isinstance(exc, pg_errors.NotNullViolation):
            self._not_null(f, st)
        elif isinstance(exc, pg_errors.UniqueViolation):
            self._unique(f)
        elif isinstance(exc, pg_errors.CheckViolation):
            self._check(f)
        elif isinstance(exc, pg_errors.ForeignKeyViolation):
            self._foreign_key(f)
        elif st.op == "alter_field" and ALTER_TYPE_RE.match(st.sql) and isinstance(exc, CAST_ERRORS):
            self._cast(f, st)
        if f.rows is not None:
            f.sampled = self._is_sampled(f.table)
            if f.sampled:
                f.summary += f" (in a sample of {f.of_rows} rows; the table has more)"

    def _not_null(self, f: Failure, st: Statement) -> None:
        if not f.column or not f.table:
            return
        f.kind = "not_null"
        f.of_rows = self._table_rows(f.table)
        added = st.op == "add_field" and ADD_COLUMN_RE.match(st.sql)
        where = f"{f.table}.{f.column}"
        if added:
            f.rows = f.of_rows
            f.summary = (
                f"{where}: required without a default, and the table has {f.of_rows} rows — "
                "add a default or make it optional first"
            )
            return
        col = sql.Identifier(f.column)
        key = self._key_sql(f.table, exclude=f.column)
        examples = sql.SQL("(array_agg({}))[1:3]").format(key) if key is not None else sql.SQL("NULL::text[]")
        n, ex = self.one(sql.SQL("SELECT count(*), {} FROM {} WHERE {} IS NULL").format(examples, self.s(f.table), col))
        f.rows, f.examples = int(n), [_short(e) for e in ex or []]
        eg = f" (e.g. {f.examples[0]})" if f.examples else ""
        f.summary = f"{where}: {f.rows} of {f.of_rows} rows are NULL{eg} — add a default or fill them first"

    def _unique_columns(self, name: str) -> tuple[str, list[str]] | None:
        """The table and columns of a primary key, unique field, unique constraint or unique index of the design."""
        for t in self.design["tables"]:
            by_id = {f["id"]: f["field_name"] for f in t["fields"]}
            pk = t.get("primary_key")
            if pk and pk["name"] == name:
                return t["table_name"], [by_id[i] for i in pk["fields"]]
            for fd in t["fields"]:
                if fd.get("unique") and unique_name(t["table_name"], fd["field_name"]) == name:
                    return t["table_name"], [fd["field_name"]]
            for item in [*t["constraints"], *t["indexes"]]:
                if item["name"] == name and (item.get("kind") == "unique" or item.get("unique")):
                    return t["table_name"], [by_id[i] for i in item["fields"]]
        return None

    def _unique(self, f: Failure) -> None:
        found = self._unique_columns(f.constraint)
        if found is None:
            return
        table, cols = found
        f.kind, f.table = "unique", table
        f.column = ", ".join(cols)
        idents = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
        not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in cols)
        value = sql.SQL("json_build_array({})::text").format(idents) if len(cols) > 1 else sql.Identifier(cols[0])
        extra, groups, top, top_n = self.one(
            sql.SQL(
                "SELECT coalesce(sum(n - 1), 0), count(*), (array_agg(v ORDER BY n DESC, v))[1], max(n) FROM "
                "(SELECT {value}::text AS v, count(*) AS n FROM {t} WHERE {nn} GROUP BY {cols} HAVING count(*) > 1) d"
            ).format(value=value, t=self.s(table), nn=not_null, cols=idents)
        )
        f.of_rows = self._table_rows(table)
        f.rows = int(extra)
        if top is not None:
            f.examples = [f"{_short(top)} ×{top_n}"]
        eg = f", e.g. {f.examples[0]}" if f.examples else ""
        f.summary = (
            f"{table}.{f.column}: {f.rows} duplicate rows of {f.of_rows} ({groups} values appear more than once{eg})"
            " — remove the duplicates first"
        )

    def _check_expression(self, name: str) -> tuple[str, str] | None:
        for t in self.design["tables"]:
            columns = {fd["field_name"] for fd in t["fields"]}
            for fd in t["fields"]:
                if (fd.get("config") or {}).get("choices") and choices_name(t["table_name"], fd["field_name"]) == name:
                    return t["table_name"], choices_sql(fd)
            for c in t["constraints"]:
                if c["kind"] == "check" and c["name"] == name:
                    return t["table_name"], check_sql(c["expression"], columns)
        return None

    def _check(self, f: Failure) -> None:
        found = self._check_expression(f.constraint)
        if found is None:
            return
        table, expression = found
        f.kind, f.table = "check", table
        # the expression is re-emitted by the compiler from PostgreSQL's parse tree of a validated expression
        n, ex = self.one(
            sql.SQL("SELECT count(*), (array_agg(row_to_json(t)::text))[1:3] FROM {} t WHERE NOT ({})").format(
                self.s(table), sql.SQL(expression)
            )
        )
        f.rows, f.examples = int(n), [_short(e) for e in ex or []]
        f.of_rows = self._table_rows(table)
        eg = f", e.g. {f.examples[0]}" if f.examples else ""
        f.summary = (
            f"{table}: {f.rows} of {f.of_rows} rows violate the new check {f.constraint} ({expression}){eg}"
            " — fix them first"
        )

    def _foreign_key(self, f: Failure) -> None:
        rel = next((r for r in self.design["relationships"] if r["name"] == f.constraint), None)
        if rel is None:
            return
        child_t, child_f = self.design_fields[rel["target_field"]]
        parent_t, parent_f = self.design_fields[rel["source_field"]]
        table, col = child_t["table_name"], child_f["field_name"]
        f.kind, f.table, f.column = "foreign_key", table, col
        c, p = sql.Identifier(col), sql.Identifier(parent_f["field_name"])
        n, ex = self.one(
            sql.SQL(
                "SELECT count(*), (array_agg(DISTINCT c.{c}::text))[1:3] FROM {child} c WHERE c.{c} IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{p} = c.{c})"
            ).format(c=c, p=p, child=self.s(table), parent=self.s(parent_t["table_name"]))
        )
        f.rows, f.examples = int(n), [_short(e) for e in ex or []]
        f.of_rows = self._table_rows(table)
        eg = f" (e.g. {f.examples[0]})" if f.examples else ""
        ref = f"{parent_t['table_name']}.{parent_f['field_name']}"
        f.summary = (
            f"{table}.{col}: {f.rows} of {f.of_rows} rows reference {ref} values that do not exist{eg}"
            " — fix or delete them first"
        )

    def _cast(self, f: Failure, st: Statement) -> None:
        match = ALTER_TYPE_RE.match(st.sql)
        table, col, target = _unquote(match[2]), _unquote(match[3]), match[4]
        if not TYPE_RE.match(target):
            return
        f.kind, f.table, f.column = "cast", table, col
        c = sql.Identifier(col)
        n, ex = self.one(
            sql.SQL(
                "SELECT count(*), (array_agg(DISTINCT left({c}::text, 200)))[1:3] FROM {t} "
                "WHERE {c} IS NOT NULL AND NOT {helper}({c}, %s)"
            ).format(c=c, t=self.s(table), helper=sql.Identifier(self.scratch, CAST_HELPER)),
            (target,),
        )
        f.rows, f.examples = int(n), [_short(repr(e)) for e in ex or []]
        f.of_rows = self._table_rows(table)
        eg = f" (e.g. {f.examples[0]})" if f.examples else ""
        f.summary = f"{table}.{col}: {f.rows} of {f.of_rows} values cannot become {target}{eg} — clean them first"


def rehearse(
    conn: psycopg.Connection,
    source_schema: str,
    base: Snapshot,
    design: Snapshot,
    *,
    sample_rows: int = 10_000,
    tag: str = "d0",
    progress: Progress | None = None,
    lock_timeout_ms: int = LOCK_TIMEOUT_MS,
    statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
) -> RehearsalReport:
    """Rehearse the deploy of ``design`` over ``base`` (deployed in ``source_schema``, with its rows) on a
    scratch copy, in one transaction that is always rolled back. See the module docstring.

    ``conn`` must be an idle autocommit connection to the deploy target. ``tag`` is the deploy's tag (``d<n>``),
    so the statements reported are those the deploy will run. ``progress(done, total)`` is called after each
    plan statement. ``lock_timeout_ms`` bounds the wait for a lock on the source (a deploy running there);
    ``statement_timeout_ms`` any one statement. Raises :class:`RehearsalError` when the copy cannot be set up
    (nothing is left behind); a failing plan statement is not an error but a :class:`Failure` in the report.
    """
    if sample_rows < 1:
        raise ValueError("sample_rows must be at least 1")
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        raise ValueError("rehearse() needs an idle connection (autocommit, no transaction open)")
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    job = _Rehearsal(
        conn,
        source_schema,
        base,
        design,
        sample_rows=sample_rows,
        tag=tag,
        progress=progress,
        lock_timeout_ms=lock_timeout_ms,
        statement_timeout_ms=statement_timeout_ms,
    )
    forward, _ = compile_plan(job.base, job.design, schema=job.scratch, tag=tag)
    run = 0
    if forward:
        with conn.transaction(force_rollback=True):  # always rolled back: the scratch schema goes with it
            job.setup()
            run = job.run(forward)
    return RehearsalReport(
        success=not job.failures,
        duration_ms=int((time.monotonic() - started) * 1000),
        source_schema=source_schema,
        scratch_schema=job.scratch,
        sample_rows=sample_rows,
        statements_total=len(forward),
        statements_run=run,
        statements_failed=len(job.failures),
        tables=list(job.samples.values()),
        failures=job.failures,
        started_at=started_at,
        phases_ms=job.phases,
    )
