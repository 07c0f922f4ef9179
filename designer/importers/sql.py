"""PostgreSQL DDL text → snapshot, with PostgreSQL's own parser (pglast).

Reads ``CREATE TABLE`` (columns, defaults, NOT NULL, identity/serial, inline and table constraints),
``ALTER TABLE … ADD CONSTRAINT`` / ``ADD COLUMN`` / ``SET DEFAULT`` / ``SET NOT NULL`` / ``ADD GENERATED …
AS IDENTITY``, ``CREATE [UNIQUE] INDEX``, ``CREATE TYPE … AS ENUM``, ``CREATE DOMAIN`` and ``COMMENT ON``.
Everything else that defines a schema object (views, functions, triggers, sequences, extensions, rules,
policies, partitions…) is named in the result's ``unsupported`` list; data and session statements
(``INSERT``, ``SET``, ``GRANT``, ``DROP DATABASE``…) are counted in the notes. psql meta-commands
(``\\c chinook``) are skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pglast
from pglast import ast, enums
from pglast.enums import AlterTableType, ConstrType, ObjectType

from . import ImportResult, ImportSyntaxError, line_and_column
from .builder import ACTIONS, ColumnDraft, ForeignKeyDraft, SchemaBuilder, TableDraft, sort_text
from .pgtypes import columns_in, expression_text, map_type, read_default, type_text

META_COMMAND = re.compile(r"^[ \t]*\\[^\n]*", re.MULTILINE)

# Statements that define objects the design model cannot hold: (pglast node, kind named in the report).
UNSUPPORTED_STATEMENTS: dict[type, str] = {
    ast.ViewStmt: "view",
    ast.CreateTableAsStmt: "materialized view",
    ast.CreateFunctionStmt: "function",
    ast.CreateTrigStmt: "trigger",
    ast.CreateEventTrigStmt: "event trigger",
    ast.CompositeTypeStmt: "composite type",
    ast.CreateRangeStmt: "range type",
    ast.RuleStmt: "rule",
    ast.CreatePolicyStmt: "policy",
    ast.CreateExtensionStmt: "extension",
    ast.DefineStmt: "definition",
    ast.CreateForeignTableStmt: "foreign table",
    ast.CreateStatsStmt: "statistics",
    ast.CreatePublicationStmt: "publication",
}


def read_sql(text: str, *, schema: str = "public") -> ImportResult:
    """Read PostgreSQL DDL. Raises ``ImportSyntaxError`` (line, column, what was expected) on broken SQL."""
    return _SqlReader(text, schema).read()


def _strip_meta_commands(text: str) -> tuple[str, int]:
    """Blank out psql meta-command lines (``\\c db``), keeping every offset and line number."""
    count = 0

    def blank(match: re.Match) -> str:
        nonlocal count
        count += 1
        return " " * len(match.group(0))

    return META_COMMAND.sub(blank, text), count


class _SqlReader:
    def __init__(self, text: str, schema: str) -> None:
        self.text, self.meta_commands = _strip_meta_commands(text)
        self.schema = schema
        self.b = SchemaBuilder("sql")
        self.enums: dict[str, list[str]] = {}
        self.enum_columns: dict[str, list[ColumnDraft]] = {}  # enum name -> the columns of that type (or a domain)
        self.domains: dict[str, ast.TypeName] = {}
        self.ignored: Counter[str] = Counter()
        self.sequences: dict[str, bool] = {}  # name -> owned by a column (then it is the column's, not an object)
        self.other_relations: set[str] = set()  # views, sequences… that ALTER TABLE may name (pg_dump does)
        self.location = 0

    # --- entry --------------------------------------------------------------------------------
    def read(self) -> ImportResult:
        try:
            statements = pglast.parse_sql(self.text)
        except pglast.parser.ParseError as exc:
            message, offset = exc.args[0], exc.args[1] if len(exc.args) > 1 else None
            if offset is None:
                offset = len(self.text.rstrip())
            line, column = line_and_column(self.text, offset)
            raise ImportSyntaxError(_explain(message), line=line, column=column) from exc
        for raw in statements:
            self.location = raw.stmt_location or 0
            self._statement(raw.stmt)
        for name, values in self.enums.items():
            self.b.notes.append(f"enum {name}: its columns become text with choices ({', '.join(values)})")
        for name, owned in self.sequences.items():
            if not owned:
                self.b.report(
                    "sequence",
                    name,
                    "standalone sequences are not held by the designer (identity columns are); not imported",
                )
        if self.meta_commands:
            self.b.notes.append(f"Skipped {self.meta_commands} psql meta-command(s) such as \\c.")
        if self.ignored:
            counted = ", ".join(f"{n} {kind}" for kind, n in sorted(self.ignored.items()))
            self.b.notes.append(f"Ignored statements that hold no schema: {counted}.")
        return self.b.build()

    def fail(self, message: str) -> ImportSyntaxError:
        line, column = line_and_column(self.text, self.location)
        return ImportSyntaxError(message, line=line, column=column)

    def _statement(self, stmt: Any) -> None:
        handler = getattr(self, f"_on_{type(stmt).__name__}", None)
        if handler:
            handler(stmt)
        elif type(stmt) in UNSUPPORTED_STATEMENTS:
            kind = UNSUPPORTED_STATEMENTS[type(stmt)]
            name = _object_name(stmt, self.schema)
            self.other_relations.add(name.rsplit(".", 1)[-1])
            self.b.report(kind, name, "the designer cannot hold it; not imported")
        else:
            self.ignored[_statement_label(stmt)] += 1

    def _in_schema(self, relation: ast.RangeVar) -> bool:
        return (relation.schemaname or self.schema) == self.schema

    def _table(self, relation: ast.RangeVar, statement: str) -> TableDraft:
        table = self.b.tables.get(relation.relname)
        if table is None or not self._in_schema(relation):
            raise self.fail(
                f"{statement} names table {relation.relname!r}, which was not created earlier in the input; "
                "put its CREATE TABLE first."
            )
        return table

    # --- CREATE TABLE -------------------------------------------------------------------------
    def _on_CreateStmt(self, stmt: ast.CreateStmt) -> None:  # noqa: N802
        rel = stmt.relation
        qualified = rel.relname if rel.schemaname in (None, self.schema) else f"{rel.schemaname}.{rel.relname}"
        if not self._in_schema(rel):
            self.b.report("table", qualified, f"is in schema {rel.schemaname}, not {self.schema}; not imported")
            return
        if stmt.partbound is not None:
            parent = stmt.inhRelations[0].relname if stmt.inhRelations else "?"
            self.other_relations.add(rel.relname)
            self.b.report("partition", qualified, f"partition of {parent}; partitions are not supported, not imported")
            return
        if stmt.ofTypename is not None:
            self.b.report("typed table", qualified, "tables OF a composite type are not supported; not imported")
            return
        if rel.relname in self.b.tables:
            if stmt.if_not_exists:
                self.ignored["CREATE TABLE IF NOT EXISTS of an existing table"] += 1
                return
            raise self.fail(f"Table {rel.relname!r} is created twice.")
        table = self.b.add_table(rel.relname)
        if rel.relpersistence == "t":
            self.b.report("temporary table", qualified, "imported as a regular table")
        if stmt.partspec is not None:
            self.b.report("partitioned table", qualified, "partitioning is not supported; imported as a plain table")
        if stmt.inhRelations:
            parents = ", ".join(r.relname for r in stmt.inhRelations)
            self.b.report(
                "inheritance", qualified, f"INHERITS ({parents}) is not supported; inherited columns are missing"
            )
        for element in stmt.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                self._column(table, element)
            elif isinstance(element, ast.Constraint):
                self._table_constraint(table, element)
            else:
                self.b.report("table element", qualified, f"{type(element).__name__} is not supported; skipped")

    def _column(self, table: TableDraft, col: ast.ColumnDef) -> None:
        ctype, serial = map_type(col.typeName, enums_by_name=self.enums, domains=self.domains)
        draft = self.b.add_column(table, ColumnDraft(col.colname, ctype, required=bool(col.is_not_null)))
        where = f"{table.name}.{col.colname}"
        enum = self._enum_of(col.typeName)
        if enum is not None and ctype.config.get("choices") is not None:
            self.enum_columns.setdefault(enum, []).append(draft)
        if col.collClause is not None:
            self.b.notes.append(f"{where}: COLLATE dropped")
        keyed: list[list] = []  # [constraint, deferrable, initially deferred]: DEFERRABLE follows its constraint
        for con in col.constraints or ():
            kind = con.contype
            if kind in (ConstrType.CONSTR_ATTR_DEFERRABLE, ConstrType.CONSTR_ATTR_DEFERRED) and keyed:
                keyed[-1][1] = True
                keyed[-1][2] = keyed[-1][2] or kind == ConstrType.CONSTR_ATTR_DEFERRED
                continue
            if kind in (ConstrType.CONSTR_ATTR_NOT_DEFERRABLE, ConstrType.CONSTR_ATTR_IMMEDIATE):
                continue
            if kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_FOREIGN):
                keyed.append([con, bool(con.deferrable), bool(con.initdeferred)])
            if kind == ConstrType.CONSTR_NOTNULL:
                draft.required = True
            elif kind == ConstrType.CONSTR_NULL:
                draft.required = False
            elif kind == ConstrType.CONSTR_DEFAULT:
                self._default(table, draft, con.raw_expr)
            elif kind == ConstrType.CONSTR_IDENTITY:
                self._identity(where, draft)
            elif kind == ConstrType.CONSTR_PRIMARY:
                table.primary_key = (con.conname, [col.colname])
            elif kind == ConstrType.CONSTR_UNIQUE:
                table.uniques.append((con.conname, [col.colname]))
            elif kind == ConstrType.CONSTR_CHECK:
                table.checks.append((con.conname, expression_text(con.raw_expr), col.colname))
            elif kind == ConstrType.CONSTR_FOREIGN:
                self._foreign_key(table, con, [col.colname])
            elif kind == ConstrType.CONSTR_GENERATED:
                self.b.report(
                    "generated column",
                    where,
                    "GENERATED ALWAYS AS (…) STORED is not supported; imported as a plain column",
                )
            else:
                self.b.report("column constraint", where, f"{kind.name} is not supported; skipped")
        for con, deferrable, deferred in keyed:
            self._constraint_options(table, con, [col.colname], deferrable=deferrable, deferred=deferred)
        if serial:
            draft.required = True

    def _default(self, table: TableDraft, draft: ColumnDraft, expr: Any) -> None:
        value, sequence, problem = read_default(expr, draft.ctype)
        where = f"{table.name}.{draft.name}"
        if sequence:
            self._identity(where, draft)
        elif problem:
            self.b.report("default", where, problem)
        else:
            draft.default = value

    def _identity(self, where: str, draft: ColumnDraft) -> None:
        if draft.ctype.family == "number" and draft.ctype.config.get("kind") in ("smallint", "integer", "bigint"):
            draft.ctype.config["identity"] = True
            draft.required = True
        else:
            self.b.report("identity", where, "identity/sequence on a non-integer column is not supported; dropped")

    def _constraint_options(
        self,
        table: TableDraft,
        con: ast.Constraint,
        columns: list[str],
        *,
        deferrable: bool,
        deferred: bool,
        added_later: bool = False,
    ) -> None:
        """Report what the design cannot hold of a key, foreign key or check: INCLUDE, NULLS NOT DISTINCT,
        DEFERRABLE, NOT VALID (only meaningful on ALTER TABLE), MATCH FULL."""
        kind = con.contype
        suffix = {
            ConstrType.CONSTR_PRIMARY: "pkey",
            ConstrType.CONSTR_UNIQUE: "key",
            ConstrType.CONSTR_FOREIGN: "fkey",
            ConstrType.CONSTR_CHECK: "check",
        }.get(kind)
        if suffix is None:
            return
        if kind == ConstrType.CONSTR_PRIMARY:
            columns = []
        elif kind == ConstrType.CONSTR_CHECK and not columns:
            columns = columns_in(con.raw_expr)[:1]
        name = con.conname or "_".join((table.name, *columns, suffix))[:63]
        self.b.report_options(
            "constraint option",
            f"{table.name}.{name}",
            include=[k.sval for k in con.including or ()],
            nulls_not_distinct=bool(con.nulls_not_distinct),
            deferrable=("DEFERRABLE INITIALLY DEFERRED" if deferred else "DEFERRABLE") if deferrable else "",
            not_valid=added_later and bool(con.skip_validation),
            match_full=con.fk_matchtype == "f",
        )

    def _table_constraint(self, table: TableDraft, con: ast.Constraint, *, added_later: bool = False) -> None:
        kind = con.contype
        keys = [k.sval for k in con.keys or ()]
        self._constraint_options(
            table,
            con,
            [k.sval for k in con.fk_attrs or ()] if kind == ConstrType.CONSTR_FOREIGN else keys,
            deferrable=bool(con.deferrable or con.initdeferred),
            deferred=bool(con.initdeferred),
            added_later=added_later,
        )
        if kind == ConstrType.CONSTR_PRIMARY:
            table.primary_key = (con.conname, keys)
        elif kind == ConstrType.CONSTR_UNIQUE:
            table.uniques.append((con.conname, keys))
        elif kind == ConstrType.CONSTR_CHECK:
            table.checks.append((con.conname, expression_text(con.raw_expr), None))
        elif kind == ConstrType.CONSTR_FOREIGN:
            self._foreign_key(table, con, [k.sval for k in con.fk_attrs or ()])
        else:
            name = con.conname or kind.name.removeprefix("CONSTR_").lower()
            self.b.report(
                "constraint",
                f"{table.name}.{name}",
                f"{kind.name.removeprefix('CONSTR_')} constraints are not supported; skipped",
            )

    def _foreign_key(self, table: TableDraft, con: ast.Constraint, columns: list[str]) -> None:
        ref = con.pktable
        if not self._in_schema(ref):
            self.b.report(
                "foreign key",
                f"{table.name}.{con.conname or '_'.join(columns) + '_fkey'}",
                f"references {ref.schemaname}.{ref.relname} in another schema; skipped",
            )
            return
        self.b.foreign_keys.append(
            ForeignKeyDraft(
                con.conname,
                table.name,
                columns,
                ref.relname,
                [k.sval for k in con.pk_attrs or ()],
                on_delete=ACTIONS.get(con.fk_del_action or "a", "no_action"),
                on_update=ACTIONS.get(con.fk_upd_action or "a", "no_action"),
            )
        )

    # --- ALTER TABLE --------------------------------------------------------------------------
    def _on_CreateSeqStmt(self, stmt: ast.CreateSeqStmt) -> None:  # noqa: N802
        if self._in_schema(stmt.sequence):
            self.sequences[stmt.sequence.relname] = _owned(stmt.options)
            self.other_relations.add(stmt.sequence.relname)
        else:
            self.ignored["CREATE SEQUENCE in another schema"] += 1

    def _on_AlterSeqStmt(self, stmt: ast.AlterSeqStmt) -> None:  # noqa: N802
        name = stmt.sequence.relname
        if name in self.sequences and any(o.defname == "owned_by" for o in stmt.options or ()):
            self.sequences[name] = _owned(stmt.options)
        self.ignored["ALTER SEQUENCE"] += 1

    def _on_AlterTableStmt(self, stmt: ast.AlterTableStmt) -> None:  # noqa: N802
        if stmt.objtype != ObjectType.OBJECT_TABLE:
            self.ignored[f"ALTER {stmt.objtype.name.removeprefix('OBJECT_')}"] += 1
            return
        if not self._in_schema(stmt.relation):
            self.ignored["ALTER TABLE in another schema"] += 1
            return
        if stmt.relation.relname in self.other_relations and stmt.relation.relname not in self.b.tables:
            self.ignored["ALTER TABLE of a view or sequence"] += 1
            return
        table = self._table(stmt.relation, "ALTER TABLE")
        for cmd in stmt.cmds:
            self._alter(table, cmd)

    def _alter(self, table: TableDraft, cmd: ast.AlterTableCmd) -> None:
        sub = cmd.subtype
        column = table.columns.get(cmd.name) if cmd.name else None
        if sub == AlterTableType.AT_AddConstraint:
            self._table_constraint(table, cmd.def_, added_later=True)
        elif sub == AlterTableType.AT_AddColumn:
            self._column(table, cmd.def_)
        elif sub in (AlterTableType.AT_ColumnDefault, AlterTableType.AT_SetNotNull, AlterTableType.AT_AddIdentity):
            if column is None:
                raise self.fail(f"ALTER TABLE {table.name} names column {cmd.name!r}, which the table does not have.")
            if sub == AlterTableType.AT_SetNotNull:
                column.required = True
            elif sub == AlterTableType.AT_AddIdentity:
                self._identity(f"{table.name}.{column.name}", column)
            elif cmd.def_ is not None:
                self._default(table, column, cmd.def_)
        elif sub == AlterTableType.AT_AttachPartition:
            part = cmd.def_.name
            if self.b.tables.pop(part.relname, None) is not None:
                self.other_relations.add(part.relname)
                self.b.report(
                    "partition", part.relname, f"partition of {table.name}; partitions are not supported, not imported"
                )
                self.b.foreign_keys = [fk for fk in self.b.foreign_keys if fk.table != part.relname]
        elif sub in (
            AlterTableType.AT_ChangeOwner,
            AlterTableType.AT_SetStatistics,
            AlterTableType.AT_ClusterOn,
            AlterTableType.AT_ReplicaIdentity,
            AlterTableType.AT_EnableRowSecurity,
        ):
            self.ignored[f"ALTER TABLE {sub.name.removeprefix('AT_')}"] += 1
        else:
            self.b.report(
                "alter table", f"{table.name}", f"{sub.name.removeprefix('AT_')} is not supported; not applied"
            )

    # --- indexes, types, comments -------------------------------------------------------------
    def _on_IndexStmt(self, stmt: ast.IndexStmt) -> None:  # noqa: N802
        if not self._in_schema(stmt.relation):
            self.ignored["CREATE INDEX in another schema"] += 1
            return
        if stmt.relation.relname in self.other_relations and stmt.relation.relname not in self.b.tables:
            self.ignored["CREATE INDEX on a partition or view"] += 1
            return
        table = self._table(stmt.relation, "CREATE INDEX")
        name = stmt.idxname or f"{table.name}_{'_'.join(p.name or 'expr' for p in stmt.indexParams)}_idx"
        where = f"{table.name}.{name}"
        if stmt.whereClause is not None:
            self.b.report(
                "partial index", where, f"WHERE {expression_text(stmt.whereClause)} is not supported; skipped"
            )
        elif any(p.expr is not None for p in stmt.indexParams):
            self.b.report("expression index", where, "indexes on expressions are not supported; skipped")
        elif (stmt.accessMethod or "btree") != "btree":
            self.b.report("index", where, f"{stmt.accessMethod} indexes are not supported (only btree); skipped")
        else:
            table.indexes.append((stmt.idxname, [p.name for p in stmt.indexParams], bool(stmt.unique)))
            self.b.report_options(
                "index option",
                where,
                include=[p.name for p in stmt.indexIncludingParams or ()],
                sort=[
                    text
                    for p in stmt.indexParams
                    if (
                        text := sort_text(
                            p.name,
                            p.ordering == enums.SortByDir.SORTBY_DESC,
                            p.nulls_ordering == enums.SortByNulls.SORTBY_NULLS_FIRST
                            or (
                                p.ordering == enums.SortByDir.SORTBY_DESC
                                and p.nulls_ordering != enums.SortByNulls.SORTBY_NULLS_LAST
                            ),
                        )
                    )
                ],
                opclasses=[f"{p.opclass[-1].sval} on {p.name}" for p in stmt.indexParams if p.opclass],
                nulls_not_distinct=bool(stmt.nulls_not_distinct),
            )

    def _enum_of(self, type_name: ast.TypeName) -> str | None:
        """The enum a column type names, directly or through a domain (None: not an enum of the input)."""
        names = [n.sval for n in type_name.names]
        if len(names) > 1 and names[0] == "pg_catalog":
            return None
        base = names[-1].lower()
        if base in self.enums:
            return base
        if base in self.domains:
            return self._enum_of(self.domains[base])
        return None

    def _on_CreateEnumStmt(self, stmt: ast.CreateEnumStmt) -> None:  # noqa: N802
        name = stmt.typeName[-1].sval
        self.enums[name] = [v.sval for v in stmt.vals or ()]

    def _on_AlterEnumStmt(self, stmt: ast.AlterEnumStmt) -> None:  # noqa: N802
        """``ALTER TYPE … ADD VALUE [IF NOT EXISTS] … [BEFORE|AFTER …]`` and ``RENAME VALUE … TO …``, replayed
        on the enum and on the choices of every column already of that type, as PostgreSQL would."""
        parts = [n.sval for n in stmt.typeName]
        name = parts[-1]
        if len(parts) > 1 and parts[-2] != self.schema:
            self.ignored["ALTER TYPE in another schema"] += 1
            return
        values = self.enums.get(name)
        if values is None:
            raise self.fail(
                f"ALTER TYPE names enum {name!r}, which was not created earlier in the input; "
                "put its CREATE TYPE … AS ENUM first."
            )
        new = list(values)
        if stmt.oldVal is not None:  # RENAME VALUE old TO new
            if stmt.oldVal not in new:
                raise self.fail(f"Enum {name} has no value {stmt.oldVal!r} to rename (it has {', '.join(new)}).")
            if stmt.newVal in new:
                raise self.fail(f"Enum {name} already has a value {stmt.newVal!r}.")
            new[new.index(stmt.oldVal)] = stmt.newVal
        elif stmt.newVal in new:
            if stmt.skipIfNewValExists:
                return
            raise self.fail(f"Enum {name} already has a value {stmt.newVal!r} (write ADD VALUE IF NOT EXISTS).")
        elif stmt.newValNeighbor is not None:
            if stmt.newValNeighbor not in new:
                where = "after" if stmt.newValIsAfter else "before"
                raise self.fail(f"Enum {name} has no value {stmt.newValNeighbor!r} to add {stmt.newVal!r} {where}.")
            at = new.index(stmt.newValNeighbor) + (1 if stmt.newValIsAfter else 0)
            new.insert(at, stmt.newVal)
        else:
            new.append(stmt.newVal)
        self.enums[name] = new
        for column in self.enum_columns.get(name, []):
            column.ctype.config["choices"] = list(new)
            if stmt.oldVal is not None and column.default == stmt.oldVal:
                column.default = stmt.newVal

    def _on_CreateDomainStmt(self, stmt: ast.CreateDomainStmt) -> None:  # noqa: N802
        name = stmt.domainname[-1].sval
        self.domains[name] = stmt.typeName
        self.b.report(
            "domain",
            name,
            f"its columns use the base type {type_text(stmt.typeName)}; the domain's own constraints are not kept",
        )

    def _on_DropStmt(self, stmt: ast.DropStmt) -> None:  # noqa: N802
        """``DROP TABLE`` undoes an earlier CREATE in the same script (dump scripts drop before they create)."""
        kind = stmt.removeType.name.removeprefix("OBJECT_")
        if stmt.removeType != ObjectType.OBJECT_TABLE:
            self.ignored[f"DROP {kind}"] += 1
            return
        for names in stmt.objects:
            parts = [n.sval for n in names]
            if len(parts) > 1 and parts[-2] != self.schema:
                continue
            if self.b.tables.pop(parts[-1], None) is not None:
                self.b.foreign_keys = [fk for fk in self.b.foreign_keys if parts[-1] not in (fk.table, fk.ref_table)]
                self.b.notes.append(f"table {parts[-1]} is created and then dropped by the script; not imported")
        self.ignored["DROP TABLE"] += 1

    def _on_RenameStmt(self, stmt: ast.RenameStmt) -> None:  # noqa: N802
        target = stmt.relation.relname if stmt.relation is not None else "?"
        if stmt.subname:
            target = f"{target}.{stmt.subname}"
        self.b.report(
            "rename",
            f"{target} → {stmt.newname}",
            "renames in a script are not replayed; the import shows the names before the rename",
        )

    def _on_CommentStmt(self, stmt: ast.CommentStmt) -> None:  # noqa: N802
        parts = [p.sval for p in stmt.object] if isinstance(stmt.object, tuple) else []
        if stmt.objtype == ObjectType.OBJECT_TABLE and parts:
            table = self.b.tables.get(parts[-1])
            if table is not None:
                table.description = stmt.comment or ""
                return
        elif stmt.objtype == ObjectType.OBJECT_COLUMN and len(parts) >= 2:
            table = self.b.tables.get(parts[-2])
            if table is not None and parts[-1] in table.columns:
                table.columns[parts[-1]].description = stmt.comment or ""
                return
        self.ignored[f"COMMENT ON {stmt.objtype.name.removeprefix('OBJECT_')}"] += 1


def _owned(options: Any) -> bool:
    """Whether a sequence's options say OWNED BY a column (not OWNED BY NONE)."""
    for option in options or ():
        if option.defname == "owned_by":
            return not (len(option.arg) == 1 and option.arg[0].sval.lower() == "none")
    return False


def _object_name(stmt: Any, schema: str) -> str:
    """The name the report gives a statement's object: unqualified in the imported schema (as the live
    catalogs name it), with its arguments for a function and its table for a trigger, rule or policy."""

    def relation(node: ast.RangeVar) -> str:
        return node.relname if node.schemaname in (None, schema) else f"{node.schemaname}.{node.relname}"

    def dotted(names: tuple) -> str:
        parts = [getattr(n, "sval", "?") for n in names]
        return ".".join(parts[1:] if len(parts) > 1 and parts[0] == schema else parts)

    if isinstance(stmt, ast.CreateFunctionStmt):
        args = []
        for p in stmt.parameters or ():
            if p.mode in (enums.FunctionParameterMode.FUNC_PARAM_OUT, enums.FunctionParameterMode.FUNC_PARAM_TABLE):
                continue
            args.append(" ".join(filter(None, [p.name, type_text(p.argType)])))
        return f"{dotted(stmt.funcname)}({', '.join(args)})"
    for attr in ("view", "relation", "into"):
        node = getattr(stmt, attr, None)
        if isinstance(node, ast.IntoClause):
            node = node.rel
        if isinstance(node, ast.RangeVar):
            own = (
                getattr(stmt, "trigname", None) or getattr(stmt, "rulename", None) or getattr(stmt, "policy_name", None)
            )
            return f"{own} on {relation(node)}" if own else relation(node)
    for attr in ("typevar", "defnames", "sequence", "extname", "pubname", "typeName"):
        node = getattr(stmt, attr, None)
        if isinstance(node, str):
            return node
        if isinstance(node, ast.RangeVar):
            return relation(node)
        if isinstance(node, tuple):
            return dotted(node)
    return "?"


def _statement_label(stmt: Any) -> str:
    name = type(stmt).__name__.removesuffix("Stmt")
    return {"Insert": "INSERT", "VariableSet": "SET", "Createdb": "CREATE DATABASE", "Dropdb": "DROP DATABASE"}.get(
        name, re.sub(r"(?<!^)(?=[A-Z])", " ", name).upper()
    )


def _explain(message: str) -> str:
    """pglast's message, with what PostgreSQL expected there spelt out for the usual slips."""
    match = re.match(r'syntax error at or near "(.*)"', message)
    if match:
        return (
            f"syntax error at {match.group(1)!r}: PostgreSQL did not expect this here "
            "(check just before it for a missing comma, parenthesis or semicolon)."
        )
    if "syntax error at end of input" in message:
        return (
            "syntax error at end of input: the last statement is incomplete "
            "(a closing parenthesis or semicolon is missing)."
        )
    return message
