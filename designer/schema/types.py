"""Field types: families, their options (``field_config``), aliases and typed defaults.

Pure Python, no ORM. Every other module (validation, snapshot, DDL, import/export) asks this one
what a type means.

Families and their ``field_config`` options:

=========  ===========================================================================
text       ``max_length`` (1..10485760, or absent/None = unbounded ``text``), ``choices``
           (list of allowed strings, compiled to a CHECK constraint)
number     ``kind``: smallint | integer | bigint | decimal | float; ``precision`` and
           ``scale`` for decimal; ``identity`` (bool) for smallint/integer/bigint
date       ``kind``: date | timestamp | timestamptz | time
boolean    (none)
json       (none; ``jsonb`` on PostgreSQL)
uuid       (none)
=========  ===========================================================================
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

FAMILIES = ("text", "number", "date", "boolean", "json", "uuid")
NUMBER_KINDS = ("smallint", "integer", "bigint", "decimal", "float")
DATE_KINDS = ("date", "timestamp", "timestamptz", "time")
MAX_VARCHAR = 10_485_760
INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}

# Seed 001's names and the usual SQL spellings, mapped to (family, base config).
ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "string": ("text", {}),
    "varchar": ("text", {}),
    "char": ("text", {}),
    "integer": ("number", {"kind": "integer"}),
    "int": ("number", {"kind": "integer"}),
    "smallint": ("number", {"kind": "smallint"}),
    "bigint": ("number", {"kind": "bigint"}),
    "float": ("number", {"kind": "float"}),
    "double": ("number", {"kind": "float"}),
    "decimal": ("number", {"kind": "decimal"}),
    "numeric": ("number", {"kind": "decimal"}),
    "timestamp": ("date", {"kind": "timestamp"}),
    "timestamptz": ("date", {"kind": "timestamptz"}),
    "datetime": ("date", {"kind": "timestamp"}),
    "time": ("date", {"kind": "time"}),
    "bool": ("boolean", {}),
    "jsonb": ("json", {}),
}

# Expressions a date default may use instead of a literal, per kind: each one PostgreSQL accepts as the
# column's default (proved by tests/test_types.py on PostgreSQL). ``current_time`` is a time with time zone, so
# it does not fit a date or a timestamp; ``current_date`` has no time of day for a time column.
DATE_DEFAULT_EXPRESSIONS: dict[str, tuple[str, ...]] = {
    "date": ("current_date", "now()", "current_timestamp"),
    "time": ("current_time", "localtime", "now()"),
    "timestamp": ("now()", "current_timestamp", "localtimestamp"),
    "timestamptz": ("now()", "current_timestamp", "localtimestamp"),
}

# Expressions a default may use instead of a literal, per family (for a date field: per kind, above).
DEFAULT_EXPRESSIONS: dict[str, tuple[str, ...]] = {
    "date": tuple(dict.fromkeys(e for kind in DATE_KINDS for e in DATE_DEFAULT_EXPRESSIONS[kind])),
    "uuid": ("gen_random_uuid()",),
}


@dataclass(frozen=True)
class FieldType:
    """A normalised type: family plus canonical options."""

    family: str
    config: dict[str, Any]

    @property
    def label(self) -> str:
        """Short human label, e.g. ``varchar(120)``, ``decimal(10,2)``, ``timestamptz``."""
        return type_label(self.family, self.config)


def _err(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def normalize_type(data_type: str, config: dict[str, Any] | None = None) -> FieldType:
    """Resolve aliases and validate/canonicalise the options of a type.

    Raises ``ValidationError`` keyed ``data_type`` or ``field_config`` with a message saying what to fix.
    """
    raw = (data_type or "").strip().lower()
    cfg = dict(config or {})
    if raw in ALIASES:
        family, base = ALIASES[raw]
        for key, value in base.items():
            cfg.setdefault(key, value)
    elif raw in FAMILIES:
        family = raw
    else:
        allowed = ", ".join(FAMILIES)
        aliases = ", ".join(sorted(ALIASES))
        raise _err(
            "data_type",
            f"Unknown type {data_type!r}. Use one of {allowed} (aliases accepted: {aliases}).",
        )
    return FieldType(family, _normalize_config(family, cfg))


def _int_option(cfg: dict[str, Any], key: str, lo: int, hi: int) -> int | None:
    value = cfg.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _err("field_config", f"{key} must be a whole number between {lo} and {hi}.")
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise _err("field_config", f"{key} must be a whole number between {lo} and {hi}, got {value!r}.") from exc
    if not lo <= number <= hi:
        raise _err("field_config", f"{key} must be between {lo} and {hi}, got {number}.")
    return number


def _normalize_config(family: str, cfg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if family == "text":
        max_length = _int_option(cfg, "max_length", 1, MAX_VARCHAR)
        if max_length is not None:
            out["max_length"] = max_length
        choices = cfg.get("choices")
        if choices:
            if isinstance(choices, str):
                choices = [c.strip() for c in choices.split(",")]
            if not isinstance(choices, list | tuple) or not all(isinstance(c, str) for c in choices):
                raise _err("field_config", "choices must be a list of strings.")
            cleaned = [c for c in (c.strip() for c in choices) if c]
            if len(set(cleaned)) != len(cleaned):
                raise _err("field_config", "choices must not repeat a value.")
            if max_length is not None and any(len(c) > max_length for c in cleaned):
                raise _err("field_config", f"every choice must fit max_length {max_length}.")
            if cleaned:
                out["choices"] = cleaned
    elif family == "number":
        kind = str(cfg.get("kind") or "integer").lower()
        kind = {"int": "integer", "numeric": "decimal", "double": "float", "real": "float"}.get(kind, kind)
        if kind not in NUMBER_KINDS:
            raise _err("field_config", f"number kind must be one of {', '.join(NUMBER_KINDS)}, got {kind!r}.")
        out["kind"] = kind
        if kind == "decimal":
            precision = _int_option(cfg, "precision", 1, 1000)
            scale = _int_option(cfg, "scale", 0, 1000)
            if precision is None and scale is not None:
                raise _err("field_config", "decimal scale needs a precision as well.")
            if precision is not None:
                scale = scale or 0
                if scale > precision:
                    raise _err(
                        "field_config",
                        f"decimal scale ({scale}) cannot exceed precision ({precision}).",
                    )
                out["precision"] = precision
                out["scale"] = scale
        if cfg.get("identity"):
            if kind not in INT_RANGES:
                raise _err("field_config", "identity (auto-increment) needs smallint, integer or bigint.")
            out["identity"] = True
    elif family == "date":
        kind = str(cfg.get("kind") or "timestamptz").lower()
        kind = {"datetime": "timestamp", "timestamp with time zone": "timestamptz"}.get(kind, kind)
        if kind not in DATE_KINDS:
            raise _err("field_config", f"date kind must be one of {', '.join(DATE_KINDS)}, got {kind!r}.")
        out["kind"] = kind
    return out


def type_label(family: str, config: dict[str, Any]) -> str:
    """The type as a person reads it: ``varchar(120)``, ``text``, ``decimal(10,2)``, ``bigint``…"""
    if family == "text":
        return f"varchar({config['max_length']})" if config.get("max_length") else "text"
    if family == "number":
        kind = config.get("kind", "integer")
        if kind == "decimal" and config.get("precision"):
            return f"decimal({config['precision']},{config.get('scale', 0)})"
        return kind
    if family == "date":
        return config.get("kind", "timestamptz")
    return family


def postgres_type(family: str, config: dict[str, Any]) -> str:
    """The PostgreSQL column type for a normalised type."""
    if family == "text":
        return f"varchar({config['max_length']})" if config.get("max_length") else "text"
    if family == "number":
        kind = config.get("kind", "integer")
        if kind == "decimal":
            if config.get("precision"):
                return f"numeric({config['precision']},{config.get('scale', 0)})"
            return "numeric"
        return {"float": "double precision"}.get(kind, kind)
    if family == "date":
        return {
            "timestamp": "timestamp without time zone",
            "timestamptz": "timestamp with time zone",
            "time": "time without time zone",
        }.get(config.get("kind", "timestamptz"), "date")
    return {"boolean": "boolean", "json": "jsonb", "uuid": "uuid"}[family]


_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}


def check_default(field_type: FieldType, default: str | None) -> str | None:
    """Validate a default against its type; return it canonicalised (``None`` for no default).

    A literal must parse as the type (``abc`` is not an integer); date and uuid fields may also use the
    expressions in ``DEFAULT_EXPRESSIONS``. Raises ``ValidationError`` keyed ``default_value``.
    """
    if default is None:
        return None
    text = str(default).strip()
    if text == "":
        return None
    family, cfg = field_type.family, field_type.config
    lowered = text.lower()
    label = field_type.label

    def bad(reason: str) -> ValidationError:
        return _err("default_value", f"Default {text!r} is not valid for a {label} field: {reason}.")

    if family == "date":
        allowed = DATE_DEFAULT_EXPRESSIONS[cfg.get("kind", "timestamptz")]
        if lowered in allowed:
            return lowered
        if lowered in DEFAULT_EXPRESSIONS["date"]:
            raise bad(f"{lowered} does not fit this kind; use {' or '.join(allowed)} (or a literal value)")
    elif lowered in DEFAULT_EXPRESSIONS.get(family, ()):
        return lowered

    if family == "text":
        if cfg.get("max_length") and len(text) > cfg["max_length"]:
            raise bad(f"it is {len(text)} characters long, the limit is {cfg['max_length']}")
        if cfg.get("choices") and text not in cfg["choices"]:
            raise bad(f"it must be one of {', '.join(cfg['choices'])}")
        return str(default)
    if family == "number":
        kind = cfg.get("kind", "integer")
        if kind in INT_RANGES:
            if not re.fullmatch(r"[+-]?\d+", text):
                raise bad("expected a whole number such as 0 or 42")
            value = int(text)
            lo, hi = INT_RANGES[kind]
            if not lo <= value <= hi:
                raise bad(f"{kind} holds {lo} to {hi}")
            return str(value)
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation as exc:
            raise bad("expected a number such as 3.14") from exc
        if not number.is_finite():
            raise bad("expected a finite number")
        if kind == "decimal" and cfg.get("precision"):
            precision, scale = cfg["precision"], cfg.get("scale", 0)
            quantized = number.quantize(decimal.Decimal(1).scaleb(-scale)) if scale else number.quantize(1)
            if quantized != number:
                raise bad(f"it has more than {scale} digits after the decimal point")
            digits = len(quantized.as_tuple().digits)
            int_digits = max(digits - scale, 0) if quantized else 0
            if int_digits > precision - scale:
                raise bad(f"decimal({precision},{scale}) holds at most {precision - scale} digits before the point")
        return text
    if family == "boolean":
        if lowered in _TRUE:
            return "true"
        if lowered in _FALSE:
            return "false"
        raise bad("expected true or false")
    if family == "date":
        kind = cfg.get("kind", "timestamptz")
        try:
            if kind == "date":
                return dt.date.fromisoformat(text).isoformat()
            if kind == "time":
                return dt.time.fromisoformat(text).isoformat()
            value = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            example = {"date": "2024-01-31", "time": "13:45:00"}.get(kind, "2024-01-31T13:45:00")
            expressions = " or ".join(DATE_DEFAULT_EXPRESSIONS[kind])
            raise bad(f"expected an ISO 8601 value such as {example}, or {expressions}") from exc
        if kind == "timestamp" and value.tzinfo is not None:
            raise bad("a timestamp without time zone cannot carry a UTC offset")
        return value.isoformat()
    if family == "json":
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise bad(f"it is not valid JSON ({exc.msg} at character {exc.pos})") from exc
        return json.dumps(parsed, sort_keys=True, separators=(",", ":"))
    if family == "uuid":
        try:
            return str(uuid.UUID(text))
        except ValueError as exc:
            raise bad("expected a UUID such as 123e4567-e89b-12d3-a456-426614174000 or gen_random_uuid()") from exc
    raise bad("unknown type")  # pragma: no cover - normalize_type already rejected it
