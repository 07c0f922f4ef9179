"""Helpers for the bad-input fuzz suites: garbage values, posted forms built from them, and the checks every
answer must pass (never a 5xx; a refusal explains itself and changes nothing)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.html import escape
from hypothesis import strategies as st

HX = {"HTTP_HX_REQUEST": "true"}
OTHER_UUID = "00000000-0000-4000-8000-00000000dead"

EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "ünïcødé ✓",
    "表格",
    "'; DROP TABLE customers; --",
    '" OR 1=1 --',
    "-1",
    "0",
    "-2147483649",
    "2147483648",
    "99999999999999999999999",
    "1e400",
    "-1e400",
    "1e10",
    "inf",
    "nan",
    "1.5",
    "abc",
    "0x10",
    OTHER_UUID,
    "not-a-uuid",
    '{"max_length": 5}',
    "[1, 2]",
    "null",
    "on",
    "true",
    "<script>alert(1)</script>",
    "%s %(x)s {0}",
    "\r\n\t",
    "\u202e",
    "a" * 64,
    "customers.id",
]
# no lone surrogates: they cannot be sent as UTF-8 at all (the browser would not either)
garbage = st.one_of(
    st.sampled_from(EDGE_TEXT),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
)


def value(sensible: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """A posted value: sensible or garbage, sometimes sent twice (duplicated field), sometimes missing (None)."""
    one = garbage if sensible is None else st.one_of(sensible, sensible, garbage)
    return st.one_of(st.none(), one, one, one, st.lists(one, min_size=2, max_size=3))


def form(spec: dict[str, st.SearchStrategy | None]) -> st.SearchStrategy[dict]:
    """A posted form with the keys of ``spec``: each missing, single, duplicated, sensible or garbage; or a
    sensible form with just one value garbage (so that one message has to come through on its own)."""
    wild = st.fixed_dictionaries({k: value(v) for k, v in spec.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )
    if not spec:
        return wild
    sensible = st.fixed_dictionaries({k: v for k, v in spec.items() if v is not None})
    one_bad = st.tuples(sensible, st.sampled_from(sorted(spec)), garbage).map(lambda t: {**t[0], t[1]: t[2]})
    return st.one_of(wild, one_bad)


class _Undo(Exception):
    def __init__(self, response):
        self.response = response


def undone(request: Callable[[], object], after: Callable[[object], None] | None = None):
    """Run ``request()`` in a savepoint rolled back afterwards: every example starts from the same design, and
    an error inside a view leaves the test's transaction usable (so hypothesis can shrink it).
    ``after(response)`` runs before the rollback (to look at what the request changed)."""
    try:
        with transaction.atomic():
            response = request()
            if after is not None:
                after(response)
            raise _Undo(response)
    except _Undo as undo:
        return undo.response


ALERT = re.compile(r'role="alert"[^>]*>(.*?)</(?:ul|p|div)>', re.S)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def unshown_messages(response, body: str) -> list[tuple[str, str, str]]:
    """Messages the view put in its template's ``*errors`` dicts that the page does not show (a message
    keyed by a name the template has no place for is lost)."""
    context = response.context
    if context is None:
        return []
    hidden = []
    for one in context if isinstance(context, list) else [context]:  # a ContextList, or one Context
        for name, value in one.flatten().items():
            if not str(name).endswith("errors") or not isinstance(value, dict):
                continue
            for key, messages in value.items():
                hidden += [(name, key, m) for m in messages if str(escape(m)) not in body]
    return sorted(set(hidden))


def assert_explained(response, what: str = "", *, form: bool = True) -> None:
    """Never a server error; a refusal carries a message (for 422: beside an input of a re-rendered form;
    ``form=False`` for endpoints scripts call, e.g. a drop on the canvas, whose 422 is the message itself)."""
    status = response.status_code
    assert status < 500, f"{what}: {status}"
    if status < 400:
        return
    body = response.content.decode("utf-8", "replace")
    is_json = response.get("Content-Type", "").startswith("application/json")
    if is_json:
        data = json.loads(body)
        messages = data.get("errors") or data.get("error")
        assert messages, f"{what}: {status} JSON without a message: {body[:300]}"
        if status == 422:
            assert isinstance(messages, dict) and all(m and all(s.strip() for s in m) for m in messages.values()), (
                f"{what}: 422 JSON whose errors name no input: {body[:300]}"
            )
        return
    assert _text(body) or response.get("HX-Trigger"), f"{what}: {status} with an empty answer"
    if status == 422 and form:
        alerts = [_text(m) for m in ALERT.findall(body)]
        assert any(alerts), f"{what}: 422 without a visible message: {_text(body)[:300]}"
        hidden = unshown_messages(response, body)
        assert not hidden, f"{what}: 422 whose messages are not shown: {hidden!r:.500}"
        has_form = re.search(r"<(form|input|select|textarea|button)\b", body)
        assert has_form, f"{what}: 422 without the form: {_text(body)[:300]}"


@dataclass
class Endpoint:
    """One URL of designer/urls.py to fuzz: ``path(scene, draw)`` builds the URL (ids drawn: own, another
    project's, unknown), ``spec(scene)`` the posted keys with their sensible values."""

    name: str
    path: Callable
    spec: Callable = lambda scene: {}
    method: str = "post"
    table: Callable | None = None  # the table whose lock the write needs (lock token / revision are added)
    form: bool = True  # False: called by a script (no form to re-render), see assert_explained


def caller(client, method: str, data, hx: bool) -> Callable:
    """``client.get``/``client.post`` as the page would call it; a POST is sometimes sent as a JSON body instead
    of a form (a script's mistake: the view then sees no form fields at all)."""
    extra = HX if hx else {}
    if method == "post" and data.draw(st.integers(0, 9), label="as JSON") == 0:
        return lambda path, body: client.post(path, body, content_type="application/json", **extra)
    return lambda path, body: getattr(client, method)(path, body, **extra)


def one_of_ids(*ids) -> st.SearchStrategy[str]:
    """Mostly the first (own) id, sometimes the others (another project's object, an unknown uuid)."""
    first, *rest = [str(i) for i in ids]
    return st.sampled_from([first, first, first, *rest, str(uuid.UUID(OTHER_UUID))])


def send_refusable(client, project, method: str, path: str, body: dict, data, hx: bool):
    """Send ``body`` to ``path`` in a savepoint that is undone; a refused request (4xx) must leave the design's
    schema hash as it was. Returns the response."""
    from hypothesis import note

    from designer.schema.snapshot import schema_hash
    from designer.services.snapshots import project_snapshot

    note(f"{method.upper()} {path} {body!r:.2000}")
    before = schema_hash(project_snapshot(project))

    def unchanged_if_refused(response):
        if response.status_code >= 400:
            assert schema_hash(project_snapshot(project)) == before, "a refused request changed the design"

    call = caller(client, method, data, hx)
    return undone(lambda: call(path, body), unchanged_if_refused)
