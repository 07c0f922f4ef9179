"""Django ``models.py`` export (Django 5.2: composite primary keys, ``db_comment``, ``db_default``).

Every model keeps the design's table and column names (``db_table``, ``db_column``), keys, unique and
index names, and comments. A foreign key becomes a ``ForeignKey`` (``OneToOneField`` for one-to-one)
named after its column without ``_id``. Defaults become ``db_default`` so the database holds them, as
in the design. Django enforces ``on_delete`` in Python: the design's action is mapped to the nearest
Django one (``no_action`` → ``DO_NOTHING``). CHECK constraints are raw SQL in the design; they are
listed as comments for a ``RunSQL`` migration. Text choices become ``choices``.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from designer.schema.snapshot import Snapshot

from . import ExportFormat, register
from .common import choices_check_name, foreign_keys, header, pk_fields, prepare

ON_DELETE = {
    "cascade": "CASCADE",
    "restrict": "RESTRICT",
    "set_null": "SET_NULL",
    "set_default": "SET_DEFAULT",
    "no_action": "DO_NOTHING",
}
MAX_INDEX_NAME = 30  # Django's limit for Index names (models.E034)


def class_name(table_name: str) -> str:
    name = "".join(part.capitalize() for part in table_name.split("_") if part)
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"T{name}"


def _attribute(name: str, taken: set[str]) -> str:
    base = name if name.isidentifier() and not keyword.iskeyword(name) and name != "pk" else f"{name}_"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _django_attribute(name: str, taken: set[str]) -> str:
    """A model field name for a column: no Python keyword, no trailing underscore (fields.E001), no double
    underscore (fields.E002), not ``pk``; the column keeps its name through ``db_column``."""
    base = re.sub(r"_{2,}", "_", name).rstrip("_") or "field"
    if keyword.iskeyword(base) or base == "pk" or base != name.rstrip("_") or name.endswith("_"):
        base = f"{base}_field"
    return _attribute(base, taken)


def _short_name(name: str) -> str:
    if len(name) <= MAX_INDEX_NAME:
        return name
    import hashlib

    return f"{name[: MAX_INDEX_NAME - 9]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _python_default(field: dict[str, Any]) -> str | None:
    value = field["default"]
    if value is None:
        return None
    family, kind = field["data_type"], field["config"].get("kind")
    if value in ("now()", "current_timestamp"):
        return "Now()"
    if value in ("current_date", "current_time", "localtime", "localtimestamp"):
        return f"Func(template={value.upper()!r})"
    if value == "gen_random_uuid()":
        return 'Func(function="gen_random_uuid")'
    if family == "number":
        return f'Decimal("{value}")' if kind == "decimal" else (value if kind != "float" else repr(float(value)))
    if family == "boolean":
        return "True" if value == "true" else "False"
    if family == "date":
        module = {"date": "date", "time": "time"}.get(kind, "datetime")
        return f"datetime.{module}.fromisoformat({value!r})"
    if family == "json":
        return f"json.loads({value!r})"
    if family == "uuid":
        return f"uuid.UUID({value!r})"
    return repr(value)


def _field_class(field: dict[str, Any], is_single_pk: bool) -> tuple[str, list[str]]:
    family, config = field["data_type"], field["config"]
    args: list[str] = []
    if family == "text":
        if config.get("max_length"):
            cls = "CharField"
            args.append(f"max_length={config['max_length']}")
        else:
            cls = "TextField"
        if config.get("choices"):
            args.append("choices=[" + ", ".join(f"({c!r}, {c!r})" for c in config["choices"]) + "]")
    elif family == "number":
        kind = config.get("kind", "integer")
        if config.get("identity") and is_single_pk:
            cls = {"smallint": "SmallAutoField", "bigint": "BigAutoField"}.get(kind, "AutoField")
        elif kind == "decimal":
            cls = "DecimalField"
            if config.get("precision"):
                args += [f"max_digits={config['precision']}", f"decimal_places={config.get('scale', 0)}"]
            else:  # Django needs both; PostgreSQL's numeric allows up to 1000 digits
                args += ["max_digits=1000", "decimal_places=500"]
        else:
            cls = {"smallint": "SmallIntegerField", "bigint": "BigIntegerField", "float": "FloatField"}.get(
                kind, "IntegerField"
            )
    elif family == "date":
        cls = {"date": "DateField", "time": "TimeField"}.get(config.get("kind", "timestamptz"), "DateTimeField")
    else:
        cls = {"boolean": "BooleanField", "json": "JSONField", "uuid": "UUIDField"}[family]
    return cls, args


def _common_args(field: dict[str, Any], attribute: str, is_single_pk: bool) -> list[str]:
    args = []
    if attribute != field["field_name"]:
        args.append(f"db_column={field['field_name']!r}")
    if is_single_pk:
        args.append("primary_key=True")
    elif field["unique"]:
        args.append("unique=True")
    if not field["required"] and not is_single_pk:  # a key cannot be NULL in Django (fields.E007)
        args.append("null=True, blank=True")
    default = _python_default(field)
    if default is not None:
        args.append(f"db_default={default}")
    if field["description"]:
        args.append(f"db_comment={field['description']!r}")
    return args


def to_django(snapshot: Snapshot) -> str:
    snap = prepare(snapshot)
    fks = {fk.field["id"]: fk for fk in foreign_keys(snap)}
    classes = {t["id"]: class_name(t["table_name"]) for t in snap["tables"]}
    fk_count: dict[tuple[str, str], int] = {}
    for fk in fks.values():
        key = (fk.table["id"], fk.ref_table["id"])
        fk_count[key] = fk_count.get(key, 0) + 1
    body: list[str] = []
    for table in snap["tables"]:
        body.append(_model(table, snap, fks, classes, fk_count))
    imports = ["import datetime", "import json", "import uuid", "from decimal import Decimal", ""]
    imports += ["from django.db import models", "from django.db.models import Func"]
    imports += ["from django.db.models.functions import Now"]
    text = header(snap, "#") + "\n".join(imports) + "\n\n\n" + "\n\n".join(body)
    return _drop_unused_imports(text)


def _model(table: dict, snap: Snapshot, fks: dict, classes: dict, fk_count: dict) -> str:
    keys = pk_fields(table)
    single_pk = keys[0]["id"] if len(keys) == 1 else None
    stand_in = None
    if not keys:  # Django needs a primary key: a column named id stands in, else Django adds one
        stand_in = next((f["id"] for f in table["fields"] if f["field_name"] == "id"), None)
        single_pk = stand_in
    # Django reserves "id" for the primary key (models.E004) and "objects" for the manager.
    taken: set[str] = {"objects"} | ({"id"} if not (single_pk and _is_named(table, single_pk, "id")) else set())
    attr_of: dict[str, str] = {}
    lines = [f"class {classes[table['id']]}(models.Model):"]
    if not keys:
        lines.append(
            "    # The design has no primary key; Django needs one: "
            + ("the id column stands in." if stand_in else "Django adds an 'id' column.")
        )
    if len(keys) > 1:
        taken.add("pk")
    field_lines = []
    for field in table["fields"]:
        fid = field["id"]
        is_pk = fid == single_pk
        fk = fks.get(fid)
        if fk:
            base = field["field_name"][:-3] if field["field_name"].endswith("_id") else field["field_name"]
            attribute = _django_attribute(base, taken)
            attr_of[fid] = attribute
            cls = "OneToOneField" if fk.rel["type"] == "one_to_one" else "ForeignKey"
            target = "'self'" if fk.ref_table["id"] == table["id"] else repr(classes[fk.ref_table["id"]])
            args = [target, f"on_delete=models.{ON_DELETE[fk.rel['on_delete']]}"]
            if fk.ref_field["id"] not in [f["id"] for f in pk_fields(fk.ref_table)] or len(pk_fields(fk.ref_table)) > 1:
                args.append(f"to_field={fk.ref_field['field_name']!r}")
            args.append(f"db_column={field['field_name']!r}")
            args.append("db_index=False")  # the design lists its indexes explicitly (Meta.indexes)
            if fk_count[(table["id"], fk.ref_table["id"])] > 1 or fk.ref_table["id"] == table["id"]:
                related = f"{table['table_name']}_{attribute}_set"
                args.append(f"related_name={related!r}")
            action = fk.rel["on_delete"]
            if (action == "set_null" and field["required"]) or (action == "set_default" and field["default"] is None):
                args[1] = "on_delete=models.DO_NOTHING"  # Django needs null=True / a default for these
            common = [a for a in _common_args(field, attribute, is_pk) if not a.startswith("db_column")]
            field_lines.append(f"    {attribute} = models.{cls}({', '.join(args + common)})")
            continue
        attribute = _django_attribute(field["field_name"], taken)
        attr_of[fid] = attribute
        cls, args = _field_class(field, is_pk)
        args += _common_args(field, attribute, is_pk)
        if cls.endswith("AutoField"):
            args = [a for a in args if not a.startswith("db_default")]
        note = ""
        if field["data_type"] == "date" and field["config"].get("kind") == "timestamp":
            note = "  # the design says timestamp without time zone; Django's DateTimeField is timestamptz"
        elif (
            field["data_type"] == "number"
            and field["config"].get("kind") == "decimal"
            and not field["config"].get("precision")
        ):
            note = "  # unbounded numeric in the design; Django needs max_digits and decimal_places"
        field_lines.append(f"    {attribute} = models.{cls}({', '.join(args)}){note}")
    if len(keys) > 1:
        lines.append(
            f"    pk = models.CompositePrimaryKey({', '.join(repr(_attname(attr_of[k['id']], k, fks)) for k in keys)})"
        )
    lines += field_lines
    meta = [f"        db_table = {table['table_name']!r}"]
    if table["description"]:
        meta.append(f"        db_table_comment = {table['description']!r}")
    constraints, indexes = [], []
    for field in table["fields"]:  # choices are enforced by the database too, as in the design
        if field["data_type"] == "text" and field["config"].get("choices"):
            condition = f"models.Q({attr_of[field['id']]}__in={field['config']['choices']!r})"
            name = choices_check_name(table, field)
            constraints.append(f"models.CheckConstraint(condition={condition}, name={name!r})")
    for c in table["constraints"]:
        if c["kind"] == "unique":
            names = [attr_of[i] for i in c["fields"]]
            constraints.append(f"models.UniqueConstraint(fields={names!r}, name={c['name']!r})")
    for i in table["indexes"]:
        names = [attr_of[f] for f in i["fields"]]
        if i["unique"]:
            constraints.append(f"models.UniqueConstraint(fields={names!r}, name={i['name']!r})")
        else:
            indexes.append(f"models.Index(fields={names!r}, name={_short_name(i['name'])!r})")
    if constraints:
        meta.append("        constraints = [\n" + "".join(f"            {c},\n" for c in constraints) + "        ]")
    if indexes:
        meta.append("        indexes = [\n" + "".join(f"            {i},\n" for i in indexes) + "        ]")
    checks = [c for c in table["constraints"] if c["kind"] == "check"]
    for c in checks:
        meta.append(f"        # CHECK constraint {c['name']}: {c['expression']}  (add with a RunSQL migration)")
    lines += ["", "    class Meta:"] + meta
    return "\n".join(lines) + "\n"


def _is_named(table: dict, field_id: str, name: str) -> bool:
    return any(f["id"] == field_id and f["field_name"] == name for f in table["fields"])


def _attname(attribute: str, field: dict, fks: dict) -> str:
    return f"{attribute}_id" if field["id"] in fks else attribute


def _drop_unused_imports(text: str) -> str:
    code = text.split("\n\n\n", 1)[1] if "\n\n\n" in text else text
    keep = []
    for line in text.split("\n\n\n", 1)[0].splitlines():
        match = re.match(r"(?:from \S+ )?import (\w+)$", line)
        if match and match.group(1) != "models" and not re.search(rf"\b{match.group(1)}\b", code):
            continue
        keep.append(line)
    return "\n".join(keep).rstrip("\n") + "\n\n\n" + code


register(
    ExportFormat(key="django", label="Django models.py", extension="py", content_type="text/x-python", render=to_django)
)
