"""Sample data for a deployed design: fill its tables with realistic rows, and take exactly those rows out again.

Plain functions over an open psycopg 3 connection and the design's snapshot (no ORM, no models)::

    result = seed(conn, "shop", snapshot, rows_per_table=1000, seed=7)
    store(result.as_dict())                      # the caller keeps the keys (JSON) in the app database
    clear(conn, "shop", snapshot, result.keys)   # removes exactly the seeded rows, leaves user rows alone

How rows are made and written:

* Tables are filled parents first (topological order of the foreign keys). A foreign key whose parent is in the
  same cycle (a self-reference, or a cycle of tables) is left NULL on the first pass and filled by a second pass of
  UPDATEs once every table of the cycle has rows; such a key must be nullable, otherwise :class:`SeedError` names
  the tables of the cycle.
* Values follow each column's type and options (max_length, precision/scale, choices, identity, NOT NULL, UNIQUE,
  composite keys and unique constraints) and its name (email, first_name, city, price, created_at, ...), picked from
  pools Faker fills with a seed derived from ``seed`` and the pool's kind; each table draws from them with its own
  ``random.Random`` seeded from ``seed`` and the table name. Same seed and same database state -> same rows.
* Simple CHECK bounds (``price > 0``, ``score BETWEEN 0 AND 100``) are read from the expressions to aim the
  generated numbers; PostgreSQL itself checks every constraint, never disabled.
* Rows go in with ``COPY``. First straight into the table inside a savepoint; when PostgreSQL rejects the batch
  (a CHECK, a clash with a user row's unique value) the savepoint is rolled back and the rows go through a staging
  temp table: ``INSERT ... SELECT ... WHERE <every CHECK> IS NOT FALSE ON CONFLICT DO NOTHING RETURNING <key>``,
  topped up with fresh rows until the table has its count (or the attempts run out; the count says so).
* Integer key columns get explicit values above the largest existing one; identity sequences are moved past the
  values afterwards (``setval``), so the application's next insert does not clash.

Which rows seeding added is recorded by key: ``SeedResult.keys[table]`` is a list of key tuples (JSON lists: ints
stay ints, other values are their PostgreSQL text form). The key is the primary key, or else the first UNIQUE
(field or constraint) whose columns are all NOT NULL. A table with neither is refused with a message (``ctid`` is
not stable, and all-column matching could delete a user's identical row).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import random
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import pglast
import psycopg
from faker import Faker
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from designer.ddl.postgresql import check_sql, column_type
from designer.schema.snapshot import Snapshot, canonicalize
from designer.schema.types import INT_RANGES, normalize_type

MAX_ROWS_PER_TABLE = 100_000
POOL_SIZE = 512
TOP_UP_ROUNDS = 8
CHUNK = 250  # rows generated at a time, while PostgreSQL takes the previous chunk
NULL_RATE = 0.1  # share of NULLs in a nullable column that is neither a key nor unique


class SeedError(ValueError):
    """Seeding cannot go ahead (an unknown table, a cycle through NOT NULL keys, a table without a key)."""


@dataclass
class SeedResult:
    """What one ``seed`` call added. ``keys`` and ``key_columns`` are JSON-serialisable, for the app database."""

    seed: int
    rows_per_table: int
    counts: dict[str, int] = field(default_factory=dict)
    keys: dict[str, list[list[Any]]] = field(default_factory=dict)
    key_columns: dict[str, list[str]] = field(default_factory=dict)
    updated_references: dict[str, int] = field(default_factory=dict)  # second-pass UPDATEs per table
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the design, read for seeding ----------------------------------------------------------------------------


@dataclass
class _Ref:
    child: str
    column: str
    parent: str
    parent_column: str
    deferred: bool = False


@dataclass
class _Table:
    raw: dict
    name: str
    fields: list[dict]
    key: list[str]
    uniques: list[tuple[str, ...]]
    checks: list[str]
    bounds: dict[str, tuple[float | None, float | None]]
    refs: dict[str, _Ref] = field(default_factory=dict)  # column -> reference


def _stable_int(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def _design(snapshot: Snapshot) -> tuple[dict[str, _Table], list[_Ref]]:
    snap = canonicalize(snapshot)
    by_id = {t["id"]: t for t in snap["tables"]}
    fields_by_id = {f["id"]: f for t in snap["tables"] for f in t["fields"]}
    tables: dict[str, _Table] = {}
    for t in snap["tables"]:
        names = {f["id"]: f["field_name"] for f in t["fields"]}
        uniques: list[tuple[str, ...]] = []
        pk = t.get("primary_key")
        if pk and pk["fields"]:
            uniques.append(tuple(names[i] for i in pk["fields"]))
        uniques += [(f["field_name"],) for f in t["fields"] if f.get("unique")]
        uniques += [tuple(names[i] for i in c["fields"]) for c in t["constraints"] if c["kind"] == "unique"]
        uniques += [tuple(names[i] for i in ix["fields"]) for ix in t["indexes"] if ix.get("unique")]
        uniques = list(dict.fromkeys(uniques))
        required = {f["field_name"] for f in t["fields"] if f.get("required")}
        if pk and pk["fields"]:
            key = [names[i] for i in pk["fields"]]
        else:
            key = next((list(u) for u in uniques if set(u) <= required), [])
        columns = set(names.values())
        checks = [check_sql(c["expression"], columns) for c in t["constraints"] if c["kind"] == "check"]
        bounds: dict[str, tuple[float | None, float | None]] = {}
        for c in t["constraints"]:
            if c["kind"] == "check":
                _read_bounds(c["expression"], bounds)
        tables[t["table_name"]] = _Table(t, t["table_name"], t["fields"], key, uniques, checks, bounds)
    refs = []
    for r in snap["relationships"]:
        child, parent = by_id[r["target_table"]], by_id[r["source_table"]]
        ref = _Ref(
            child["table_name"],
            fields_by_id[r["target_field"]]["field_name"],
            parent["table_name"],
            fields_by_id[r["source_field"]]["field_name"],
        )
        tables[ref.child].refs[ref.column] = ref
        refs.append(ref)
    return tables, refs


def _read_bounds(expression: str, bounds: dict[str, tuple[float | None, float | None]]) -> None:
    """Lower/upper bounds of ``col > 0``, ``col <= 10``, ``col BETWEEN a AND b`` (ANDed) into ``bounds``."""
    try:
        where = pglast.parse_sql(f"SELECT 1 WHERE ({expression})")[0].stmt.whereClause
    except pglast.parser.ParseError:
        return

    def const(node: Any) -> float | None:
        val = getattr(node, "val", None)
        if val is None:
            return None
        raw = getattr(val, "ival", None)
        if raw is None:
            raw = getattr(val, "fval", None)
        try:
            return float(raw) if raw is not None else None
        except (TypeError, ValueError):
            return None

    def column(node: Any) -> str | None:
        fields = getattr(node, "fields", None)
        if fields and type(node).__name__ == "ColumnRef":
            return getattr(fields[-1], "sval", None)
        return None

    def tighten(col: str, lo: float | None, hi: float | None) -> None:
        old_lo, old_hi = bounds.get(col, (None, None))
        if lo is not None:
            old_lo = lo if old_lo is None else max(old_lo, lo)
        if hi is not None:
            old_hi = hi if old_hi is None else min(old_hi, hi)
        bounds[col] = (old_lo, old_hi)

    def walk(node: Any) -> None:
        kind = type(node).__name__
        if kind == "BoolExpr" and node.boolop.name == "AND_EXPR":
            for arg in node.args:
                walk(arg)
        elif kind == "A_Expr":
            op = node.name[-1].sval if node.name else ""
            col = column(node.lexpr)
            if col is None:
                return
            if node.kind.name == "AEXPR_BETWEEN" and isinstance(node.rexpr, tuple) and len(node.rexpr) == 2:
                tighten(col, const(node.rexpr[0]), const(node.rexpr[1]))
            elif node.kind.name == "AEXPR_OP":
                value = const(node.rexpr)
                if value is None:
                    return
                if op in (">", ">="):
                    tighten(col, value + (1e-9 if op == ">" else 0), None)
                elif op in ("<", "<="):
                    tighten(col, None, value - (1e-9 if op == "<" else 0))

    walk(where)


def _order(tables: dict[str, _Table], refs: list[_Ref], chosen: list[str]) -> list[str]:
    """Parents before children among ``chosen``; marks references inside a cycle as deferred (second pass)."""
    chosen_set = set(chosen)
    edges = {t: set() for t in chosen}
    for r in refs:
        if r.child in chosen_set and r.parent in chosen_set:
            edges[r.child].add(r.parent)
    comp = _components(edges)
    for r in refs:
        if r.child in chosen_set and r.parent in chosen_set and comp[r.child] == comp[r.parent]:
            r.deferred = True
    blocking = [r for r in refs if r.deferred and _field(tables[r.child], r.column).get("required")]
    if blocking:
        cycle = sorted({t for r in blocking for t in chosen if comp[t] == comp[r.child]})
        columns = ", ".join(f"{r.child}.{r.column}" for r in blocking)
        raise SeedError(
            f"Cannot seed tables {', '.join(cycle)}: their foreign keys form a cycle through NOT NULL columns "
            f"({columns}), so no row can be inserted first. Make one of these columns nullable."
        )
    hard = {t: {r.parent for r in refs if r.child == t and r.parent in chosen_set and not r.deferred} for t in chosen}
    done: list[str] = []
    placed: set[str] = set()
    pending = sorted(chosen)
    while pending:
        ready = [t for t in pending if hard[t] <= placed]
        if not ready:  # cannot happen: every reference inside a cycle is deferred
            raise SeedError(f"Cannot order tables {', '.join(pending)} for seeding.")
        done += ready
        placed.update(ready)
        pending = [t for t in pending if t not in placed]
    return done


def _components(edges: dict[str, set[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    comp: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp[member] = index[node]
                    if member == node:
                        break
    return comp


def _field(table: _Table, column: str) -> dict:
    return next(f for f in table.fields if f["field_name"] == column)


# --- values ----------------------------------------------------------------------------------------------------

_TEXT_KINDS: list[tuple[tuple[str, ...], str]] = [
    (("email",), "email"),
    (("first_name", "firstname", "given_name"), "first_name"),
    (("last_name", "lastname", "surname", "family_name"), "last_name"),
    (("username", "user_name", "login", "handle"), "user_name"),
    (("full_name", "display_name", "contact_name", "author", "composer", "owner_name"), "name"),
    (("company", "organisation", "organization", "employer"), "company"),
    (("phone", "fax", "mobile", "tel"), "phone_number"),
    (("postal_code", "postcode", "zip"), "postcode"),
    (("address", "street"), "street_address"),
    (("city", "town"), "city"),
    (("state", "region", "province", "county"), "state"),
    (("country",), "country"),
    (("url", "website", "link", "homepage", "href"), "url"),
    (("slug",), "slug"),
    (("title", "subject", "headline"), "title"),
    (("description", "notes", "note", "comment", "summary", "bio", "body", "content", "message", "text"), "text"),
    (("color", "colour"), "color_name"),
    (("currency",), "currency_code"),
    (("ip",), "ipv4"),
    (("code", "sku", "reference", "ref"), "code"),
    (("token", "hash", "secret", "password"), "sha1"),
    (("name",), "name"),
]


def _text_kind(column: str) -> str:
    name = column.lower()
    for needles, kind in _TEXT_KINDS:
        for needle in needles:
            if name == needle or name.endswith("_" + needle) or name.startswith(needle + "_"):
                return kind
    if "name" in name:
        return "word_title"
    return "words"


def _faker_value(fake: Faker, kind: str) -> str:
    if kind == "title":
        return fake.sentence(nb_words=4).rstrip(".")
    if kind == "text":
        return fake.paragraph(nb_sentences=2)
    if kind == "words":
        return " ".join(fake.words(nb=3))
    if kind == "word_title":
        return fake.word().title() + " " + fake.word()
    if kind == "code":
        return fake.bothify("??-####").upper()
    if kind == "user_name":
        return fake.user_name()
    return str(getattr(fake, kind)())


class _Pools:
    """Faker values per kind, made once per seed (Faker seeded from the seed and the kind)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.fake = Faker("en_US")
        self.pools: dict[str, list[str]] = {}

    def get(self, kind: str) -> list[str]:
        pool = self.pools.get(kind)
        if pool is None:
            self.fake.seed_instance(_stable_int(self.seed, kind))
            pool = [_faker_value(self.fake, kind) for _ in range(POOL_SIZE)]
            self.pools[kind] = pool
        return pool


def _uniq(n: int) -> str:
    """A short distinct suffix for the n-th value (hexadecimal)."""
    return f"{n:x}"


_EPOCH = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
_SPAN = 7 * 365 * 86400


class _Generator:
    """Makes one table's rows, column by column; ``rng`` is the table's own random stream."""

    def __init__(self, table: _Table, pools: _Pools, rng: random.Random, offsets: dict[str, int], counter: int):
        self.table = table
        self.pools = pools
        self.rng = rng
        self.offsets = offsets  # integer key/unique column -> first value
        self.counter = counter  # suffix counter for unique text
        self.unique_columns = {u[0] for u in table.uniques if len(u) == 1}
        self.key_columns = set(table.key)
        self.columns = [f["field_name"] for f in table.fields]
        self.distinct: set[str] = set(offsets)  # columns whose values are distinct by construction
        self.makers = [self._maker(f) for f in table.fields]

    def rows(self, start: int, count: int, fk_pools: dict[str, list[Any]]) -> list[tuple]:
        """Rows ``start .. start+count-1`` of this table's stream."""
        made: dict[str, list[Any]] = {}
        out = []
        rng = self.rng
        for f, make in zip(self.table.fields, self.makers, strict=True):
            col = f["field_name"]
            ref = self.table.refs.get(col)
            if ref is None:
                values = make(start, count, made)
            elif ref.deferred:
                values = [None] * count
            else:
                pool = fk_pools.get(col) or []
                if not pool:
                    values = [None] * count
                elif col in self.unique_columns:
                    values = [pool[i] if i < len(pool) else None for i in range(start, start + count)]
                else:
                    values = rng.choices(pool, k=count)
                    if not f.get("required") and col not in self.key_columns:
                        values = [None if rng.random() < 0.05 else v for v in values]
            made[col] = values
            out.append(values)
        return list(zip(*out, strict=True))

    def _nulls(self, values: list[Any]) -> list[Any]:
        rng = self.rng
        return [None if rng.random() < NULL_RATE else v for v in values]

    def _maker(self, f: dict):  # noqa: C901 - one branch per type family
        ftype = normalize_type(f["data_type"], f.get("config"))
        family, cfg = ftype.family, ftype.config
        col = f["field_name"]
        name = col.lower()
        rng = self.rng
        nullable = not f.get("required") and col not in self.key_columns and col not in self.unique_columns
        unique = col in self.unique_columns or (self.table.key == [col])
        lo_b, hi_b = self.table.bounds.get(col, (None, None))
        finish = self._nulls if nullable else (lambda values: values)

        def integers(lo: int, hi: int, count: int) -> list[int]:
            width = hi - lo + 1
            random_ = rng.random
            return [lo + int(random_() * width) for _ in range(count)]

        if family == "text":
            choices = cfg.get("choices")
            max_length = cfg.get("max_length")
            if choices:
                return lambda start, count, made: finish(rng.choices(choices, k=count))
            kind = _text_kind(name)
            pool = self.pools.get(kind)
            if max_length:
                pool = [v if len(v) <= max_length else (v[:max_length].rstrip() or v[:max_length]) for v in pool]
            if not (unique or kind in ("email", "user_name")):  # addresses and handles of people are distinct
                return lambda start, count, made: finish(rng.choices(pool, k=count))
            full = self.pools.get(kind)
            if max_length is None or max_length >= max(map(len, full)) + 2 + len(_uniq(self.counter + 10**7)):
                self.distinct.add(col)  # never truncated: the counter suffix keeps every value distinct

            def suffixed(start, count, made):
                out = []
                for i, value in enumerate(rng.choices(full, k=count), start):
                    suffix = _uniq(self.counter + i)
                    if kind == "email":
                        local, _, domain = value.partition("@")
                        value = f"{local}.{suffix}@{domain}"
                    elif kind in ("code", "sha1", "slug"):
                        value = f"{value}-{suffix}"
                    else:
                        value = f"{value} {suffix}"
                    if max_length and len(value) > max_length:
                        value = value[: max(0, max_length - len(suffix) - 1)] + "-" + suffix
                        value = value[-max_length:] if len(value) > max_length else value
                    out.append(value)
                return finish(out)

            return suffixed
        if family == "number":
            kind = cfg.get("kind", "integer")
            if kind in INT_RANGES:
                kmin, kmax = INT_RANGES[kind]
                if col in self.offsets:
                    first = self.offsets[col]
                    return lambda start, count, made: list(range(first + start, first + start + count))
                lo, hi = _int_range(name)
                lo = max(lo, math.ceil(lo_b) if lo_b is not None else lo, kmin)
                hi = min(hi, math.floor(hi_b) if hi_b is not None else hi, kmax)
                if lo_b is not None and lo > hi:
                    hi = min(kmax, lo + 1000)
                if hi_b is not None and hi < lo:
                    lo = max(kmin, hi - 1000)
                return lambda start, count, made: finish(integers(lo, hi, count))
            if kind == "decimal":
                precision, scale = cfg.get("precision"), cfg.get("scale", 0) or 0
                scale = scale if precision else 2
                top = 10 ** (precision - scale) - 10**-scale if precision else 1_000_000
                lo, hi = _decimal_range(name)
                lo = max(lo, lo_b if lo_b is not None else lo, -top)
                hi = min(hi, hi_b if hi_b is not None else hi, top)
                if hi < lo:
                    lo = max(-top, hi - 1000)
                steps_lo, steps_hi = math.ceil(lo * 10**scale), math.floor(hi * 10**scale)
                steps_hi = max(steps_hi, steps_lo)

                def decimals(start, count, made):
                    return finish([decimal.Decimal(k).scaleb(-scale) for k in integers(steps_lo, steps_hi, count)])

                return decimals
            lo, hi = _decimal_range(name)
            lo = max(lo, lo_b) if lo_b is not None else lo
            hi = min(hi, hi_b) if hi_b is not None else hi
            if hi < lo:
                hi = lo + 1000
            return lambda start, count, made: finish([round(rng.uniform(lo, hi), 4) for _ in range(count)])
        if family == "date":
            kind = cfg.get("kind", "timestamptz")
            past = "birth" in name or "dob" in name
            first, span = (dt.datetime(1950, 1, 1, tzinfo=dt.UTC), 55 * 365 * 86400) if past else (_EPOCH, _SPAN)
            after = None
            if name.startswith(("updated", "modified", "ended", "end", "finished", "completed", "closed")):
                after = next(
                    (
                        c
                        for c in ("created_at", "created", "started_at", "start_date", "start", "inserted_at")
                        if c in self.columns and self.columns.index(c) < self.columns.index(col)
                    ),
                    None,
                )

            def moments(start, count, made):
                earlier = made.get(after) if after else None
                out = []
                for i in range(count):
                    base = earlier[i] if earlier is not None else None
                    if isinstance(base, dt.datetime | dt.date):
                        if not isinstance(base, dt.datetime):
                            base = dt.datetime.combine(base, dt.time(), dt.UTC)
                        elif base.tzinfo is None:
                            base = base.replace(tzinfo=dt.UTC)
                        stamp = base + dt.timedelta(seconds=int(rng.random() * 90 * 86400))
                    else:
                        stamp = first + dt.timedelta(seconds=int(rng.random() * span))
                    if kind == "date":
                        stamp = stamp.date()
                    elif kind == "time":
                        stamp = stamp.time()
                    elif kind == "timestamp":
                        stamp = stamp.replace(tzinfo=None)
                    out.append(stamp)
                return finish(out)

            return moments
        if family == "boolean":
            share = 0.8 if name.startswith(("is_active", "active", "enabled", "is_enabled", "visible")) else 0.5
            return lambda start, count, made: finish([rng.random() < share for _ in range(count)])
        if family == "json":
            words = self.pools.get("words")

            def documents(start, count, made):
                return finish(
                    [
                        json.dumps(
                            {"label": rng.choice(words), "score": int(rng.random() * 101), "tag": rng.choice(words)}
                        )
                        for _ in range(count)
                    ]
                )

            return documents
        return lambda start, count, made: finish([uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)])


def _int_range(name: str) -> tuple[int, int]:
    if any(k in name for k in ("quantity", "qty", "count", "number_of", "rank", "position", "order")):
        return 1, 20
    if "year" in name:
        return 1960, 2025
    if "age" in name.split("_"):
        return 18, 90
    if any(k in name for k in ("score", "percent", "rating", "progress")):
        return 0, 100
    if any(k in name for k in ("millisecond", "bytes", "size", "duration")):
        return 1_000, 10_000_000
    return 1, 10_000


def _decimal_range(name: str) -> tuple[float, float]:
    if any(k in name for k in ("price", "amount", "total", "cost", "fee", "balance", "salary", "subtotal", "tax")):
        return 0.99, 999.99
    if any(k in name for k in ("rate", "ratio", "percent", "score")):
        return 0.0, 100.0
    if name in ("lat", "latitude"):
        return -90.0, 90.0
    if name in ("lng", "lon", "longitude"):
        return -180.0, 180.0
    return 0.0, 10_000.0


# --- SQL helpers -------------------------------------------------------------------------------------------------


def _ident(*names: str) -> sql.Identifier:
    return sql.Identifier(*names)


def _cols(columns: list[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _existing_tables(conn: psycopg.Connection, schema: str) -> set[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
        (schema,),
    ).fetchall()
    return {r[0] for r in rows}


def _check_arguments(
    conn: psycopg.Connection, schema: str, tables: dict[str, _Table], chosen: list[str] | None
) -> list[str]:
    live = _existing_tables(conn, schema)
    if chosen is not None:
        unknown = [t for t in chosen if t not in tables]
        if unknown:
            raise SeedError(
                f"Table {', '.join(unknown)} is not in the design; known tables: {', '.join(sorted(tables))}."
            )
    names = list(dict.fromkeys(chosen)) if chosen is not None else sorted(tables)
    missing = [t for t in names if t not in live]
    if missing:
        raise SeedError(f"Table {', '.join(missing)} does not exist in schema {schema!r}: deploy the design first.")
    keyless = [t for t in names if not tables[t].key]
    if keyless:
        raise SeedError(
            f"Table {', '.join(keyless)} has no primary key (nor a UNIQUE key of NOT NULL columns), so the rows "
            "seeding adds could not be told apart from rows users add, and could not be cleared exactly. Give it a "
            "primary key, or leave it out with tables=[...]."
        )
    return names


# --- seeding ---------------------------------------------------------------------------------------------------


def seed(
    conn: psycopg.Connection,
    schema: str,
    snapshot: Snapshot,
    *,
    rows_per_table: int = 100,
    tables: list[str] | None = None,
    seed: int = 0,
) -> SeedResult:
    """Add ``rows_per_table`` rows of sample data to each table (or to ``tables``) of ``snapshot`` in ``schema``.

    All in one transaction (a savepoint when the connection is already in one): on any error nothing is added.
    Raises :class:`SeedError` (a ``ValueError``) for an unknown or undeployed table, a table without a key, a cycle
    of NOT NULL foreign keys, a NOT NULL foreign key whose parent has no rows, or ``rows_per_table`` outside
    1..100000.
    """
    if isinstance(rows_per_table, bool) or not isinstance(rows_per_table, int):
        raise SeedError("rows_per_table must be a whole number between 1 and 100000.")
    if not 1 <= rows_per_table <= MAX_ROWS_PER_TABLE:
        raise SeedError(f"rows_per_table must be between 1 and {MAX_ROWS_PER_TABLE}, got {rows_per_table}.")
    design, refs = _design(snapshot)
    names = _check_arguments(conn, schema, design, tables)
    order = _order(design, refs, names)
    result = SeedResult(seed=seed, rows_per_table=rows_per_table)
    pools = _Pools(seed)
    with conn.transaction():
        for name in order:
            table = design[name]
            keys = _seed_table(conn, schema, table, design, pools, seed, rows_per_table, result)
            result.keys[name] = [[_jsonable(v) for v in k] for k in keys]
            result.key_columns[name] = list(table.key)
            result.counts[name] = len(keys)
            if len(keys) < rows_per_table:
                result.notes.append(
                    f"{name}: {len(keys)} of {rows_per_table} rows (the constraints left no room for more)."
                )
        for name in order:
            deferred = [r for r in design[name].refs.values() if r.deferred]
            if deferred and result.keys[name]:
                result.updated_references[name] = _second_pass(conn, schema, design[name], deferred, seed, result)
        _bump_identities(conn, schema, [design[n] for n in order])
    return result


def _seed_table(
    conn: psycopg.Connection,
    schema: str,
    table: _Table,
    design: dict[str, _Table],
    pools: _Pools,
    seed_value: int,
    n: int,
    result: SeedResult,
) -> list[tuple]:
    qualified = _ident(schema, table.name)
    existing = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(qualified)).fetchone()[0]
    offsets = _integer_offsets(conn, schema, table)
    fk_pools: dict[str, list[Any]] = {}
    for col, ref in table.refs.items():
        if ref.deferred:
            continue
        fk_pools[col] = _parent_values(conn, schema, ref, limit=max(n, 1000) * (2 if col in table.key else 1))
        if not fk_pools[col] and _field(table, col).get("required"):
            raise SeedError(
                f"Cannot seed {table.name}: its NOT NULL foreign key {col} references {ref.parent}, which has no "
                f"rows. Seed {ref.parent} too (or add rows to it first)."
            )
        if col in {u[0] for u in table.uniques if len(u) == 1}:
            random.Random(_stable_int(seed_value, table.name, col)).shuffle(fk_pools[col])
    rng = random.Random(_stable_int(seed_value, table.name))
    gen = _Generator(table, pools, rng, offsets, counter=existing + _stable_int(seed_value) % 1000 * 100_000)
    columns = gen.columns
    seen = {u: set() for u in table.uniques}
    key_index = [columns.index(c) for c in table.key]
    required_index = [j for j, f in enumerate(table.fields) if f.get("required") or f["field_name"] in table.key]
    u_index = {u: [columns.index(c) for c in u] for u in table.uniques}

    # uniqueness the generator guarantees by construction (integer columns counted up from above the largest value)
    check_unique = [(seen[u], idx) for u, idx in u_index.items() if not set(u) & gen.distinct]
    unique_refs = {u[0] for u in table.uniques if len(u) == 1 and u[0] in table.refs}
    check_required = [j for j in required_index if columns[j] in unique_refs]
    state = {"next": 0}

    def make(count: int, sink: Any = None) -> list[tuple]:
        """``count`` rows (fewer if the constraints leave no room), written to ``sink`` chunk by chunk as they are
        made, so PostgreSQL works on one chunk while the next is generated."""
        rows: list[tuple] = []
        limit = state["next"] + 20 * count
        while len(rows) < count and state["next"] < limit:
            want = min(count - len(rows), CHUNK)
            batch = gen.rows(state["next"], want, fk_pools)
            state["next"] += want
            if not check_required and not check_unique:
                rows += batch
                if sink is not None:
                    for row in batch:
                        sink(row)
                continue
            for row in batch:
                if check_required and any(row[j] is None for j in check_required):
                    continue
                if check_unique:
                    values = [tuple(row[j] for j in idx) for _seen, idx in check_unique]
                    if any(v in seen_ and None not in v for v, (seen_, _i) in zip(values, check_unique, strict=True)):
                        continue
                    for v, (seen_, _i) in zip(values, check_unique, strict=True):
                        seen_.add(v)
                rows.append(row)
                if sink is not None:
                    sink(row)
        return rows

    rows: list[tuple] = []
    try:
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(qualified, _cols(columns))
        with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql, writer=QueuedLibpqWriter(cur)) as copy:
            rows = make(n, copy.write_row)
        return [tuple(r[j] for j in key_index) for r in rows]
    except psycopg.errors.IntegrityError:
        pass  # a CHECK rejected a row, or a user row holds one of the values: through the staging table
    keys: list[tuple] = []
    stage = _ident(f"tw_seed_{table.name}"[:60])
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(stage, qualified))
    where = sql.SQL(" AND ").join(sql.SQL("({}) IS NOT FALSE").format(sql.SQL(c)) for c in table.checks)
    insert = sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM {s}{w} LIMIT %s ON CONFLICT DO NOTHING RETURNING {k}")
    insert = insert.format(
        t=qualified,
        c=_cols(columns),
        s=stage,
        w=sql.SQL(" WHERE ") + where if table.checks else sql.SQL(""),
        k=_cols(table.key),
    )
    for _round in range(TOP_UP_ROUNDS):
        if rows:
            _copy(conn, stage, columns, rows)
            with conn.cursor() as cur:
                cur.execute(insert, (n - len(keys),))
                keys += [tuple(k) for k in cur.fetchall()]
            conn.execute(sql.SQL("TRUNCATE {}").format(stage))
        missing = n - len(keys)
        if missing <= 0:
            break
        rows = make(missing * 2 if table.checks else missing)
    conn.execute(sql.SQL("DROP TABLE {}").format(stage))
    return keys


def _copy(conn: psycopg.Connection, target: sql.Composable, columns: list[str], rows: list[list[Any]]) -> None:
    with conn.cursor() as cur, cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, _cols(columns))) as copy:
        for row in rows:
            copy.write_row(row)


def _integer_offsets(conn: psycopg.Connection, schema: str, table: _Table) -> dict[str, int]:
    """Integer key and unique columns that are not foreign keys: the next value above the largest one."""
    out = {}
    singles = {u[0] for u in table.uniques if len(u) == 1}
    for f in table.fields:
        col = f["field_name"]
        if col not in singles or col in table.refs:
            continue
        ftype = normalize_type(f["data_type"], f.get("config"))
        if ftype.family == "number" and ftype.config.get("kind", "integer") in INT_RANGES:
            top = conn.execute(
                sql.SQL("SELECT max({}) FROM {}").format(_ident(col), _ident(schema, table.name))
            ).fetchone()[0]
            out[col] = max(int(top or 0), 0) + 1
    return out


def _parent_values(conn: psycopg.Connection, schema: str, ref: _Ref, *, limit: int) -> list[Any]:
    return [
        r[0]
        for r in conn.execute(
            sql.SQL("SELECT {c} FROM {t} WHERE {c} IS NOT NULL ORDER BY {c} LIMIT %s").format(
                c=_ident(ref.parent_column), t=_ident(schema, ref.parent)
            ),
            (limit,),
        ).fetchall()
    ]


def _key_types(table: _Table) -> list[str]:
    return [column_type(_field(table, c)) for c in table.key]


def _keys_table(
    conn: psycopg.Connection, table: _Table, keys: list[list[Any]], extra: list[str] = ()
) -> sql.Identifier:
    """A temp table holding ``keys`` (and ``extra`` text columns), typed like the table's key columns."""
    name = _ident(f"tw_keys_{table.name}"[:60])
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
    defs = [sql.SQL("{} {}").format(_ident(c), sql.SQL(t)) for c, t in zip(table.key, _key_types(table), strict=True)]
    defs += [sql.SQL("{} text").format(_ident(c)) for c in extra]
    conn.execute(sql.SQL("CREATE TEMP TABLE {} ({})").format(name, sql.SQL(", ").join(defs)))
    with conn.cursor() as cur, cur.copy(sql.SQL("COPY {} FROM STDIN").format(name)) as copy:
        for k in keys:
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in k])
    return name


def _match(table: _Table, target: sql.Composable, keys: sql.Identifier) -> sql.Composed:
    return sql.SQL(" AND ").join(sql.SQL("{}.{} = {}.{}").format(target, _ident(c), keys, _ident(c)) for c in table.key)


def _second_pass(
    conn: psycopg.Connection, schema: str, table: _Table, deferred: list[_Ref], seed_value: int, result: SeedResult
) -> int:
    """Fill the foreign keys left NULL (self-references, cycles) of the rows just seeded, with UPDATEs."""
    rng = random.Random(_stable_int(seed_value, table.name, "second pass"))
    keys = result.keys[table.name]
    columns = [r.column for r in deferred]
    assignments: list[list[Any]] = []
    pools = {}
    for r in deferred:
        pool = _parent_values(conn, schema, r, limit=max(len(keys), 1000))
        unique = any(u == (r.column,) for u in table.uniques)
        if unique:
            rng.shuffle(pool)
        pools[r.column] = (pool, unique)
    for i, k in enumerate(keys):
        values = list(k)
        for r in deferred:
            pool, unique = pools[r.column]
            if unique:
                value = pool[i] if i < len(pool) else None
            elif pool and rng.random() < 0.8:
                value = rng.choice(pool)
                if r.parent == table.name and len(table.key) == 1 and value == k[0] and len(pool) > 1:
                    value = None  # nobody reports to themselves
            else:
                value = None
            values.append(None if value is None else _jsonable(value))
        assignments.append(values)
    stage = _keys_table(conn, table, assignments, extra=columns)
    target = _ident(schema, table.name)
    sets = sql.SQL(", ").join(
        sql.SQL("{} = {}.{}::{}").format(_ident(c), stage, _ident(c), sql.SQL(column_type(_field(table, c))))
        for c in columns
    )
    cur = conn.execute(
        sql.SQL("UPDATE {t} SET {s} FROM {k} WHERE {m}").format(
            t=target, s=sets, k=stage, m=_match(table, target, stage)
        )
    )
    conn.execute(sql.SQL("DROP TABLE {}").format(stage))
    return cur.rowcount


def _bump_identities(conn: psycopg.Connection, schema: str, tables: list[_Table]) -> None:
    for table in tables:
        for f in table.fields:
            if not (f.get("config") or {}).get("identity"):
                continue
            qualified = sql.Identifier(schema, table.name).as_string(conn)
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), m) FROM (SELECT max({c}) AS m FROM {t}) s "
                    "WHERE m IS NOT NULL"
                ).format(c=_ident(f["field_name"]), t=_ident(schema, table.name)),
                (qualified, f["field_name"]),
            )


# --- clearing and status ---------------------------------------------------------------------------------------


def clear(conn: psycopg.Connection, schema: str, snapshot: Snapshot, keys: dict[str, list]) -> dict[str, int]:
    """Delete exactly the rows ``keys`` names (``SeedResult.keys``), children before parents; rows per table.

    References between seeded rows that a second pass filled are set to NULL first, so cycles come apart. A user
    row that references a seeded row makes PostgreSQL refuse (the foreign key's ON DELETE rule applies: with
    CASCADE the user's row goes too); then nothing is deleted and :class:`SeedError` names the table.
    """
    design, refs = _design(snapshot)
    unknown = [t for t in keys if t not in design]
    if unknown:
        raise SeedError(f"Table {', '.join(unknown)} is not in the design; cannot clear its seeded rows.")
    names = [t for t in keys if keys[t]]
    missing = [t for t in names if t not in _existing_tables(conn, schema)]
    if missing:
        raise SeedError(f"Table {', '.join(missing)} does not exist in schema {schema!r}.")
    order = _order(design, refs, names)
    deleted: dict[str, int] = {}
    with conn.transaction():
        stages = {t: _keys_table(conn, design[t], keys[t]) for t in names}
        for name in names:
            table = design[name]
            deferred = [r for r in table.refs.values() if r.deferred and not _field(table, r.column).get("required")]
            if deferred:
                target = _ident(schema, name)
                sets = sql.SQL(", ").join(sql.SQL("{} = NULL").format(_ident(r.column)) for r in deferred)
                conn.execute(
                    sql.SQL("UPDATE {t} SET {s} FROM {k} WHERE {m}").format(
                        t=target, s=sets, k=stages[name], m=_match(table, target, stages[name])
                    )
                )
        for name in reversed(order):
            table = design[name]
            target = _ident(schema, name)
            try:
                with conn.transaction():
                    cur = conn.execute(
                        sql.SQL("DELETE FROM {t} USING {k} WHERE {m}").format(
                            t=target, k=stages[name], m=_match(table, target, stages[name])
                        )
                    )
            except psycopg.errors.ForeignKeyViolation as exc:
                raise SeedError(
                    f"Cannot clear the seeded rows of {name}: rows that are not seeded still reference them "
                    f"({exc.diag.message_detail or exc})."
                ) from exc
            deleted[name] = cur.rowcount
        for stage in stages.values():
            conn.execute(sql.SQL("DROP TABLE {}").format(stage))
    return deleted


def status(conn: psycopg.Connection, schema: str, snapshot: Snapshot, keys: dict[str, list]) -> dict[str, dict]:
    """Per table of the design: ``rows`` in the table now, ``seeded`` (of ``keys``, still present) and ``user``."""
    design, _refs = _design(snapshot)
    live = _existing_tables(conn, schema)
    out: dict[str, dict] = {}
    with conn.transaction():
        for name in sorted(design):
            if name not in live:
                out[name] = {"deployed": False, "rows": 0, "seeded": 0, "user": 0}
                continue
            target = _ident(schema, name)
            rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(target)).fetchone()[0]
            seeded = 0
            if keys.get(name) and design[name].key:
                stage = _keys_table(conn, design[name], keys[name])
                seeded = conn.execute(
                    sql.SQL("SELECT count(*) FROM {t} JOIN {k} ON {m}").format(
                        t=target, k=stage, m=_match(design[name], target, stage)
                    )
                ).fetchone()[0]
                conn.execute(sql.SQL("DROP TABLE {}").format(stage))
            out[name] = {"deployed": True, "rows": rows, "seeded": seeded, "user": rows - seeded}
    return out
