"""DBML (the dbdiagram.io language) → snapshot, parsed by pydbml.

Held by the model: tables and their notes, columns with settings (pk, not null, unique, increment,
default, note, inline ref), composite primary keys and indexes (``indexes { (a, b) [pk | unique, name] }``),
refs (``>``, ``<``, ``-`` with ``delete:``/``update:`` actions), enums (→ text with choices), the project
name and note; table groups (with their colour) and sticky notes become the canvas's groups and notes
(``ImportResult.groups`` / ``sticky_notes``). Named in the report: expression and non-btree indexes,
types without an equivalent; header colours and group notes are dropped with a note.

A unique index whose note is exactly ``unique constraint`` is read as a table-level UNIQUE constraint:
that is how the DBML exporter writes constraints, which DBML has no syntax for.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pyparsing
from pydbml import PyDBML
from pydbml import exceptions as dbml_errors
from pydbml.classes import Enum, Expression

from . import ImportResult, ImportSyntaxError
from .builder import ACTIONS, ColumnDraft, ForeignKeyDraft, SchemaBuilder
from .pgtypes import ColumnType, map_type, parse_expression, read_default, type_name_of

UNIQUE_CONSTRAINT_NOTE = "unique constraint"
META_PREFIX = "tablewright:"


def read_dbml(text: str) -> ImportResult:
    """Read DBML. Raises ``ImportSyntaxError`` with the line, column and what was expected."""
    try:
        db = PyDBML(text)
    except pyparsing.ParseBaseException as exc:
        raise ImportSyntaxError(_explain(exc), line=exc.lineno, column=exc.col) from exc
    except ValueError as exc:  # pydbml itself trips, e.g. over a note of only spaces (``note: ' '``)
        raise ImportSyntaxError(
            f"The DBML parser could not read this text ({exc}). A note or string of only spaces is a known cause: "
            "give it some text or remove it."
        ) from exc
    except (dbml_errors.TableNotFoundError, dbml_errors.ColumnNotFoundError) as exc:
        line, message = _locate_missing(text, str(exc))
        raise ImportSyntaxError(message, line=line) from exc
    except (dbml_errors.DatabaseValidationError, dbml_errors.DBMLError, dbml_errors.DuplicateReferenceError) as exc:
        group = re.match(r"TableGroup (.+) is already in the database", str(exc))
        if group:
            raise ImportSyntaxError(
                f"TableGroup {group.group(1)} is defined twice: each table group may be defined only once.",
                line=_line_of_second(text, "TableGroup", group.group(1)),
            ) from exc
        raise ImportSyntaxError(
            f"{str(exc).rstrip('.')}: each table, enum and ref may be defined only once.",
            line=_line_of_duplicate(text, str(exc)),
        ) from exc
    return _DbmlReader(db).read()


class _DbmlReader:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.b = SchemaBuilder("dbml")
        # pydbml keeps a quoted enum value's escapes ("back\\slash"); dbdiagram.io reads them as one character
        self.enums = {e.name: [_unescape(item.name) for item in e.items] for e in db.enums}

    def read(self) -> ImportResult:
        db, b = self.db, self.b
        if db.project is not None:
            b.project["name"] = db.project.name or ""
            b.project["description"] = _note(db.project.note)
        for table in db.tables:
            self._table(table)
        for ref in db.refs:
            self._ref(ref)
        for enum in db.enums:
            b.notes.append(
                f"enum {enum.name}: its columns become text with choices ({', '.join(self.enums[enum.name])})"
            )
        result = b.build()
        result.groups = self._groups(result)
        for sticky in getattr(db, "sticky_notes", []):
            text = str(sticky.text or "").strip()
            if not text:
                b.report("sticky note", sticky.name, "the note is empty; not imported")
                continue
            result.sticky_notes.append({"name": sticky.name, "text": text[:2000]})
            b.notes.append(f"note {sticky.name}: becomes a note on the canvas (its name is not kept)")
        return result

    def _groups(self, result: ImportResult) -> list[dict[str, Any]]:
        """``TableGroup name [color: #rrggbb] { table … }`` → the designer's table groups, over the tables
        that were imported (a table skipped by the import is left out, and said so)."""
        imported = set(result.table_names)
        groups = []
        for group in self.db.table_groups:
            name = str(group.name).strip()[:80]
            members = [t.name for t in group.items if t.name in imported]
            left_out = [t.name for t in group.items if t.name not in imported]
            if left_out:
                self.b.notes.append(f"table group {name}: {', '.join(left_out)} not imported, so not in the group")
            color = _color(getattr(group, "color", None))
            if getattr(group, "color", None) and color is None:
                self.b.notes.append(f"table group {name}: colour {group.color} is not #rrggbb; the default is used")
            if getattr(group, "note", None) is not None and _note(group.note):
                self.b.notes.append(f"table group {name}: its note is not kept")
            if any(g["name"] == name for g in groups):
                self.b.report("table group", name, "a group of that name is already defined; skipped")
                continue
            groups.append({"name": name, "color": color, "tables": members})
        return groups

    def _table(self, table: Any) -> None:
        b = self.b
        if table.name in b.tables:
            b.report(
                "table",
                f"{table.schema}.{table.name}",
                "a table of that name is already imported from another schema; skipped",
            )
            return
        if table.schema and table.schema != "public":
            b.notes.append(f"table {table.schema}.{table.name} imported as {table.name} (schemas are not kept)")
        draft = b.add_table(table.name, _note(table.note))
        meta = self._meta(table.comment, f"table {table.name}")
        draft.overrides = {
            k: v for k, v in meta.items() if k in ("id", "name", "status", "fields", "indexes", "constraints")
        }
        for check in meta.get("checks", []):
            draft.checks.append((check["name"], check["expression"], None))
        for rel in meta.get("many_to_many", []):
            b.many_to_many.append(rel | {"junction_table": table.name})
        if getattr(table, "header_color", None):
            b.notes.append(f"{table.name}: header colour {table.header_color} dropped")
        pk_cols: list[str] = []
        for column in table.columns:
            ctype = self._type(column.type, f"{table.name}.{column.name}")
            col = b.add_column(
                draft,
                ColumnDraft(
                    column.name, ctype, required=bool(column.not_null or column.pk), description=_note(column.note)
                ),
            )
            if column.pk:
                pk_cols.append(column.name)
            if column.unique:
                draft.uniques.append((None, [column.name]))
            if column.autoinc:
                if ctype.family == "number" and ctype.config.get("kind") in ("smallint", "integer", "bigint"):
                    ctype.config["identity"] = True
                    col.required = True
                else:
                    b.report("increment", f"{table.name}.{column.name}", "increment needs an integer column; dropped")
            if column.default is not None:
                self._default(draft.name, col, column.default)
        pk_name = None
        for index in table.indexes:
            name = index.name
            subjects = index.subjects
            where = f"{table.name}.{name or 'index'}"
            if any(not hasattr(s, "table") for s in subjects):
                b.report("expression index", where, "indexes on expressions are not supported; skipped")
                continue
            cols = [s.name for s in subjects]
            if index.pk:
                pk_cols, pk_name = cols, name
            elif index.type and index.type.lower() != "btree":
                b.report("index", where, f"{index.type} indexes are not supported (only btree); skipped")
            elif index.unique and _note(index.note) == UNIQUE_CONSTRAINT_NOTE:
                draft.uniques.append((name, cols))
            else:
                draft.indexes.append((name, cols, bool(index.unique)))
        if pk_cols:
            draft.primary_key = (pk_name, pk_cols)

    def _meta(self, comment: str | None, where: str) -> dict[str, Any]:
        """The ``// tablewright: {…}`` line Tablewright's own DBML export writes above a table or ref."""
        for line in (comment or "").splitlines():
            if line.strip().startswith(META_PREFIX):
                try:
                    meta = json.loads(line.strip()[len(META_PREFIX) :])
                except json.JSONDecodeError:
                    self.b.notes.append(f"{where}: unreadable '{META_PREFIX}' comment ignored")
                    return {}
                return meta if isinstance(meta, dict) else {}
        return {}

    def _type(self, dbml_type: Any, where: str) -> ColumnType:
        if isinstance(dbml_type, Enum):
            return ColumnType(
                "text", {"choices": list(self.enums[dbml_type.name])}, note=f"enum {dbml_type.name} → text with choices"
            )
        text = str(dbml_type).strip()
        parsed = type_name_of(text)
        if parsed is None:
            return ColumnType("text", unsupported=f"type {text} has no equivalent; imported as text")
        ctype, _serial = map_type(parsed, enums_by_name=self.enums)
        return ctype

    def _default(self, table: str, col: ColumnDraft, value: Any) -> None:
        where = f"{table}.{col.name}"
        if isinstance(value, Expression):
            node = parse_expression(value.text)
            if node is None:
                self.b.report("default", where, f"default `{value.text}` is not a SQL expression; dropped")
                return
            default, sequence, problem = read_default(node, col.ctype)
            if sequence:
                col.ctype.config["identity"] = True
        else:
            literal = ("true" if value else "false") if isinstance(value, bool) else str(value)
            node = parse_expression("'" + literal.replace("'", "''") + "'")
            if node is None:
                self.b.report("default", where, f"default {literal!r} cannot be read; dropped")
                return
            default, _sequence, problem = read_default(node, col.ctype)
        if problem:
            self.b.report("default", where, problem)
        else:
            col.default = default

    def _ref(self, ref: Any) -> None:
        label = ref.name or f"{ref.col1[0].table.name}.{ref.col1[0].name} {ref.type} {ref.col2[0].table.name}"
        if ref.type == "<>":
            self._many_to_many(ref, label)
            return
        many, one = (ref.col2, ref.col1) if ref.type == "<" else (ref.col1, ref.col2)
        meta = self._meta(getattr(ref, "comment", None), f"ref {label}")
        self.b.foreign_keys.append(
            ForeignKeyDraft(
                ref.name or None,
                many[0].table.name,
                [c.name for c in many],
                one[0].table.name,
                [c.name for c in one],
                on_delete=ACTIONS.get((ref.on_delete or "no action").lower(), "no_action"),
                on_update=ACTIONS.get((ref.on_update or "no action").lower(), "no_action"),
                one_to_one=ref.type == "-",
                id=meta.get("id"),
                status=meta.get("status", "draft"),
            )
        )

    def _many_to_many(self, ref: Any, label: str) -> None:
        """``a.id <> b.id``: a generated junction table holding two foreign keys and a composite key, as
        the designer draws a many-to-many relationship."""
        b = self.b
        if len(ref.col1) != 1 or len(ref.col2) != 1:
            b.report("many-to-many ref", label, "composite many-to-many refs are not supported; not imported")
            return
        ends = [(c.table.name, c.name) for c in (ref.col1[0], ref.col2[0])]
        junction = f"{ends[0][0]}_{ends[1][0]}"[:63]
        if junction in b.tables:
            b.report("many-to-many ref", label, f"its junction table name {junction} is taken; not imported")
            return
        name = ref.name or junction
        draft = b.add_table(junction, f"Junction of {ends[0][0]} and {ends[1][0]} (many-to-many {name}).")
        taken: set[str] = set()
        actions = {
            "on_delete": ACTIONS.get((ref.on_delete or "no action").lower(), "no_action"),
            "on_update": ACTIONS.get((ref.on_update or "no action").lower(), "no_action"),
        }
        columns = []
        for table, column in ends:
            ctype = b.tables[table].columns[column].ctype
            config = {k: v for k, v in ctype.config.items() if k != "identity"}
            col = column if column.startswith(table) else f"{table}_{column}"
            col = col[:63] if col[:63] not in taken else f"{col[:60]}_to"
            taken.add(col)
            b.add_column(draft, ColumnDraft(col, ColumnType(ctype.family, config), required=True))
            b.foreign_keys.append(ForeignKeyDraft(None, junction, [col], table, [column], **actions))
            columns.append(col)
        draft.primary_key = (None, columns)
        b.many_to_many.append(
            {
                "name": name,
                "source_table": ends[0][0],
                "source_field": ends[0][1],
                "target_table": ends[1][0],
                "target_field": ends[1][1],
                "junction_table": junction,
                **actions,
            }
        )
        b.notes.append(f"many-to-many ref {label}: generated junction table {junction}")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _color(color: str | None) -> str | None:
    """A DBML colour (``#ABCDEF`` or ``#abc``) as the designer's ``#rrggbb``; None when it is not one."""
    text = (color or "").strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", text):
        text = "#" + "".join(c * 2 for c in text[1:])
    return text if re.fullmatch(r"#[0-9a-f]{6}", text) else None


def _note(note: Any) -> str:
    return str(getattr(note, "text", note) or "") if note is not None else ""


def _explain(exc: pyparsing.ParseBaseException) -> str:
    """pyparsing's message, made readable: what was found and, briefly, what DBML expects there."""
    message = str(exc.msg)
    found = f"found {exc.line[exc.col - 1 :].strip()[:30]!r}" if exc.line.strip() else "found the end of the input"
    keywords = re.findall(r"'([A-Za-z][A-Za-z :]*)'", message)
    if message.startswith("Expected") and len(message) > 80 and keywords:
        unique = list(dict.fromkeys(k.rstrip(":").lower() for k in keywords))
        hint = ""
        if "default:" in exc.line.lower() and set(unique) <= {"true", "false", "null"}:
            hint = (
                " A default is a number, 'quoted text', true/false/null"
                " or an `expression in backticks` such as `now()`."
            )
        return f"expected one of: {', '.join(unique[:12])}; {found}.{hint}"
    return f"{message.rstrip('.')}; {found}."


BLOCK = re.compile(r'^\s*(Table|TableGroup|Enum|Project|Note|indexes)\b\s*("[^"]*"|[^\s{\[]*)', re.IGNORECASE)
STRINGS_AND_COMMENTS = re.compile(r"'''.*?'''|'(?:\\.|[^'\\])*'|//.*$")


def _blocks(text: str) -> list[tuple[int, str, str, str, str]]:
    """(line number, block kind, block name, the enclosing table, code) for every line: which construct
    each line belongs to, by following the braces (good enough to point at an error)."""
    out, stack = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        code = STRINGS_AND_COMMENTS.sub("''", line)
        match = BLOCK.match(code)
        opens = match is not None and "{" in code
        if opens:
            kind, name = match.group(1).lower(), match.group(2).strip('"')
            table = name if kind == "table" else (stack[-1][2] if stack else "")
            stack.append((kind, name, table))
        kind, name, table = stack[-1] if stack else ("", "", "")
        out.append((number, kind, name, table, code))
        for _ in range(code.count("}") - code.count("{") + (1 if opens else 0)):
            if stack:
                stack.pop()
    return out


def _locate_missing(text: str, message: str) -> tuple[int | None, str]:
    """The line of the construct naming a table or column that is not defined, and a message worded for
    that construct (a table group member, an index column, or a ref end)."""
    lines = _blocks(text)
    ref_message = f"{message}. A ref must name a table and column defined in the file (table.column)."
    table = re.search(r"Table (?:public\.)?(\S+) not present", message)
    index_column = re.search(r'column "([^"]+)" not defined', message)
    column = re.search(r"Column (\S+) not present in table (\S+)", message)
    if table:
        name = table.group(1)
        for number, kind, block, _table, code in lines:
            if kind == "tablegroup" and code.strip().strip('"') in (name, f"public.{name}"):
                return number, (
                    f"TableGroup {block} lists table {name}, which is not defined in the file. "
                    "A table group may list only tables defined in the file."
                )
    if index_column:  # pydbml: 'Cannot add index, column "x" not defined in table …'
        name = index_column.group(1)
        for number, kind, _block, owner, code in lines:
            if kind == "indexes" and re.search(rf'(?<![\w."]){re.escape(name)}(?![\w"])|"{re.escape(name)}"', code):
                return number, (
                    f"An index of table {owner} names column {name}, which the table does not have. "
                    "An index may name only the table's own columns."
                )
        return None, f"An index names column {name}, which its table does not have."
    name = table.group(1) if table else column.group(1) if column else ""
    if name:
        for number, _kind, _block, _table, code in lines:
            if re.search(r"\bref\b", code, re.IGNORECASE) and re.search(
                rf"\.{re.escape(name)}\b|\b{re.escape(name)}\.", code
            ):
                return number, ref_message
    return None, ref_message


def _line_of_second(text: str, keyword: str, name: str) -> int | None:
    pattern = re.compile(rf'^\s*{keyword}\s+"?{re.escape(name)}"?[\s{{\[]', re.IGNORECASE)
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]
    return hits[1] if len(hits) > 1 else None


def _line_of_duplicate(text: str, message: str) -> int | None:
    """The line of the second definition of a duplicated table."""
    match = re.search(r"^(?:\w+\.)?(\w+)\(", message)
    if not match:
        return None
    pattern = re.compile(rf"^\s*Table\s+(?:\w+\.)?\"?{re.escape(match.group(1))}\"?[\s{{\[]", re.IGNORECASE)
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]
    return hits[1] if len(hits) > 1 else None
