"""What a DDL statement does to a live PostgreSQL table: lock level, rewrite, scan and risk class.

Risk classes: ``safe`` (brief lock, no scan), ``blocking`` (holds a lock that blocks reads or writes while it
scans or rewrites the table), ``destructive`` (data becomes unreachable to the application: dropped tables
and columns, kept aside until purged).
"""

from __future__ import annotations

import re

SAFE, BLOCKING, DESTRUCTIVE = "safe", "blocking", "destructive"
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
NONE = "none"

# kind -> (lock, rewrites, scans, risk, note)
PROFILES: dict[str, tuple[str, bool, bool, str, str]] = {
    "create_schema": (NONE, False, False, SAFE, ""),
    "create_table": (NONE, False, False, SAFE, ""),
    "drop_table": (ACCESS_EXCLUSIVE, False, False, DESTRUCTIVE, "Moved aside with its rows until purged."),
    "drop_column": (ACCESS_EXCLUSIVE, False, False, DESTRUCTIVE, "Renamed aside with its values until purged."),
    "rename": (ACCESS_EXCLUSIVE, False, False, SAFE, "Clients using the old name break."),
    "rename_constraint": (ACCESS_EXCLUSIVE, False, False, SAFE, ""),
    "add_column": (ACCESS_EXCLUSIVE, False, False, SAFE, ""),
    "add_column_rewrite": (ACCESS_EXCLUSIVE, True, True, BLOCKING, "A volatile default fills every row."),
    "alter_type": (ACCESS_EXCLUSIVE, True, True, BLOCKING, "Rewrites the table; fails if a value does not fit."),
    "alter_type_cheap": (ACCESS_EXCLUSIVE, False, False, SAFE, "Widening: no rewrite."),
    "set_not_null": (ACCESS_EXCLUSIVE, False, True, BLOCKING, "Scans the table; fails on existing NULLs."),
    "drop_not_null": (ACCESS_EXCLUSIVE, False, False, SAFE, ""),
    "set_default": (ACCESS_EXCLUSIVE, False, False, SAFE, ""),
    "drop_default": (ACCESS_EXCLUSIVE, False, False, SAFE, ""),
    "add_unique": (ACCESS_EXCLUSIVE, False, True, BLOCKING, "Builds an index; fails on duplicates."),
    "add_check": (ACCESS_EXCLUSIVE, False, True, BLOCKING, "Scans the table; fails on violating rows."),
    "add_fk": (SHARE_ROW_EXCLUSIVE, False, True, BLOCKING, "Scans for rows without a match; locks both tables."),
    "create_index": (SHARE, False, True, BLOCKING, "Blocks writes while the index builds."),
    "drop_index": (ACCESS_EXCLUSIVE, False, False, SAFE, ""),
    "drop_constraint": (ACCESS_EXCLUSIVE, False, False, SAFE, ""),
    "comment": (SHARE_UPDATE_EXCLUSIVE, False, False, SAFE, ""),
    "scan_only": (NONE, False, True, SAFE, ""),
}


def profile(kind: str, *, new_table: bool = False) -> dict:
    lock, rewrites, scans, risk, note = PROFILES[kind]
    if new_table:  # nobody else can see a table created in the same transaction
        return {"lock": lock, "rewrites": False, "scans": False, "risk": SAFE, "note": ""}
    return {"lock": lock, "rewrites": rewrites, "scans": scans, "risk": risk, "note": note}


_VARCHAR = re.compile(r"^varchar\((\d+)\)$")
_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)$")


def binary_coercible(old: str, new: str) -> bool:
    """Type changes PostgreSQL makes without rewriting or scanning the table."""
    if new == "text" and (old == "text" or _VARCHAR.match(old)):
        return True
    a, b = _VARCHAR.match(old), _VARCHAR.match(new)
    if a and b:
        return int(b.group(1)) >= int(a.group(1))
    a, b = _NUMERIC.match(old), _NUMERIC.match(new)
    if a and b:
        return a.group(2) == b.group(2) and int(b.group(1)) >= int(a.group(1))
    return new == "numeric" and (old == "numeric" or _NUMERIC.match(old) is not None)


def worst(risks: list[str]) -> str:
    for level in (DESTRUCTIVE, BLOCKING):
        if level in risks:
            return level
    return SAFE
