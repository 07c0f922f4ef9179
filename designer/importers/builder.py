"""Collects what a reader found (tables, columns, keys, indexes, checks, foreign keys) and turns it into
a canonical snapshot with name-derived ids, applying PostgreSQL's own naming rules for unnamed
constraints — so the same schema read from a SQL file, a DBML file or the live catalogs gives the same
snapshot and ``schema_hash``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from designer.ddl.names import choices_name, unique_name
from designer.schema import ids
from designer.schema.expressions import check_expression_problem
from designer.schema.snapshot import canonicalize, empty_snapshot, validate_snapshot
from designer.schema.validation import identifier_problem, suggest_identifier

from . import ImportResult, Unsupported
from .layout import auto_layout
from .pgtypes import ColumnType, choices_of, columns_in, expression_text, parse_expression, simplify_check

ACTIONS = {
    "a": "no_action",
    "r": "restrict",
    "c": "cascade",
    "n": "set_null",
    "d": "set_default",
    "no action": "no_action",
    "restrict": "restrict",
    "cascade": "cascade",
    "set null": "set_null",
    "set default": "set_default",
}


@dataclass
class ColumnDraft:
    name: str
    ctype: ColumnType
    required: bool = False
    unique: bool = False
    default: str | None = None
    description: str = ""


@dataclass
class TableDraft:
    name: str
    description: str = ""
    columns: dict[str, ColumnDraft] = field(default_factory=dict)
    primary_key: tuple[str | None, list[str]] | None = None
    uniques: list[tuple[str | None, list[str]]] = field(default_factory=list)
    checks: list[tuple[str | None, str, str | None]] = field(default_factory=list)  # (name, expr, column)
    indexes: list[tuple[str | None, list[str], bool]] = field(default_factory=list)
    # What a Tablewright export carried that the format itself cannot say (ids, display names, status…):
    # {"id", "name", "status", "fields": {column: {"id", "name", "config"}}, "indexes": {name: id},
    #  "constraints": {name: id}}
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class ForeignKeyDraft:
    name: str | None
    table: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]  # empty: the referenced table's primary key
    on_delete: str = "no_action"
    on_update: str = "no_action"
    one_to_one: bool | None = None  # None: one-to-one when the column is unique (DBML says it explicitly)
    id: str | None = None
    status: str = "draft"


class SchemaBuilder:
    def __init__(self, source_format: str) -> None:
        self.source_format = source_format
        self.tables: dict[str, TableDraft] = {}
        self.foreign_keys: list[ForeignKeyDraft] = []
        self.many_to_many: list[dict[str, Any]] = []  # carried by Tablewright's own DBML export only
        self.unsupported: list[Unsupported] = []
        self.notes: list[str] = []
        self.project = {"name": "", "description": ""}

    # --- collecting ---------------------------------------------------------------------------
    def report(self, kind: str, name: str, detail: str) -> None:
        self.unsupported.append(Unsupported(kind, name, detail))

    def report_options(
        self,
        kind: str,
        where: str,
        *,
        include: list[str] = (),
        sort: list[str] = (),
        opclasses: list[str] = (),
        nulls_not_distinct: bool = False,
        deferrable: str = "",
        not_valid: bool = False,
        match_full: bool = False,
    ) -> None:
        """Name, one by one, the options of an index or constraint that the design cannot hold (the SQL and
        the live readers word them alike, so a file and its database report the same objects)."""
        if include:
            self.report(kind, where, f"INCLUDE ({', '.join(include)}) is not held; imported without them")
        if sort:
            self.report(kind, where, f"sort order {', '.join(sort)} is not held; imported ascending, nulls last")
        for opclass in opclasses:
            self.report(kind, where, f"operator class {opclass} is not held; imported with the default")
        if nulls_not_distinct:
            self.report(kind, where, "NULLS NOT DISTINCT is not held; imported with NULLS DISTINCT")
        if deferrable:
            self.report(kind, where, f"{deferrable} is not held; imported as NOT DEFERRABLE")
        if not_valid:
            self.report(kind, where, "NOT VALID is not held; imported as a validated constraint")
        if match_full:
            self.report(kind, where, "MATCH FULL is not held; imported as MATCH SIMPLE")

    def add_table(self, name: str, description: str = "") -> TableDraft:
        table = TableDraft(name, description)
        self.tables[name] = table
        return table

    def add_column(self, table: TableDraft, column: ColumnDraft) -> ColumnDraft:
        where = f"{table.name}.{column.name}"
        if column.ctype.unsupported:
            self.report("column type", where, column.ctype.unsupported)
        elif column.ctype.note:
            self.notes.append(f"{where}: {column.ctype.note}")
        table.columns[column.name] = column
        return column

    # --- building -----------------------------------------------------------------------------
    def build(self) -> ImportResult:
        names = {raw: self._identifier(raw, "table") for raw in self.tables}
        snapshot = empty_snapshot()
        snapshot["project"].update(self.project)
        columns: dict[tuple[str, str], tuple[dict, dict]] = {}
        for raw, draft in self.tables.items():
            snapshot["tables"].append(self._table(names[raw], draft, columns))
        for fk in self.foreign_keys:
            rel = self._relationship(fk, names, columns)
            if rel:
                snapshot["relationships"].append(rel)
        snapshot["relationships"] += self._many_to_many(columns)
        snapshot = canonicalize(snapshot)
        problems = validate_snapshot(snapshot)
        if problems:
            raise ValidationError(problems)
        snapshot["layout"] = auto_layout(snapshot)
        return ImportResult(snapshot, self.unsupported, self.notes, self.source_format)

    def _identifier(self, raw: str, what: str) -> str:
        if identifier_problem(raw) is None:
            return raw
        fixed = suggest_identifier(raw) or what
        self.notes.append(f"{what} name {raw!r} is not a valid identifier; imported as {fixed!r}")
        return fixed

    @staticmethod
    def pg_name(raw_table: str, table: str, *parts: str) -> str:
        """PostgreSQL's name for an unnamed constraint or index (``<table>_<columns>_<suffix>``), from the
        table's name as written when that is a valid identifier, else from its imported name."""
        for base in (raw_table, table):
            name = "_".join((base, *parts))[:63]
            if identifier_problem(name) is None:
                return name
        return name

    def _table(self, tname: str, draft: TableDraft, columns: dict) -> dict[str, Any]:
        over = draft.overrides
        table: dict[str, Any] = {
            "id": over.get("id") or ids.table_id(tname),
            "name": over.get("name") or tname,
            "table_name": tname,
            "description": draft.description,
            "status": over.get("status") or "draft",
            "primary_key": None,
            "fields": [],
            "indexes": [],
            "constraints": [],
        }
        fields: dict[str, dict] = {}
        for raw, col in draft.columns.items():
            fname = self._identifier(raw, f"column {tname}.")
            fover = over.get("fields", {}).get(fname, {})
            config = dict(fover.get("config", col.ctype.config))
            f = {
                "id": fover.get("id") or ids.field_id(tname, fname),
                "name": fover.get("name") or fname,
                "field_name": fname,
                "data_type": col.ctype.family,
                "config": config,
                "required": col.required,
                "unique": col.unique,
                "default": col.default,
                "description": col.description,
            }
            fields[raw] = f
            table["fields"].append(f)
            columns[(draft.name, raw)] = (table, f)

        def field_ids(cols: list[str], kind: str, name: str) -> list[str] | None:
            missing = [c for c in cols if c not in fields]
            if missing:
                self.report(kind, f"{tname}.{name}", f"names unknown column(s) {', '.join(missing)}; skipped")
                return None
            return [fields[c]["id"] for c in cols]

        if draft.primary_key:
            pk_name, pk_cols = draft.primary_key
            pk_name = self._identifier(pk_name, "primary key") if pk_name else self.pg_name(draft.name, tname, "pkey")
            pk_ids = field_ids(pk_cols, "primary key", pk_name)
            if pk_ids:
                for c in pk_cols:
                    fields[c]["required"] = True
                table["primary_key"] = {"name": pk_name, "fields": pk_ids}

        for name, cols in draft.uniques:
            default_name = self.pg_name(draft.name, tname, *cols, "key")
            if (
                len(cols) == 1
                and cols[0] in fields
                and name
                in (
                    None,
                    default_name,
                    f"{draft.name}_{cols[0]}_key",
                    unique_name(tname, fields[cols[0]]["field_name"]),
                )
            ):
                fields[cols[0]]["unique"] = True
                continue
            cids = field_ids(cols, "unique constraint", name or default_name)
            if cids:
                cname = self._identifier(name, "constraint") if name else default_name
                table["constraints"].append(
                    {
                        "id": over.get("constraints", {}).get(cname) or ids.constraint_id(tname, cname),
                        "name": cname,
                        "kind": "unique",
                        "fields": cids,
                        "expression": "",
                    }
                )

        for name, expr, column in draft.checks:
            self._check(tname, draft.name, table, fields, name, expr, column, over)

        for name, cols, unique in draft.indexes:
            iname = self._identifier(name, "index") if name else self.pg_name(draft.name, tname, *cols, "idx")
            iids = field_ids(cols, "index", iname)
            if iids:
                table["indexes"].append(
                    {
                        "id": over.get("indexes", {}).get(iname) or ids.index_id(tname, iname),
                        "name": iname,
                        "fields": iids,
                        "unique": unique,
                    }
                )
        return table

    def _check(
        self,
        tname: str,
        raw: str,
        table: dict,
        fields: dict,
        name: str | None,
        expr: str,
        column: str | None,
        table_over: dict,
    ) -> None:
        node = parse_expression(expr)
        if node is None:
            self.report("check constraint", f"{tname}.{name or '?'}", f"expression {expr!r} could not be read; skipped")
            return
        mentioned = columns_in(node)
        first = column or (mentioned[0] if mentioned else "")
        cname = name or self.pg_name(raw, tname, *([first] if first else []), "check")
        choice = choices_of(node)
        if (
            choice
            and choice[0] in fields
            and cname
            in (
                f"{tname}_{choice[0]}_check",
                f"{raw}_{choice[0]}_check",
                choices_name(tname, fields[choice[0]]["field_name"]),
            )
        ):
            f = fields[choice[0]]
            default_fits = f["default"] is None or f["default"] in choice[1]
            if f["data_type"] == "text" and not f["config"].get("choices") and default_fits:
                f["config"]["choices"] = choice[1]
                return
        cname = self._identifier(cname, "constraint")
        text_columns = {col for col, f in fields.items() if f["data_type"] == "text"}
        renames = {col: f["field_name"] for col, f in fields.items() if col != f["field_name"]}
        text = expression_text(simplify_check(node, text_columns, renames))
        problem = check_expression_problem(text, {f["field_name"] for f in fields.values()})
        if problem:
            self.report("check constraint", f"{tname}.{cname}", f"{problem} Skipped.")
            return
        table["constraints"].append(
            {
                "id": table_over.get("constraints", {}).get(cname) or ids.constraint_id(tname, cname),
                "name": cname,
                "kind": "check",
                "fields": [],
                "expression": text,
            }
        )

    def _relationship(self, fk: ForeignKeyDraft, names: dict[str, str], columns: dict) -> dict[str, Any] | None:
        label = fk.name or f"{fk.table}_{'_'.join(fk.columns)}_fkey"
        where = f"{fk.table}.{label}"
        if len(fk.columns) != 1:
            self.report(
                "foreign key", where, f"composite foreign key ({', '.join(fk.columns)}) is not supported; skipped"
            )
            return None
        ref = self.tables.get(fk.ref_table)
        if ref is None:
            self.report("foreign key", where, f"references {fk.ref_table}, which is not part of this import; skipped")
            return None
        ref_cols = fk.ref_columns or (ref.primary_key[1] if ref.primary_key else [])
        if len(ref_cols) != 1:
            self.report("foreign key", where, f"references {fk.ref_table} without a single-column key; skipped")
            return None
        target = columns.get((fk.table, fk.columns[0]))
        source = columns.get((fk.ref_table, ref_cols[0]))
        if target is None or source is None:
            missing = f"{fk.table}.{fk.columns[0]}" if target is None else f"{fk.ref_table}.{ref_cols[0]}"
            self.report("foreign key", where, f"column {missing} does not exist; skipped")
            return None
        if not _is_single_key(*source):
            self.report(
                "foreign key", where, f"{fk.ref_table}.{ref_cols[0]} is not a primary key or unique column; skipped"
            )
            return None
        tname = target[0]["table_name"]
        name = (
            self._identifier(fk.name, "foreign key")
            if fk.name
            else self.pg_name(fk.table, tname, fk.columns[0], "fkey")
        )
        one_to_one = fk.one_to_one if fk.one_to_one is not None else _is_single_key(*target)
        return {
            "id": fk.id or ids.relationship_id(name, tname),
            "name": name,
            "type": "one_to_one" if one_to_one else "one_to_many",
            "source_table": source[0]["id"],
            "source_field": source[1]["id"],
            "target_table": target[0]["id"],
            "target_field": target[1]["id"],
            "on_delete": fk.on_delete,
            "on_update": fk.on_update,
            "junction_table": None,
            "status": fk.status,
        }

    def _many_to_many(self, columns: dict) -> list[dict[str, Any]]:
        rels = []
        for m in self.many_to_many:
            ends = [columns.get((m[f"{side}_table"], m[f"{side}_field"])) for side in ("source", "target")]
            junction = next((t for (tn, _f), (t, _x) in columns.items() if tn == m["junction_table"]), None)
            if None in ends or junction is None:
                self.report("many-to-many relationship", m["name"], "names a table or column not in the file; skipped")
                continue
            (source_table, source_field), (target_table, target_field) = ends
            rels.append(
                {
                    "id": m.get("id") or ids.relationship_id(m["name"], junction["table_name"]),
                    "name": m["name"],
                    "type": "many_to_many",
                    "source_table": source_table["id"],
                    "source_field": source_field["id"],
                    "target_table": target_table["id"],
                    "target_field": target_field["id"],
                    "on_delete": m.get("on_delete", "no_action"),
                    "on_update": m.get("on_update", "no_action"),
                    "junction_table": junction["id"],
                    "status": m.get("status", "draft"),
                }
            )
        return rels


def sort_text(column: str, descending: bool, nulls_first: bool) -> str:
    """``column DESC`` / ``column NULLS FIRST`` … for a non-default index order; "" for the default."""
    text = column + (" DESC" if descending else "")
    if nulls_first != descending:
        text += " NULLS FIRST" if nulls_first else " NULLS LAST"
    return "" if text == column else text


def _is_single_key(table: dict, field: dict) -> bool:
    if field["unique"]:
        return True
    pk = table.get("primary_key")
    if pk and pk["fields"] == [field["id"]]:
        return True
    return any(c["kind"] == "unique" and c["fields"] == [field["id"]] for c in table["constraints"])
