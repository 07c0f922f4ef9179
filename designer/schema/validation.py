"""Design rules as pure functions: identifiers, lifecycle transitions, required-FK cycles.

No ORM, no I/O. Each rule raises ``django.core.exceptions.ValidationError`` keyed by the offending
form field, with a message that says which rule failed and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError

IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_IDENTIFIER_LENGTH = 63  # PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated.

# pg_get_keywords() categories R (reserved) and T (reserved, can be function or type), PostgreSQL 15, plus
# system_user (reserved from PostgreSQL 16), so a design deploys to any supported server.
RESERVED_WORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric both case cast check collate column
    constraint create current_catalog current_date current_role current_time current_timestamp
    current_user default deferrable desc distinct do else end except false fetch for foreign from
    grant group having in initially intersect into lateral leading limit localtime localtimestamp
    not null offset on only or order placing primary references returning select session_user some
    symmetric system_user table then to trailing true union unique user using variadic when where window with
    authorization binary collation concurrently cross current_schema freeze full ilike inner is
    isnull join left like natural notnull outer overlaps right similar tablesample verbose
    """.split()  # noqa: SIM905 - a word list reads best as text
)


def identifier_problem(name: str, what: str = "Name") -> str | None:
    """Why ``name`` is not a valid identifier, or ``None`` when it is."""
    if not name:
        return f"{what} is required."
    if len(name) > MAX_IDENTIFIER_LENGTH:
        return (
            f"{what} {name[:20]!r}… is {len(name)} characters long; PostgreSQL identifiers are at most "
            f"{MAX_IDENTIFIER_LENGTH} characters. Shorten it."
        )
    if not IDENTIFIER_RE.match(name):
        suggestion = suggest_identifier(name)
        hint = f" Try {suggestion!r}." if suggestion and IDENTIFIER_RE.match(suggestion) else ""
        return (
            f"{what} {name!r} must start with a lowercase letter and contain only lowercase letters, "
            f"digits and underscores (pattern ^[a-z][a-z0-9_]*$).{hint}"
        )
    if name in RESERVED_WORDS:
        return f"{what} {name!r} is a PostgreSQL reserved word. Pick another name, e.g. {name + '_name'!r}."
    return None


def validate_identifier(name: str, field: str, what: str = "Name") -> None:
    problem = identifier_problem(name, what)
    if problem:
        raise ValidationError({field: [problem]})


def suggest_identifier(text: str) -> str:
    """A snake_case identifier derived from free text (``"Order Items"`` -> ``order_items``)."""
    value = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text.strip())
    value = re.sub(r"[^a-zA-Z0-9]+", "_", value).strip("_").lower()
    if value and not value[0].isalpha():
        value = "t_" + value
    value = value[:MAX_IDENTIFIER_LENGTH]
    if value in RESERVED_WORDS:
        value = value + "_"
    return value


# --- lifecycle (seed 002: DataTable lifecycle) ---------------------------------------------------
DRAFT, ACTIVE, DEPRECATED, DELETED = "draft", "active", "deprecated", "deleted"
STATUSES = (DRAFT, ACTIVE, DEPRECATED, DELETED)

# (from, to) -> how. "deploy" transitions are only made by a deploy, never by hand.
TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, ACTIVE): "deploy",
    (ACTIVE, DEPRECATED): "manual",
    (DEPRECATED, DELETED): "manual",
    (ACTIVE, DRAFT): "manual",
    (DEPRECATED, DRAFT): "manual",
    (DELETED, DRAFT): "manual",
}


def refuse_nul(value: str | None, key: str, label: str) -> None:
    """PostgreSQL text cannot hold NUL: refuse it (before it reaches a query) with a message beside ``key``."""
    if value and "\x00" in value:
        raise ValidationError({key: [f"{label} cannot contain the NUL character (\\x00). Remove it and try again."]})


CANVAS_LIMIT = 1_000_000  # canvas coordinates (and offsets) stay within ± this


def canvas_numbers(a: object, b: object, *, what: str = "Position", names: str = "x, y") -> tuple[int, int]:
    """Two whole numbers on the canvas (a position, or an offset), or a ``position`` message saying why not."""
    try:
        pair = int(a), int(b)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise ValidationError({"position": [f"{what} must be two whole numbers ({names})."]}) from exc
    if any(abs(n) > CANVAS_LIMIT for n in pair):
        off = f"{pair[0]}, {pair[1]} is off the canvas"
        raise ValidationError({"position": [f"{what} must stay within ±{CANVAS_LIMIT:,} ({names}); {off}."]})
    return pair


def check_transition(current: str, target: str, *, by_deploy: bool = False) -> None:
    """Refuse any lifecycle move the seed does not draw, with the allowed moves in the message."""
    if current == target:
        raise ValidationError({"status": [f"The table is already {target.title()}."]})
    how = TRANSITIONS.get((current, target))
    allowed = [
        t.title() + (" (by deploying the project)" if h == "deploy" and not by_deploy else "")
        for (f, t), h in TRANSITIONS.items()
        if f == current
    ]
    allowed_text = ", ".join(allowed) if allowed else "none"
    if target not in STATUSES:  # no status, or not one at all (a hand-made request): name the choices
        raise ValidationError(
            {"status": [f"Pick the status to move to. From {current.title()} a table can move to: {allowed_text}."]}
        )
    if how is None:
        raise ValidationError(
            {
                "status": [
                    f"A {current.title()} table cannot become {target.title()}. "
                    f"From {current.title()} it can move to: {allowed_text}."
                ]
            }
        )
    if how == "deploy" and not by_deploy:
        raise ValidationError(
            {"status": [f"A {current.title()} table becomes {target.title()} only by deploying the project."]}
        )


# --- required foreign-key cycles --------------------------------------------------------------
def find_required_cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """Find a cycle in the graph of required (NOT NULL) foreign keys.

    ``edges`` are (referencing table, referenced table) pairs, using table names. A self-reference is not
    a cycle here: a row may reference itself. Returns the tables of one cycle in order (first repeated at
    the end), or ``None``.
    """
    graph: dict[str, set[str]] = {}
    for src, dst in edges:
        if src != dst:
            graph.setdefault(src, set()).add(dst)
            graph.setdefault(dst, set())
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    # Iterative depth-first search (a chain of thousands of foreign keys must not hit Python's recursion limit).
    for root in sorted(graph):
        if colour[root] != WHITE:
            continue
        path: list[str] = [root]
        pending: list[list[str]] = [sorted(graph[root], reverse=True)]
        colour[root] = GREY
        while path:
            if not pending[-1]:
                colour[path.pop()] = BLACK
                pending.pop()
                continue
            nxt = pending[-1].pop()
            if colour[nxt] == GREY:
                return path[path.index(nxt) :] + [nxt]
            if colour[nxt] == WHITE:
                colour[nxt] = GREY
                path.append(nxt)
                pending.append(sorted(graph[nxt], reverse=True))
    return None


def cycle_message(cycle: list[str]) -> str:
    path = " → ".join(cycle)
    return (
        f"These required foreign keys form a cycle: {path}. No row could ever be inserted into these tables. "
        "Make one of the foreign-key fields optional (not Required)."
    )
