"""Who may do what over the API: every endpoint × the keys of an owner, an editor, a viewer, an outsider, a
read-only key, a key scoped to another project and a revoked key. A key never does more than its user may."""

from __future__ import annotations

import pytest

from designer.api import keys
from designer.services import projects

pytestmark = pytest.mark.django_db

READ, WRITE = "read", "write"
# (method, path below /v1/public/<slug>, body, success status, kind)
ENDPOINTS = [
    ("get", "/tables", None, 200, READ),
    ("post", "/tables", {"table_name": "events", "schema": {"fields": {"at": {"type": "timestamp"}}}}, 201, WRITE),
    ("get", "/tables/orders", None, 200, READ),
    ("put", "/tables/orders", {"description": "Orders placed"}, 200, WRITE),
    ("delete", "/tables/orders", None, 200, WRITE),
    ("get", "/tables/customers/columns", None, 200, READ),
    ("post", "/tables/customers/columns", {"name": "nickname", "type": "string"}, 201, WRITE),
    ("patch", "/tables/customers/columns/email", {"max_length": 250}, 200, WRITE),
    ("delete", "/tables/orders/columns/total", None, 200, WRITE),
    ("get", "/tables/orders/indexes", None, 200, READ),
    ("post", "/tables/orders/indexes", {"columns": ["total"]}, 201, WRITE),
    ("get", "/tables/orders/constraints", None, 200, READ),
    ("post", "/tables/orders/constraints", {"kind": "check", "expression": "total >= 0"}, 201, WRITE),
    ("get", "/tables/orders/primary_key", None, 200, READ),
    ("put", "/tables/orders/primary_key", {"columns": ["id"]}, 200, WRITE),
    ("get", "/relationships", None, 200, READ),
    (
        "post",
        "/relationships",
        {"table": "orders", "column": "id", "references": "customers.id", "type": "many_to_many"},
        201,
        WRITE,
    ),
    ("patch", "/relationships/orders_customer_id_fkey", {"on_delete": "cascade"}, 200, WRITE),
    ("delete", "/relationships/orders_customer_id_fkey", None, 200, WRITE),
    ("get", "/migration", None, 200, READ),
    ("get", "/tables/orders/migration", None, 200, READ),
]
HOLDERS = ["owner", "editor", "viewer", "outsider", "read_only", "other_project", "revoked"]


def expected(holder: str, success: int, kind: str) -> tuple[int, str | None]:
    if holder == "revoked":
        return 401, "INVALID_API_KEY"
    if holder in ("outsider", "other_project"):
        return 403, "UNAUTHORIZED"
    if kind == WRITE and holder in ("viewer", "read_only"):
        return 403, "UNAUTHORIZED"
    return success, None


@pytest.fixture
def key_of(shop, owner, editor, viewer, outsider, settings, tmp_path):
    settings.DEPLOY_DATABASE_URL = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"  # the migration plan needs a target
    elsewhere = projects.create_project(actor=owner, name="Elsewhere")

    def make(holder: str) -> str:
        user = {"owner": owner, "editor": editor, "viewer": viewer, "outsider": outsider}.get(holder, owner)
        key, raw = keys.create_key(
            user,
            name=holder,
            read_only=holder == "read_only",
            projects=[elsewhere] if holder == "other_project" else (),
        )
        if holder == "revoked":
            keys.revoke(key, actor=owner)
        return raw

    return make


@pytest.mark.parametrize("holder", HOLDERS)
@pytest.mark.parametrize(
    ("method", "path", "body", "success", "kind"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS]
)
def test_every_key_gets_exactly_what_its_user_may(api, shop, key_of, holder, method, path, body, success, kind):
    answer = api.call(method, f"/v1/public/{shop['project'].slug}{path}", body, key=key_of(holder))
    status, code = expected(holder, success, kind)
    assert answer.status == status, answer.body
    if code:
        assert answer.body["error_code"] == code
        assert answer.body["detail"]
