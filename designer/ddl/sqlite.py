"""Compile the diff between two snapshots to SQLite DDL: forward and reverse, data kept aside like PostgreSQL.

SQLite's ALTER TABLE can rename tables and columns but not change a column, a key or a foreign key, so
a table with such changes is *rebuilt* (SQLite's documented procedure): its indexes are dropped, the old
table is renamed aside to ``<table>__kept_<tag>`` (with ``legacy_alter_table`` on, so other tables' foreign
keys keep naming the table), the new table is created and the rows copied (rowids kept). Dropped tables are
renamed aside the same way. The reverse plan rebuilds again and refills columns the forward plan dropped from
the kept copy, and brings dropped tables back. Run a plan with ``PRAGMA foreign_keys = OFF`` (SQLite's
default), then ``PRAGMA foreign_key_check``.

The emitted syntax is also valid PostgreSQL syntax, which lets ``designer.introspect.sqlite`` read the stored
``CREATE`` statements back with PostgreSQL's parser. SQLite has no comments on tables/columns and no
identity columns (an ``integer`` single-column primary key is SQLite's auto-increment rowid alias).
"""

from __future__ import annotations

from designer.schema.diff import deployable, diff
from designer.schema.snapshot import Snapshot, canonicalize, empty_snapshot
from designer.schema.types import check_default, normalize_type, postgres_type

from . import risk
from .constraints import constraint_clauses
from .names import choices_name, kept_column, unique_name
from .names import quote_literal as lit
from .postgresql import ACTIONS, Statement, check_sql

SQLITE_DEFAULT_EXPRESSIONS = {
    "now()": "CURRENT_TIMESTAMP",
    "current_timestamp": "CURRENT_TIMESTAMP",
    "current_date": "CURRENT_DATE",
    "current_time": "CURRENT_TIME",
    "localtime": "CURRENT_TIME",  # SQLite has no local-time default; UTC like CURRENT_TIMESTAMP
    "localtimestamp": "CURRENT_TIMESTAMP",
}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_type(f: dict) -> str:
    ftype = normalize_type(f["data_type"], f.get("config"))
    return postgres_type(ftype.family, ftype.config)


def default_sql(f: dict) -> str | None:
    value = f.get("default")
    if value is None:
        return None
    value = check_default(normalize_type(f["data_type"], f.get("config")), value) or ""
    lowered = value.lower()
    if lowered in SQLITE_DEFAULT_EXPRESSIONS:
        return SQLITE_DEFAULT_EXPRESSIONS[lowered]
    if lowered == "gen_random_uuid()":
        return None  # no UUID function in SQLite: the application supplies one
    if f["data_type"] == "number":
        return value
    if f["data_type"] == "boolean":
        return "TRUE" if lowered == "true" else "FALSE"
    return lit(value)


def column_sql(f: dict) -> str:
    parts = [q(f["field_name"]), column_type(f)]
    if f.get("required"):
        parts.append("NOT NULL")
    default = default_sql(f)
    if default is not None:
        parts.append(f"DEFAULT {default}")
    return " ".join(parts)


def kept_table(name: str, tag: str) -> str:
    return kept_column(name, tag)


def _constraint_names(table: dict) -> set[str]:
    """Names SQLite keeps inside the CREATE TABLE text (they follow table and field renames in the design)."""
    names = {c["name"] for c in table["constraints"]}
    if table.get("primary_key"):
        names.add(table["primary_key"]["name"])
    for f in table["fields"]:
        if f.get("unique"):
            names.add(unique_name(table["table_name"], f["field_name"]))
        if (f.get("config") or {}).get("choices"):
            names.add(choices_name(table["table_name"], f["field_name"]))
    return names


class _Compiler:
    def __init__(self, old: Snapshot, new: Snapshot, tag: str, restore_tag: str | None) -> None:
        self.old, self.new = deployable(old, canonical=True), deployable(new, canonical=True)
        self.tag, self.restore_tag = tag, restore_tag
        self.ops = diff(self.old, self.new, canonical=True)
        self.old_tables = {t["id"]: t for t in self.old["tables"]}
        self.new_tables = {t["id"]: t for t in self.new["tables"]}
        self.new_fields = {f["id"]: (t, f) for t in self.new["tables"] for f in t["fields"]}
        self.out: list[Statement] = []

    def emit(self, text: str, op: str, table: str = "", *, kind: str, summary: str = "", **extra) -> None:
        profile = risk.profile(kind, new_table=extra.pop("new_table", False))
        profile["lock"] = "database write lock"
        self.out.append(Statement(sql=text + ";", op=op, table=table, summary=summary, **{**profile, **extra}))

    def compile(self) -> list[Statement]:
        added = [self.new_tables[o["id"]] for o in self.ops if o["op"] == "add_table"]
        dropped = [self.old_tables[o["id"]] for o in self.ops if o["op"] == "drop_table"]
        rebuild = self._tables_to_rebuild()
        common = [(self.old_tables[i], t) for i, t in self.new_tables.items() if i in self.old_tables]

        for old_t, new_t in common:  # 1. indexes that go or change, and all of a rebuilt table's
            new_i = {i["id"]: i for i in new_t["indexes"]}
            for i in old_t["indexes"]:
                ni = new_i.get(i["id"])
                if new_t["id"] in rebuild or ni is None or ni["fields"] != i["fields"] or ni["unique"] != i["unique"]:
                    self.emit(f"DROP INDEX {q(i['name'])}", "drop_index", old_t["table_name"], kind="drop_index")
        for table in dropped:
            for i in table["indexes"]:
                self.emit(f"DROP INDEX {q(i['name'])}", "drop_table", table["table_name"], kind="drop_index")
        aside = [(t, "drop_table") for t in dropped] + [(o, "rebuild") for o, n in common if n["id"] in rebuild]
        if aside:  # 2. dropped and rebuilt tables go aside with their rows
            self.emit("PRAGMA legacy_alter_table = ON", "rebuild", kind="comment")
            for table, why in aside:
                name = kept_table(table["table_name"], self.tag)
                self.emit(
                    f"ALTER TABLE {q(table['table_name'])} RENAME TO {q(name)}",
                    why,
                    table["table_name"],
                    kind="drop_table" if why == "drop_table" else "rename",
                    summary=f"Keep {table['table_name']} as {name}",
                    impact={"kind": "rows", "table": table["table_name"]} if why == "drop_table" else None,
                )
            self.emit("PRAGMA legacy_alter_table = OFF", "rebuild", kind="comment")
        for old_t, new_t in common:  # 3. renames (other tables' foreign keys follow)
            if old_t["table_name"] != new_t["table_name"] and new_t["id"] not in rebuild:
                self.emit(
                    f"ALTER TABLE {q(old_t['table_name'])} RENAME TO {q(new_t['table_name'])}",
                    "rename_table",
                    new_t["table_name"],
                    kind="rename",
                )
            if new_t["id"] in rebuild:
                continue
            old_f = {f["id"]: f for f in old_t["fields"]}
            for f in new_t["fields"]:
                before = old_f.get(f["id"])
                if before and before["field_name"] != f["field_name"]:
                    self.emit(
                        f"ALTER TABLE {q(new_t['table_name'])} RENAME COLUMN {q(before['field_name'])} "
                        f"TO {q(f['field_name'])}",
                        "rename_field",
                        new_t["table_name"],
                        kind="rename",
                    )
        for table in added:  # 4. new or restored tables
            if self.restore_tag:
                self.emit("PRAGMA legacy_alter_table = ON", "add_table", kind="comment")
                self.emit(
                    f"ALTER TABLE {q(kept_table(table['table_name'], self.restore_tag))} RENAME TO "
                    f"{q(table['table_name'])}",
                    "add_table",
                    table["table_name"],
                    kind="rename",
                    summary=f"Restore table {table['table_name']}",
                )
                self.emit("PRAGMA legacy_alter_table = OFF", "add_table", kind="comment")
            else:
                self._create(table)
            for i in table["indexes"]:
                self._index(table, i, new_table=True)
        for old_t, new_t in common:  # 5. rebuilt tables get their rows back
            if new_t["id"] in rebuild:
                self._rebuild(old_t, new_t)
        for old_t, new_t in common:  # 6. indexes
            old_i = {i["id"]: i for i in old_t["indexes"]}
            for i in new_t["indexes"]:
                before = old_i.get(i["id"])
                same = before and before["fields"] == i["fields"] and before["unique"] == i["unique"]
                if new_t["id"] in rebuild or not same:
                    self._index(new_t, i)
                elif before["name"] != i["name"]:
                    self.emit(f"DROP INDEX {q(before['name'])}", "rename_index", new_t["table_name"], kind="drop_index")
                    self._index(new_t, i)
        return self.out

    def _tables_to_rebuild(self) -> set[str]:
        """Tables whose change SQLite's ALTER TABLE cannot make (descriptions are not stored in SQLite)."""
        quiet = {"rename_table", "rename_field", "add_index", "drop_index", "rename_index", "alter_index"}
        cosmetic = {"description", "name", "status"}

        def significant(o: dict) -> bool:
            if o["op"] in quiet:
                return False
            return not (o["op"] in ("alter_table", "alter_field") and set(o["changes"]) <= cosmetic)

        out = {o["table"] for o in self.ops if o.get("table") in self.old_tables and significant(o)}
        for tid, new_t in self.new_tables.items():  # SQLite cannot rename a constraint
            if tid in self.old_tables and _constraint_names(self.old_tables[tid]) != _constraint_names(new_t):
                out.add(tid)
        out -= {o["id"] for o in self.ops if o["op"] in ("add_table", "drop_table")}
        for o in self.ops:
            if o["op"].endswith("_relationship"):
                for side in (self.old, self.new):
                    rel = next((r for r in side["relationships"] if r["id"] == o["id"]), None)
                    if rel and rel["target_table"] in self.old_tables and rel["target_table"] in self.new_tables:
                        out.add(rel["target_table"])
        return out

    def _create(self, table: dict, name: str | None = None) -> None:
        name = name or table["table_name"]
        lines = [column_sql(f) for f in table["fields"]] + self._constraints(table)
        body = ",\n    ".join(lines)
        self.emit(f"CREATE TABLE {q(name)} (\n    {body}\n)", "add_table", name, kind="create_table")

    def _constraints(self, table: dict) -> list[str]:
        out = constraint_clauses(table, q, lit, check_sql)
        for rel in self.new["relationships"]:
            if rel["target_table"] != table["id"]:
                continue
            column = self.new_fields[rel["target_field"]][1]
            ref_table, ref_column = self.new_fields[rel["source_field"]]
            out.append(
                f"CONSTRAINT {q(rel['name'])} FOREIGN KEY ({q(column['field_name'])}) REFERENCES "
                f"{q(ref_table['table_name'])} ({q(ref_column['field_name'])}) "
                f"ON DELETE {ACTIONS[rel['on_delete']]} ON UPDATE {ACTIONS[rel['on_update']]}"
            )
        return out

    def _rebuild(self, old_t: dict, new_t: dict) -> None:
        name = new_t["table_name"]
        kept = q(kept_table(old_t["table_name"], self.tag))
        self._create(new_t)
        old_f = {f["id"]: f for f in old_t["fields"]}
        pairs = [(old_f[f["id"]], f) for f in new_t["fields"] if f["id"] in old_f]
        new_cols = ", ".join(["rowid"] + [q(f["field_name"]) for _, f in pairs])
        old_cols = ", ".join(["rowid"] + [self._cast(o, f) for o, f in pairs])
        live = old_t["table_name"]
        new_ids = {f["id"] for f in new_t["fields"]}
        dropped = [f for f in old_t["fields"] if f["id"] not in new_ids]
        required = [o for o, f in pairs if f.get("required") and not o.get("required")]
        impacts = [{"kind": "rows", "table": live}]
        impacts += [{"kind": "non_nulls", "table": live, "column": f["field_name"]} for f in dropped]
        impacts += [{"kind": "nulls", "table": live, "column": f["field_name"]} for f in required]
        note = ""
        if dropped:  # the values stay in the kept copy until purged, but the table no longer has them
            names = ", ".join(f["field_name"] for f in dropped)
            note = f"Drops {names} (kept in {kept_table(live, self.tag)} until purged)."
        if required:
            note = " ".join(
                [note, f"Fails on NULLs in {', '.join(f['field_name'] for f in required)} (made required)."]
            ).strip()
        self.emit(
            f"INSERT INTO {q(name)} ({new_cols}) SELECT {old_cols} FROM {kept}",
            "rebuild",
            name,
            kind="drop_column" if dropped else "alter_type",
            summary=f"Copy the rows of {name} into its new definition",
            impact={"kind": "all", "all": impacts},
            **({"note": note} if note else {}),
        )
        if self.restore_tag:  # values of fields the forward plan dropped come back from its kept copy
            restored = [f for f in new_t["fields"] if f["id"] not in old_f]
            if restored:
                source = q(kept_table(name, self.restore_tag))
                sets = ", ".join(
                    f"{q(f['field_name'])} = "
                    f"(SELECT k.{q(f['field_name'])} FROM {source} AS k WHERE k.rowid = {q(name)}.rowid)"
                    for f in restored
                )
                self.emit(f"UPDATE {q(name)} SET {sets}", "add_field", name, kind="alter_type")

    @staticmethod
    def _cast(old: dict, new: dict) -> str:
        col = q(old["field_name"])
        if column_type(old) == column_type(new):
            return col
        affinity = {"number": "NUMERIC", "boolean": "NUMERIC"}.get(new["data_type"], "TEXT")
        return f"CAST({col} AS {affinity})"

    def _index(self, table: dict, index: dict, *, new_table: bool = False) -> None:
        by_id = {f["id"]: f for f in table["fields"]}
        cols = ", ".join(q(by_id[i]["field_name"]) for i in index["fields"])
        unique = "UNIQUE " if index.get("unique") else ""
        self.emit(
            f"CREATE {unique}INDEX {q(index['name'])} ON {q(table['table_name'])} ({cols})",
            "add_index",
            table["table_name"],
            kind="create_index",
            new_table=new_table,
        )


def compile_plan(old: Snapshot, new: Snapshot, *, tag: str) -> tuple[list[Statement], list[Statement]]:
    """Forward and reverse SQLite statements (see the module docstring)."""
    old, new = canonicalize(old), canonicalize(new)
    return _Compiler(old, new, tag, None).compile(), _Compiler(new, old, f"{tag}r", tag).compile()


def create_statements(snapshot: Snapshot) -> list[Statement]:
    """The design created from nothing (the diff from the empty snapshot), for the export menu."""
    return _Compiler(empty_snapshot(), canonicalize(snapshot), "initial", None).compile()
