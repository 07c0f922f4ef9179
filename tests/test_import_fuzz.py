"""Bad input never crashes an importer: any text either reads or raises a ValidationError with a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.importers.dbml import read_dbml
from designer.importers.sql import read_sql

DATA = Path(__file__).parent / "data"
SQL_WORDS = [
    "CREATE", "TABLE", "t", "u", "(", ")", ",", ";", "id", "int", "text", "PRIMARY", "KEY", "REFERENCES", "UNIQUE",
    "NOT", "NULL", "DEFAULT", "'x'", "0", "CHECK", "id > 0", "ALTER", "ADD", "CONSTRAINT", "c", "FOREIGN", "INDEX",
    "ON", "TYPE", "AS", "ENUM", "('a')", "COMMENT", "IS", "varchar(3)", "serial", "\n",
]  # fmt: skip
DBML_WORDS = [
    "Table", "t", "u", "{", "}", "[", "]", "pk", "not null", "unique", "ref:", ">", "<", "-", "t.id", "u.id", "id",
    "int", "Enum", "e", "Ref", ":", "indexes", "(id)", "note:", "'n'", "default:", "`now()`", "1", "\n", ",",
]  # fmt: skip


def _text(words):
    return st.lists(st.sampled_from(words), max_size=40).map(" ".join)


def _mutations(path: Path):
    text = path.read_text()
    return st.tuples(st.integers(0, len(text)), st.integers(0, 40), st.text(max_size=5)).map(
        lambda cut: text[: cut[0]] + cut[2] + text[cut[0] + cut[1] :]
    )


def _reads_or_explains(reader, text: str) -> None:
    try:
        reader(text)
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)


@pytest.mark.parametrize("reader", [read_sql, read_dbml], ids=["sql", "dbml"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_input_reads_or_gets_a_message(reader, data):
    words = SQL_WORDS if reader is read_sql else DBML_WORDS
    _reads_or_explains(reader, data.draw(st.one_of(_text(words), st.text(max_size=200))))


@settings(max_examples=150, deadline=None)
@given(text=_mutations(DATA / "every_construct.dbml"))
def test_damaged_dbml_reads_or_gets_a_message(text):
    _reads_or_explains(read_dbml, text)


@settings(max_examples=150, deadline=None)
@given(text=_mutations(DATA / "unsupported.sql"))
def test_damaged_sql_reads_or_gets_a_message(text):
    _reads_or_explains(read_sql, text)
