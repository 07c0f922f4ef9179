"""Read one schema of a live PostgreSQL database back into a snapshot — the one catalog reader, used by
deploy verification and drift (``designer.services.targets``) and by "import from a live database".

    from designer.introspect.postgresql import introspect, introspect_with_report
    snapshot = introspect("postgres://user@host/db", "public")     # or an open psycopg connection
    result = introspect_with_report(conn, "shop")                  # ImportResult: snapshot + what was left out

``introspect_with_report`` returns the snapshot plus every object of the schema that the design model
cannot hold (views, functions, triggers, domains, sequences, partitions, exotic types…), which the import
preview lists; ``introspect`` returns the snapshot alone, with those objects as sentences in
``snapshot["warnings"]`` (not hashed). Types, defaults, constraint naming and ids go through the same code
as the SQL-file importer (``designer.importers.builder`` / ``pgtypes``), so a schema created from a SQL
file and that file read directly give the same snapshot and ``schema_hash``; ids are name-derived
(``designer.schema.ids``), so reading the same schema twice gives the same snapshot. Columns renamed aside
by a deploy (``…__kept_<tag>``) and the keys, constraints and indexes on them are skipped.

Only the catalogs are read (``pg_catalog``), each with one query whatever the number of tables, in one
transaction without parallel workers; the schema name is always a bound parameter.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

import psycopg

from designer.ddl.names import is_kept_column
from designer.importers import ImportResult, ImportSyntaxError
from designer.importers.builder import ACTIONS, ColumnDraft, ForeignKeyDraft, SchemaBuilder, sort_text
from designer.importers.pgtypes import ColumnType, map_type, parse_expression, read_default, type_name_of
from designer.schema.snapshot import Snapshot

TABLES = """
SELECT c.oid, c.relname, c.relkind, c.relispartition, coalesce(obj_description(c.oid, 'pg_class'), ''),
       (SELECT string_agg(p.relname, ', ') FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
         WHERE i.inhrelid = c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p')
 ORDER BY c.relname
"""

COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
       pg_get_expr(d.adbin, d.adrelid), coalesce(col_description(a.attrelid, a.attnum), ''),
       t.typtype, t.typname, format_type(t.typbasetype, t.typtypmod), coll.collname,
       -- the labels of an enum type (or of the enum under a domain), this type's own: not by name
       ARRAY(SELECT e.enumlabel FROM pg_enum e
              WHERE e.enumtypid = CASE t.typtype WHEN 'd' THEN t.typbasetype ELSE t.oid END
              ORDER BY e.enumsortorder)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation coll ON coll.oid = a.attcollation AND a.attcollation <> t.typcollation
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum
"""

CONSTRAINTS = """
SELECT con.conrelid, con.conname, con.contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       pg_get_expr(con.conbin, con.conrelid),
       fc.relname, fn.nspname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
       con.confdeltype, con.confupdtype, con.convalidated, con.condeferrable, con.condeferred, con.confmatchtype,
       -- a key's index: its INCLUDE columns and NULLS NOT DISTINCT (PostgreSQL 15+; false before)
       ARRAY(SELECT a.attname FROM pg_index ci CROSS JOIN LATERAL unnest(ci.indkey::int2[]) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = ci.indrelid AND a.attnum = k.n
              WHERE ci.indexrelid = con.conindid AND con.contype IN ('p', 'u') AND k.o > ci.indnkeyatts
              ORDER BY k.o),
       coalesce((SELECT (to_jsonb(ci) ->> 'indnullsnotdistinct')::boolean FROM pg_index ci
                  WHERE ci.indexrelid = con.conindid AND con.contype IN ('p', 'u')), false)
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_class fc ON fc.oid = con.confrelid
  LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p') AND con.contype IN ('p', 'u', 'c', 'f', 'x', 't')
 ORDER BY c.relname, con.conname
"""

INDEXES = """
SELECT i.indrelid, ic.relname, i.indisunique, am.amname, i.indexprs IS NOT NULL, i.indpred IS NOT NULL,
       -- the key columns only (INCLUDE columns follow them in indkey)
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
              WHERE k.o <= i.indnkeyatts ORDER BY k.o),
       pg_get_indexdef(i.indexrelid),
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
              WHERE k.o > i.indnkeyatts ORDER BY k.o),
       -- per key column: DESC (indoption bit 1), NULLS FIRST (bit 2), a non-default operator class
       ARRAY(SELECT ARRAY[a.attname, (k.opt & 1)::text, (k.opt & 2)::text,
                          CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname END]
               FROM unnest(i.indkey::int2[], i.indoption::int2[], i.indclass::oid[]) WITH ORDINALITY k(n, opt, cls, o)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
               JOIN pg_opclass opc ON opc.oid = k.cls
              WHERE k.o <= i.indnkeyatts ORDER BY k.o),
       coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_am am ON am.oid = ic.relam
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p')
   AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
   AND NOT (c.relispartition)
 ORDER BY c.relname, ic.relname
"""

# Objects the model cannot hold, one row each: (kind, name, detail). Members of extensions are left out.
OTHER_OBJECTS = """
WITH ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                      WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'composite type' END,
       c.relname, ''
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind IN ('v', 'm', 'f', 'S')
   AND c.oid NOT IN (SELECT objid FROM ext)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0)
UNION ALL
SELECT 'composite type', t.typname, ''
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
 WHERE n.nspname = %(schema)s AND t.typtype = 'c' AND c.relkind = 'c' AND t.oid NOT IN (SELECT objid FROM ext)
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type' WHEN 'm' THEN 'multirange type' END,
       t.typname, CASE t.typtype WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE '' END
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = %(schema)s AND t.typtype IN ('d', 'r') AND t.oid NOT IN (SELECT objid FROM ext)
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function'
                      ELSE 'function' END,
       p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', ''
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = %(schema)s AND p.oid NOT IN (SELECT objid FROM ext)
UNION ALL
SELECT 'trigger', tg.tgname || ' on ' || c.relname, ''
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND NOT tg.tgisinternal
UNION ALL
SELECT 'rule', r.rulename || ' on ' || c.relname, ''
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND r.rulename <> '_RETURN'
UNION ALL
SELECT 'policy', pol.polname || ' on ' || c.relname, ''
  FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s
UNION ALL
SELECT 'extension', e.extname, ''
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE n.nspname = %(schema)s AND e.extname <> 'plpgsql'
ORDER BY 1, 2
"""

DETAILS = {
    "domain": "its columns use the base type {extra}; the domain's own constraints are not kept",
    "sequence": "standalone sequences are not held by the designer (identity columns are); not imported",
}


def introspect(url_or_conn: str | psycopg.Connection, schema: str = "public", *, missing_ok: bool = False) -> Snapshot:
    """The snapshot of ``schema`` in a live PostgreSQL database, with what it could not hold as sentences in
    ``snapshot["warnings"]``. A schema that does not exist is an :class:`ImportSyntaxError`, or with
    ``missing_ok`` (a deploy target never deployed to) the empty schema."""
    result = introspect_with_report(url_or_conn, schema, missing_ok=missing_ok)
    snapshot = result.snapshot
    snapshot["warnings"] = [str(u) for u in result.unsupported]
    return snapshot


def introspect_with_report(
    url_or_conn: str | psycopg.Connection, schema: str = "public", *, missing_ok: bool = False
) -> ImportResult:
    """The snapshot of ``schema`` plus every object there that could not be represented."""
    if isinstance(url_or_conn, str):
        url = url_or_conn.replace("postgresql+psycopg://", "postgresql://")
        try:
            conn = psycopg.connect(
                url,
                connect_timeout=10,
                autocommit=True,
                # only reads, and never for long: the catalogs of a busy database stay undisturbed
                options="-c default_transaction_read_only=on -c statement_timeout=30s -c lock_timeout=5s",
            )
        except psycopg.Error as exc:
            message = _first_line(exc)
            password = _password(url)
            if password:
                message = message.replace(password, "***")
            raise ImportSyntaxError(f"Cannot connect to the database: {message}") from exc
        with conn:
            return _read(conn, schema, missing_ok)
    return _read(url_or_conn, schema, missing_ok)


@functools.lru_cache(maxsize=1024)
def _default_node(text: str):
    """A column default as PostgreSQL prints it, parsed (cached: ``0``, ``now()`` repeat a lot; read only)."""
    return parse_expression(text)


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _read(conn: psycopg.Connection, schema: str, missing_ok: bool = False) -> ImportResult:
    params = {"schema": schema}
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %(schema)s", params)
        if cur.fetchone() is None:
            if missing_ok:
                return SchemaBuilder("live").build()
            cur.execute("SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'")
            known = ", ".join(sorted(r[0] for r in cur.fetchall()))
            raise ImportSyntaxError(f"The database has no schema {schema!r}. Schemas there: {known or 'none'}.")
        rows = {}
        with conn.transaction():
            # One schema's catalog rows are few: starting parallel workers for them costs far more than it saves
            # (on a busy server it made the convergence check of a 300-table deploy three times slower).
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            for key, query in (("tables", TABLES), ("columns", COLUMNS), ("constraints", CONSTRAINTS),
                               ("indexes", INDEXES), ("other", OTHER_OBJECTS)):  # fmt: skip
                cur.execute(query, params)
                rows[key] = cur.fetchall()
    return _Catalog(schema, rows).build()


class _Catalog:
    def __init__(self, schema: str, rows: dict[str, list[tuple]]) -> None:
        self.schema = schema
        self.rows = rows
        self.b = SchemaBuilder("live")
        self.tables: dict[int, Any] = {}

    def build(self) -> ImportResult:
        b = self.b
        for kind, name, extra in self.rows["other"]:
            b.report(kind, name, DETAILS.get(kind, "the designer cannot hold it; not imported").format(extra=extra))
        for oid, name, relkind, is_partition, description, parents in self.rows["tables"]:
            if is_partition:
                b.report("partition", name, f"partition of {parents}; partitions are not supported, not imported")
                continue
            self.tables[oid] = b.add_table(name, description)
            if relkind == "p":
                b.report("partitioned table", name, "partitioning is not supported; imported as a plain table")
            elif parents:
                b.report("inheritance", name, f"INHERITS ({parents}) is not supported; imported as a plain table")
        domains = {}
        for row in self.rows["columns"]:
            if row[8] == "d" and row[9] not in domains:
                domains[row[9]] = type_name_of(row[10])
        for relid, name, type_text, notnull, identity, generated, default, description, *rest in self.rows["columns"]:
            typtype, typname, _base, collation, labels = rest
            table = self.tables.get(relid)
            if table is None or is_kept_column(name):
                continue
            if labels:  # an enum (or a domain over one): its own labels, whatever other schemas call theirs
                kind = "domain" if typtype == "d" else "enum"
                ctype = ColumnType("text", {"choices": list(labels)}, note=f"{kind} {typname} → text with choices")
            else:
                ctype, _serial = map_type(type_name_of(type_text), domains=domains)
            col = b.add_column(table, ColumnDraft(name, ctype, required=notnull, description=description))
            where = f"{table.name}.{name}"
            if collation:
                b.notes.append(f"{where}: COLLATE {collation} dropped")
            if identity:
                ctype.config["identity"] = True
            if generated:
                b.report(
                    "generated column",
                    where,
                    "GENERATED ALWAYS AS (…) STORED is not supported; imported as a plain column",
                )
            elif default is not None:
                value, sequence, problem = read_default(_default_node(default), ctype)
                if (
                    sequence
                    and ctype.family == "number"
                    and ctype.config.get("kind") in ("smallint", "integer", "bigint")
                ):
                    ctype.config["identity"] = True
                elif problem or sequence:
                    b.report("default", where, problem or "sequence default on a non-integer column; dropped")
                else:
                    col.default = value
        for row in self.rows["constraints"]:
            relid, cname, contype, cols, expr, ftable, fschema, fcols, deltype, updtype, valid, deferrable = row[:12]
            deferred, matchtype, include, nulls_not_distinct = row[12:]
            table = self.tables.get(relid)
            if table is None or any(map(is_kept_column, cols)):
                continue
            if contype == "p":
                table.primary_key = (cname, list(cols))
            elif contype == "u":
                table.uniques.append((cname, list(cols)))
            elif contype == "c":
                table.checks.append((cname, expr, None))
            elif contype == "f":
                if fschema != self.schema:
                    b.report(
                        "foreign key",
                        f"{table.name}.{cname}",
                        f"references {fschema}.{ftable} in another schema; skipped",
                    )
                    continue
                b.foreign_keys.append(
                    ForeignKeyDraft(
                        cname, table.name, list(cols), ftable, list(fcols), ACTIONS[deltype], ACTIONS[updtype]
                    )
                )
            else:
                kind = {"x": "exclusion constraint", "t": "constraint trigger"}[contype]
                b.report(kind, f"{table.name}.{cname}", "the designer cannot hold it; skipped")
            if contype in "pufc":
                b.report_options(
                    "constraint option",
                    f"{table.name}.{cname}",
                    include=list(include),
                    nulls_not_distinct=nulls_not_distinct,
                    deferrable=("DEFERRABLE INITIALLY DEFERRED" if deferred else "DEFERRABLE") if deferrable else "",
                    not_valid=not valid,
                    match_full=matchtype == "f",
                )
        for row in self.rows["indexes"]:
            relid, iname, unique, method, has_exprs, has_pred, cols, indexdef, include, options, nnd = row
            table = self.tables.get(relid)
            if table is None or any(map(is_kept_column, cols)):
                continue
            where = f"{table.name}.{iname}"
            if has_pred:
                b.report("partial index", where, f"partial indexes are not supported ({indexdef}); skipped")
            elif has_exprs:
                b.report("expression index", where, "indexes on expressions are not supported; skipped")
            elif method != "btree":
                b.report("index", where, f"{method} indexes are not supported (only btree); skipped")
            else:
                table.indexes.append((iname, list(cols), unique))
                b.report_options(
                    "index option",
                    where,
                    include=list(include),
                    sort=[t for col, desc, first, _o in options if (t := sort_text(col, desc != "0", first != "0"))],
                    opclasses=[f"{opclass} on {col}" for col, _d, _f, opclass in options if opclass],
                    nulls_not_distinct=nnd,
                )
        return b.build()
