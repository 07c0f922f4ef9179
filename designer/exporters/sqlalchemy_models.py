"""SQLAlchemy 2.0 declarative models (``DeclarativeBase``, ``Mapped[...]``, ``mapped_column``).

Table, column, key, constraint and index names, referential actions, server defaults, identity columns,
CHECK constraints (text choices as ``<table>_<field>_check``) and comments are all kept, so
``Base.metadata.create_all`` on PostgreSQL creates the same schema the PostgreSQL DDL export does.
Each foreign key also gets a ``relationship()`` on the holding side.
"""

from __future__ import annotations

from typing import Any

from designer.ddl import postgresql as ddl_postgresql
from designer.ddl.names import quote_ident, quote_literal
from designer.schema.snapshot import Snapshot

from . import ExportFormat, register
from .common import (
    choices_check_name,
    field_names,
    foreign_keys,
    header,
    pk_fields,
    prepare,
    sql_default,
    unique_name,
)
from .django_models import _attribute, class_name

ACTIONS = {key: sql for key, sql in ddl_postgresql.ACTIONS.items() if key != "no_action"}  # the default


def _sa_type(field: dict[str, Any]) -> tuple[str, str]:
    """(SQLAlchemy type expression, Python annotation)."""
    family, config = field["data_type"], field["config"]
    if family == "text":
        return (f"String({config['max_length']})" if config.get("max_length") else "Text()"), "str"
    if family == "number":
        kind = config.get("kind", "integer")
        if kind == "decimal":
            if config.get("precision"):
                return f"Numeric({config['precision']}, {config.get('scale', 0)})", "Decimal"
            return "Numeric()", "Decimal"
        return {"smallint": "SmallInteger()", "bigint": "BigInteger()", "float": "Double()"}.get(kind, "Integer()"), (
            "float" if kind == "float" else "int"
        )
    if family == "date":
        kind = config.get("kind", "timestamptz")
        return {
            "date": ("Date()", "datetime.date"),
            "time": ("Time()", "datetime.time"),
            "timestamp": ("DateTime()", "datetime.datetime"),
        }.get(kind, ("DateTime(timezone=True)", "datetime.datetime"))
    return {
        "boolean": ("Boolean()", "bool"),
        "json": ("JSONB()", "Any"),
        "uuid": ("Uuid()", "uuid.UUID"),
    }[family]


def to_sqlalchemy(snapshot: Snapshot) -> str:
    snap = prepare(snapshot)
    fks = {fk.field["id"]: fk for fk in foreign_keys(snap)}
    classes = {t["id"]: class_name(t["table_name"]) for t in snap["tables"]}
    models = [_model(t, fks, classes) for t in snap["tables"]]
    imports = [
        "from __future__ import annotations",
        "",
        "import datetime",
        "import uuid",
        "from decimal import Decimal",
        "from typing import Any",
        "",
        "from sqlalchemy import (",
        "    BigInteger, Boolean, CheckConstraint, Date, DateTime, Double, ForeignKey, Identity, Index, Integer,",
        "    Numeric, PrimaryKeyConstraint, SmallInteger, String, Text, Time, UniqueConstraint, Uuid, text,",
        ")",
        "from sqlalchemy.dialects.postgresql import JSONB",
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship",
        "",
        "",
        "class Base(DeclarativeBase):",
        "    pass",
    ]
    return header(snap, "#") + "\n".join(imports) + "\n\n\n" + "\n\n".join(models)


def _model(table: dict[str, Any], fks: dict, classes: dict) -> str:
    tname = table["table_name"]
    keys = pk_fields(table)
    taken: set[str] = {"metadata", "registry"}
    attributes = {f["id"]: _attribute(f["field_name"], taken) for f in table["fields"]}
    args: list[str] = []
    pk = table.get("primary_key")
    if pk and pk["fields"]:
        cols = ", ".join(repr(n) for n in field_names(table, pk["fields"]))
        args.append(f"PrimaryKeyConstraint({cols}, name={pk['name']!r})")
    columns = []
    relationships = []
    for field in table["fields"]:
        attribute = attributes[field["id"]]
        sa_type, annotation = _sa_type(field)
        parts = [repr(field["field_name"]), sa_type]
        if field["config"].get("identity"):
            parts.append("Identity()")
        fk = fks.get(field["id"])
        if fk:
            fk_args = [repr(f"{fk.ref_table['table_name']}.{fk.ref_field['field_name']}"), f"name={fk.name!r}"]
            for key in ("delete", "update"):
                action = fk.rel[f"on_{key}"]
                if action in ACTIONS:
                    fk_args.append(f"on{key}={ACTIONS[action]!r}")
            parts.append(f"ForeignKey({', '.join(fk_args)})")
        parts.append(f"nullable={not field['required']}")
        if field["id"] in [k["id"] for k in keys]:
            parts.append("primary_key=True")
            if not field["config"].get("identity") and field["data_type"] == "number":
                parts.append("autoincrement=False")  # no implicit SERIAL: the design says no identity
        default = sql_default(field)
        if default is not None:
            parts.append(f"server_default=text({default!r})")
        if field["description"]:
            parts.append(f"comment={field['description']!r}")
        optional = "" if field["required"] else " | None"
        columns.append(f"    {attribute}: Mapped[{annotation}{optional}] = mapped_column({', '.join(parts)})")
        if field["unique"]:
            args.append(f"UniqueConstraint({field['field_name']!r}, name={unique_name(table, field)!r})")
        if field["data_type"] == "text" and field["config"].get("choices"):
            values = ", ".join(quote_literal(c) for c in field["config"]["choices"])
            check = f"{quote_ident(field['field_name'])} IN ({values})"
            args.append(f"CheckConstraint({check!r}, name={choices_check_name(table, field)!r})")
        if fk:
            rel_attr = attribute[:-3] if attribute.endswith("_id") else f"{attribute}_ref"
            rel_attr = _attribute(rel_attr, taken)
            target = classes[fk.ref_table["id"]]
            remote = ""
            if fk.ref_table["id"] == table["id"]:
                remote = f", remote_side=[{attributes[fk.ref_field['id']]}]"
            relationships.append(
                f"    {rel_attr}: Mapped[{target}{optional}] = relationship(foreign_keys=[{attribute}]{remote})"
            )
    for c in table["constraints"]:
        if c["kind"] == "unique":
            cols = ", ".join(repr(n) for n in field_names(table, c["fields"]))
            args.append(f"UniqueConstraint({cols}, name={c['name']!r})")
        else:
            args.append(f"CheckConstraint({c['expression']!r}, name={c['name']!r})")
    for i in table["indexes"]:
        cols = ", ".join(repr(n) for n in field_names(table, i["fields"]))
        args.append(f"Index({i['name']!r}, {cols}{', unique=True' if i['unique'] else ''})")
    if table["description"]:
        args.append(f"{{'comment': {table['description']!r}}}")
    lines = [f"class {classes[table['id']]}(Base):", f"    __tablename__ = {tname!r}"]
    if args:
        lines.append("    __table_args__ = (\n" + "".join(f"        {a},\n" for a in args) + "    )")
    if not keys:
        names = ", ".join(repr(a) for a in attributes.values())
        lines.append("    # No primary key in the design: the mapper treats all columns as the identity.")
        lines.append(f"    __mapper_args__ = {{'primary_key': [{names}]}}")
    lines += [""] + columns
    if relationships:
        lines += [""] + relationships
    return "\n".join(lines) + "\n"


register(
    ExportFormat(
        key="sqlalchemy",
        label="SQLAlchemy 2.0 models",
        extension="py",
        content_type="text/x-python",
        render=to_sqlalchemy,
    )
)
