"""Types: the four seed families plus json and uuid, seed 001's aliases, and type-checked defaults."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from designer.schema.types import DATE_DEFAULT_EXPRESSIONS, check_default, normalize_type, postgres_type


@pytest.mark.parametrize(
    ("alias", "family", "config"),
    [
        ("string", "text", {}),
        ("integer", "number", {"kind": "integer"}),
        ("float", "number", {"kind": "float"}),
        ("boolean", "boolean", {}),
        ("json", "json", {}),
        ("timestamp", "date", {"kind": "timestamp"}),
        ("uuid", "uuid", {}),
    ],
)
def test_seed_001_type_names_are_accepted_as_aliases(alias, family, config):
    ftype = normalize_type(alias)
    assert (ftype.family, ftype.config) == (family, config)


def test_each_family_carries_its_options():
    assert normalize_type("text", {"max_length": "120"}).label == "varchar(120)"
    assert normalize_type("text").label == "text"
    assert normalize_type("number", {"kind": "decimal", "precision": 10, "scale": 2}).label == "decimal(10,2)"
    assert normalize_type("number", {"kind": "smallint"}).label == "smallint"
    assert normalize_type("number", {"kind": "bigint", "identity": True}).config == {"kind": "bigint", "identity": True}
    assert normalize_type("date", {"kind": "time"}).label == "time"
    assert normalize_type("date").label == "timestamptz"
    assert postgres_type("number", {"kind": "float"}) == "double precision"
    assert postgres_type("json", {}) == "jsonb"


@pytest.mark.parametrize(
    ("data_type", "config", "message"),
    [
        ("money", {}, "Unknown type 'money'"),
        ("number", {"kind": "huge"}, "number kind must be one of"),
        ("number", {"kind": "decimal", "precision": 4, "scale": 6}, "scale (6) cannot exceed precision (4)"),
        ("text", {"max_length": "lots"}, "max_length must be a whole number"),
        ("text", {"max_length": 0}, "max_length must be between 1"),
        ("number", {"kind": "float", "identity": True}, "identity (auto-increment) needs smallint, integer or bigint"),
        ("date", {"kind": "yesterday"}, "date kind must be one of"),
    ],
)
def test_bad_type_options_are_rejected_with_the_reason(data_type, config, message):
    with pytest.raises(ValidationError) as info:
        normalize_type(data_type, config)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("data_type", "config", "default", "reason"),
    [
        ("integer", {}, "abc", "expected a whole number"),
        ("smallint", {}, "70000", "smallint holds -32768 to 32767"),
        ("number", {"kind": "decimal", "precision": 5, "scale": 2}, "1.234", "more than 2 digits after the decimal"),
        ("number", {"kind": "decimal", "precision": 5, "scale": 2}, "12345", "at most 3 digits before the point"),
        ("float", {}, "pi", "expected a number"),
        ("boolean", {}, "maybe", "expected true or false"),
        ("date", {"kind": "date"}, "31/01/2024", "ISO 8601"),
        ("timestamp", {}, "2024-01-01T10:00:00+02:00", "cannot carry a UTC offset"),
        ("json", {}, "{oops", "not valid JSON"),
        ("uuid", {}, "123", "expected a UUID"),
        ("text", {"max_length": 3}, "toolong", "the limit is 3"),
        ("text", {"choices": ["a", "b"]}, "c", "must be one of a, b"),
    ],
)
def test_defaults_are_type_checked(data_type, config, default, reason):
    with pytest.raises(ValidationError) as info:
        check_default(normalize_type(data_type, config), default)
    message = info.value.message_dict["default_value"][0]
    assert reason in message
    assert repr(default) in message


@pytest.mark.parametrize(
    ("data_type", "config", "default", "stored"),
    [
        ("integer", {}, " 42 ", "42"),
        ("boolean", {}, "Yes", "true"),
        ("number", {"kind": "decimal", "precision": 10, "scale": 2}, "0.50", "0.50"),
        ("date", {"kind": "date"}, "2024-01-31", "2024-01-31"),
        ("timestamptz", {}, "NOW()", "now()"),
        ("uuid", {}, "gen_random_uuid()", "gen_random_uuid()"),
        ("json", {}, '{"b": 1, "a": [1, 2]}', '{"a":[1,2],"b":1}'),
        ("text", {}, "", None),
    ],
)
def test_valid_defaults_are_stored_canonically(data_type, config, default, stored):
    assert check_default(normalize_type(data_type, config), default) == stored


# --- default expressions per date kind -------------------------------------------------------------------------
ACCEPTED_DATE_DEFAULTS = [
    (kind, expression) for kind, expressions in DATE_DEFAULT_EXPRESSIONS.items() for expression in expressions
]


@pytest.mark.parametrize(
    ("kind", "default", "allowed"),
    [
        ("date", "current_time", "current_date or now() or current_timestamp"),
        ("date", "localtime", "current_date or now() or current_timestamp"),
        ("timestamp", "current_time", "now() or current_timestamp or localtimestamp"),
        ("timestamptz", "current_time", "now() or current_timestamp or localtimestamp"),
        ("timestamptz", "current_date", "now() or current_timestamp or localtimestamp"),
        ("time", "current_date", "current_time or localtime or now()"),
        ("time", "localtimestamp", "current_time or localtime or now()"),
        ("time", "current_timestamp", "current_time or localtime or now()"),
    ],
)
def test_a_date_default_expression_must_fit_the_kind(kind, default, allowed):
    with pytest.raises(ValidationError) as info:
        check_default(normalize_type("date", {"kind": kind}), default)
    message = info.value.message_dict["default_value"][0]
    assert f"{default} does not fit this kind; use {allowed}" in message
    assert f"for a {kind} field" in message


@pytest.mark.parametrize(("kind", "default"), ACCEPTED_DATE_DEFAULTS)
def test_every_allowed_date_default_expression_is_accepted_as_written(kind, default):
    assert check_default(normalize_type("date", {"kind": kind}), default.upper()) == default


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_creates_a_column_for_every_accepted_date_default(db):
    """Every (kind, expression) the designer accepts is a default PostgreSQL takes, as the DDL compiler writes it;
    reading it back (as import and drift do) gives the same expression."""
    from django.db import connection

    from designer.ddl.postgresql import column_type, default_sql
    from designer.importers.pgtypes import ColumnType, parse_expression, read_default

    with connection.cursor() as cursor:
        for i, (kind, expression) in enumerate(ACCEPTED_DATE_DEFAULTS):
            field = {"data_type": "date", "config": {"kind": kind}, "default": expression}
            table = f"tw_default_{i}"
            cursor.execute(f"CREATE TEMP TABLE {table} (c {column_type(field)} DEFAULT {default_sql(field)})")
            cursor.execute(f"INSERT INTO {table} DEFAULT VALUES RETURNING c")
            assert cursor.fetchone()[0] is not None, (kind, expression)
            cursor.execute(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = %s::regclass", [table]
            )
            stored = cursor.fetchone()[0]
            value, _, dropped = read_default(parse_expression(stored), ColumnType("date", {"kind": kind}))
            assert (value, dropped) == (expression, None), (kind, expression, stored)
