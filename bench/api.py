"""Public API (``/v1/``) through a real daphne server on PostgreSQL, against bare Django views in the same process.

1. ``GET /v1/public/{slug}/tables?limit=1000`` (every table, seed 001's bodies) of generated projects of 30 and
   300 tables (8 fields each, 4 foreign keys per 3 tables, ``designer/sample.py``), authenticated with
   ``X-API-Key``. Baseline: a bare function view (below) that checks the same key (one query), the project and the
   key user's membership (one query) and returns the same rows as JSON — every table with its fields (type,
   options, required, default, unique, key), indexes and foreign keys — read with one plain ORM query each.
2. One ``POST /v1/public/{slug}/tables`` (seed 001's body: one required string field). Baseline: a bare view
   that checks the key and the project the same way and inserts the same rows (the table, its field) in one
   transaction — no validation, lock, revision, layout, broadcast or rate-limit count (the table's history row
   comes with its ``create()``, django-simple-history's signal; the field's does not, ``bulk_create``).

The bare views are served by the same daphne process, through the same middleware: the server runs
``bench.api:application`` (this module), which is ``config.asgi``'s application with this module's URLconf
(the bare views, then ``config.urls``). Requests alternate bare, API, bare, API… on one keep-alive connection,
so both see the same load. Prints the median round trip of each, the ratio, and the SQL queries of one request
of each (counted in this process through Django's test client, same URLconf and database), which for the list
must be the same for 30 and 300 tables.

    DEBUG=0 SECRET_KEY=bench .venv/bin/python bench/api.py [--repeat 20]

DATABASE_URL (PostgreSQL; default ``postgres://postgres@127.0.0.1:5432/twbench_api``) names the server: the bench
creates a throwaway test database there (``twbench_api_test`` with the default, else Django's ``test_<name>``)
and drops it at the end. REDIS_URL is optional (then the server's rate-limit counters and channel layer live in
Redis, under a prefix of this run, deleted at the end).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/twbench_api"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")
DEFAULTED_DATABASE = not os.environ.get("DATABASE_URL")
if DEFAULTED_DATABASE:
    os.environ["DATABASE_URL"] = DEFAULT_DATABASE_URL
if __name__ == "__main__":  # (the server imports this module too, and inherits the bench's environment)
    # this run's namespace in Redis (rate-limit counters, channel layer), shared with its server; deleted at the end
    os.environ["CHANNELS_PREFIX"] = f"tw-bench-api-{uuid.uuid4().hex[:6]}"

import django  # noqa: E402

django.setup()

from django.contrib.auth.decorators import login_not_required  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

SIZES = (30, 300)
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")


# --- the baseline: bare views --------------------------------------------------------------------------------
def _key_and_project(request: HttpRequest, slug: str):
    """The same key check as the API (hash, not revoked, active user: one query) and the project the key's user
    is a member of (one query); None when either is missing."""
    from designer.api.keys import hash_key
    from designer.models import ApiKey, Project

    raw = request.headers.get("X-API-Key") or ""
    key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=hash_key(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is None:
        return None, None
    return key, Project.objects.filter(slug=slug, memberships__user=key.user).first()


def _type(data_type: str, config: dict) -> dict:
    options = {k: v for k, v in config.items() if k != "kind"}
    return {"type": config.get("kind") or ("string" if data_type == "text" else data_type), **options}


@csrf_exempt
@login_not_required
def bare_tables(request: HttpRequest, slug: str) -> JsonResponse:
    """GET: the project's tables with their fields, indexes and foreign keys; POST: insert one table and its
    fields."""
    from designer.models import DataField, DataTable, IndexColumn, TableRelationship

    key, project = _key_and_project(request, slug)
    if project is None:
        return JsonResponse({"detail": "not found"}, status=404)
    if request.method == "POST":
        body = json.loads(request.body)
        with transaction.atomic():
            table = DataTable.objects.create(
                project=project,
                name=body["table_name"],
                table_name=body["table_name"],
                description=body.get("description", ""),
                created_by=key.user,
            )
            DataField.objects.bulk_create(
                DataField(
                    table=table,
                    name=name,
                    field_name=name,
                    data_type="text" if spec["type"] == "string" else spec["type"],
                    is_required=spec.get("required", False),
                    sort_order=n,
                )
                for n, (name, spec) in enumerate(body["schema"]["fields"].items())
            )
        out = {"id": f"tbl_{table.uid.hex}", "table_name": table.table_name, "description": table.description,
               "schema": body["schema"], "project_id": slug, "row_count": 0, "created_at": table.created_at,
               "updated_at": None}  # fmt: skip
        return JsonResponse(out, status=201)

    tables = list(
        DataTable.objects.filter(project=project)
        .exclude(status="deleted")
        .order_by("table_name")
        .values_list("id", "uid", "table_name", "description", "created_at", "updated_at")
    )
    fields: dict = {}
    keys: dict = {}
    for table_id, name, data_type, config, required, unique, default, pk in (
        DataField.objects.filter(table__project=project)
        .order_by("sort_order", "field_name")
        .values_list(
            "table_id", "field_name", "data_type", "field_config", "is_required", "is_unique", "default_value",
            "pk_position",
        )
    ):  # fmt: skip
        spec = {**_type(data_type, config or {}), "required": required}
        if default is not None:
            spec["default"] = default
        if unique:
            spec["unique"] = True
        if pk is not None:
            spec["primary_key"] = True
            keys.setdefault(table_id, []).append((pk, name))
        fields.setdefault(table_id, {})[name] = spec
    indexes: dict = {}
    for table_id, name, unique, column in (
        IndexColumn.objects.filter(index__table__project=project)
        .order_by("index__name", "position")
        .values_list("index__table_id", "index__name", "index__is_unique", "field__field_name")
    ):
        index = indexes.setdefault(table_id, {}).setdefault(name, {"name": name, "columns": [], "unique": unique})
        index["columns"].append(column)
    fks: dict = {}
    for table_id, column, source, source_column, name, kind, cascade in (
        TableRelationship.objects.filter(project=project)
        .exclude(relationship_type="many_to_many")
        .values_list(
            "target_table_id", "target_field__field_name", "source_table__table_name", "source_field__field_name",
            "relationship_name", "relationship_type", "cascade_config",
        )
    ):  # fmt: skip
        fks.setdefault(table_id, []).append(
            {"column": column, "references": f"{source}.{source_column}", "name": name, "type": kind, **cascade}
        )
    rows = []
    for pk, uid, name, description, created, updated in tables:
        schema = {"fields": fields.get(pk, {}), "indexes": list(indexes.get(pk, {}).values())}
        if pk in keys:
            schema["primary_key"] = [column for _, column in sorted(keys[pk])]
        if pk in fks:
            schema["foreign_keys"] = fks[pk]
        rows.append({"id": f"tbl_{uid.hex}", "table_name": name, "description": description, "schema": schema,
                     "project_id": slug, "row_count": 0, "created_at": created,
                     "updated_at": None if updated == created else updated})  # fmt: skip
    return JsonResponse({"tables": rows, "total": len(rows), "limit": len(rows), "offset": 0})


urlpatterns = [path("bare/<slug:slug>/tables", bare_tables), path("", include("config.urls"))]


def __getattr__(name: str):
    """``bench.api:application``, for the daphne this bench starts: the app's own ASGI application, with this
    module's URLconf (the bare views in front of ``config.urls``)."""
    if name == "application":
        from django.conf import settings

        settings.ROOT_URLCONF = __name__
        from config.asgi import application

        return application
    raise AttributeError(name)


# --- measuring -----------------------------------------------------------------------------------------------
class Http:
    """One keep-alive HTTP/1.1 connection to the server (both sides of a comparison use it)."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"X-API-Key": key, "Accept": "application/json"}

    def send(self, method: str, url: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, url, body=data, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()


def timed(sends: dict, repeat: int, tidy=None) -> dict[str, float]:
    """Median wall time (seconds) of each sender; they take turns, so both see the same load. ``tidy`` (untimed)
    runs after each request, e.g. to delete the table a POST made, so the project keeps its size."""
    wall: dict = {name: [] for name in sends}
    for n in range(repeat + 1):  # 0: warm-up (the server's first request of a view: imports, caches), not counted
        for name, send in sends.items():
            start = time.perf_counter()
            send(n)
            if n:
                wall[name].append(time.perf_counter() - start)
            if tidy:
                tidy()
    return {name: statistics.median(times) for name, times in wall.items()}


def queries(client, method: str, url: str, key: str, body: dict | None = None) -> tuple[int, int]:
    """SQL statements of one request in this process (same URLconf, same database): all, and without
    transaction control."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        if method == "GET":
            response = client.get(url, HTTP_X_API_KEY=key)
        else:
            response = client.post(url, json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key)
    assert response.status_code in (200, 201), (url, response.status_code, response.content[:300])
    sqls = [q["sql"] for q in ctx.captured_queries]
    if os.environ.get("BENCH_VERBOSE"):
        for sql in sqls:
            print("     ", sql[:160])
    return len(sqls), len([s for s in sqls if not s.upper().startswith(TRANSACTION_CONTROL)])


def same_rows(api: dict, bare: dict) -> None:
    """Fairness check: the baseline returns the same tables, fields, indexes and foreign keys as the API."""

    def shape(body: dict) -> list:
        return [
            (
                t["id"],
                t["table_name"],
                list(t["schema"]["fields"]),
                [f["required"] for f in t["schema"]["fields"].values()],
                len(t["schema"]["indexes"]),
                sorted((fk["column"], fk["references"]) for fk in t["schema"].get("foreign_keys", [])),
            )
            for t in body["tables"]
        ]

    assert api["total"] == bare["total"] == len(api["tables"]), (api["total"], bare["total"], len(api["tables"]))
    assert shape(api) == shape(bare), "the bare view's rows differ from the API's"


def table_body(name: str) -> dict:
    return {
        "table_name": name,
        "description": "Created by bench/api.py",
        "schema": {"fields": {"name": {"type": "string", "required": True}}, "indexes": []},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.runner import DiscoverRunner
    from django.test.utils import override_settings

    from designer.api.keys import create_key
    from designer.models import DataTable
    from designer.sample import generated_snapshot
    from designer.services.snapshots import import_snapshot
    from tests import servers

    if connection.vendor != "postgresql":
        sys.exit(f"bench/api.py measures against PostgreSQL; DATABASE_URL names {connection.vendor}.")
    if DEFAULTED_DATABASE:
        connection.settings_dict["TEST"]["NAME"] = "twbench_api_test"
    runner = DiscoverRunner(verbosity=0, interactive=False)
    runner.setup_test_environment()
    old = runner.setup_databases()
    log_dir = Path(tempfile.mkdtemp(prefix="twbench-api-"))
    server = None
    try:
        user = get_user_model().objects.create_user("bench", password=None)
        projects = {n: import_snapshot(generated_snapshot(n, fields_per_table=8), actor=user, name=f"Bench API {n}")
                    for n in SIZES}  # fmt: skip
        _, key = create_key(user, name="bench", projects=list(projects.values()))
        # POSTs count as schema updates (10/hour per key by default): lift the limit; the count itself still runs
        server = servers.start_daphne(
            connection.settings_dict["NAME"],
            log_dir=log_dir,
            extra_env={"API_RATE_SCHEMA_UPDATES": "1000000/hour"},
            app="bench.api:application",
        )
        http_ = Http(server.port, key)
        client = Client()
        print(
            f"public API bench on postgresql {connection.pg_version // 10000}, daphne on :{server.port}"
            f"{', REDIS_URL set' if settings.REDIS_URL else ''}; median of {args.repeat} round trips; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        results = {}
        with override_settings(ROOT_URLCONF=__name__, API_RATE_LIMITS={**settings.API_RATE_LIMITS,
                                                                       "schema_updates": "1000000/hour"}):  # fmt: skip
            for size, project in projects.items():
                api_url = f"/v1/public/{project.slug}/tables?limit=1000"
                bare_url = f"/bare/{project.slug}/tables"
                status, api_raw = http_.send("GET", api_url)
                assert status == 200, (status, api_raw[:300])
                status, bare_raw = http_.send("GET", bare_url)
                assert status == 200, (status, bare_raw[:300])
                same_rows(json.loads(api_raw), json.loads(bare_raw))

                def get(url: str):
                    def send(_n: int) -> None:
                        status, raw = http_.send("GET", url)
                        assert status == 200, (status, raw[:300])

                    return send

                times = timed({"bare": get(bare_url), "api": get(api_url)}, args.repeat)
                results[("GET", size)] = (
                    times,
                    queries(client, "GET", bare_url, key),
                    queries(client, "GET", api_url, key),
                    (len(api_raw), len(bare_raw)),
                )

            for size, project in projects.items():
                base = f"/public/{project.slug}/tables"

                def post(url: str, prefix: str):
                    def send(n: int) -> None:
                        status, raw = http_.send("POST", url, table_body(f"{prefix}_{n:04d}"))
                        assert status == 201, (status, raw[:300])

                    return send

                def tidy(project=project) -> None:  # the project keeps its size: drop the table just made
                    DataTable.objects.filter(project=project, table_name__startswith="new_").delete()

                times = timed({"bare": post(f"/bare/{project.slug}/tables", "new_bare"),
                               "api": post(f"/v1{base}", "new_api")}, args.repeat, tidy)  # fmt: skip
                counted = (
                    queries(client, "POST", f"/bare/{project.slug}/tables", key, table_body("new_bare_counted")),
                    queries(client, "POST", f"/v1{base}", key, table_body("new_api_counted")),
                )
                tidy()
                results[("POST", size)] = (times, *counted, None)

        print()
        print(f"  {'request':<40} {'bare view':>10} {'API':>10} {'ratio':>7}   SQL bare / API (w/o BEGIN/COMMIT)")
        for (method, size), (times, bare_q, api_q, sizes) in results.items():
            what = f"{method} tables, {size}-table project" + (" (list all)" if method == "GET" else " (one new)")
            print(
                f"  {what:<40} {times['bare'] * 1000:8.1f}ms {times['api'] * 1000:8.1f}ms "
                f"{times['api'] / times['bare']:6.2f}x   {bare_q[0]} ({bare_q[1]}) / {api_q[0]} ({api_q[1]})"
                + (f"   JSON {sizes[0] / 1024:.0f} KiB / bare {sizes[1] / 1024:.0f} KiB" if sizes else "")
            )
        list_counts = {results[("GET", n)][2][0] for n in SIZES}
        print(
            f"  list queries for {' and '.join(map(str, SIZES))} tables: {sorted(list_counts)} "
            f"{'(constant)' if len(list_counts) == 1 else '(NOT constant)'}; API list 300 vs 30: "
            f"{results[('GET', 300)][0]['api'] / results[('GET', 30)][0]['api']:.1f}x, bare "
            f"{results[('GET', 300)][0]['bare'] / results[('GET', 30)][0]['bare']:.1f}x"
        )
    finally:
        if server is not None:
            servers.stop(server)
        for log in log_dir.glob("*"):
            if os.environ.get("BENCH_VERBOSE"):
                print(log.read_text()[-2000:])
            log.unlink()
        log_dir.rmdir()
        connection.close()
        runner.teardown_databases(old)
        runner.teardown_test_environment()
        if settings.REDIS_URL:
            import redis

            r = redis.Redis.from_url(settings.REDIS_URL)
            for name in r.scan_iter(match=f"{os.environ['CHANNELS_PREFIX']}:*"):
                r.delete(name)


if __name__ == "__main__":
    main()
