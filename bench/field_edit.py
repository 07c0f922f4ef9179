"""One field edit as the designer's panel sends it (HTMX POST with lock token and base revision), against a bare
Django view doing the same single-row UPDATE on the same database, through the same middleware stack.

Prints the median round trip of each (the two take turns, so both see the same load) and the CPU time this
process spent on it, their ratio (DESIGN bar: <= 2x the bare view) and the SQL statements of
one edit (DESIGN bar: <= 10; BEGIN/SAVEPOINT/COMMIT counted separately). Runs against DATABASE_URL in a throwaway
test database (created and dropped here).

    DATABASE_URL=postgres://... SECRET_KEY=bench .venv/bin/python bench/field_edit.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")


def bare_update(request: HttpRequest, field_id: str) -> HttpResponse:
    """The baseline: the same single-row update, no service, no lock, no history, no template."""
    from designer.models import DataField

    DataField.objects.filter(pk=field_id).update(description=request.POST["description"])
    return HttpResponse("ok")


urlpatterns = [path("bare/<uuid:field_id>/", bare_update), path("", include("config.urls"))]


def timed(sends: dict, repeat: int) -> dict:
    """Median wall time and mean CPU time of this process (seconds) per round trip of each sender.

    The senders take turns (bare, edit, bare, edit, ...), so both see the same load of a shared machine (the
    same PostgreSQL fsync latency); timed one after the other, a load change between the runs skews the ratio.
    """
    for send in sends.values():
        send(0)  # warm up
    wall: dict = {name: [] for name in sends}
    cpu: dict = {name: [] for name in sends}
    for n in range(1, repeat + 1):
        for name, send in sends.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            send(n)
            cpu[name].append(time.process_time() - start_cpu)
            wall[name].append(time.perf_counter() - start)
    return {name: (statistics.median(wall[name]), statistics.mean(cpu[name])) for name in sends}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    from django.contrib.auth import get_user_model
    from django.test import Client

    from designer.models import DataField, DataTable
    from designer.sample import generated_snapshot
    from designer.services.snapshots import import_snapshot

    runner = DiscoverRunner(verbosity=0, interactive=False)
    runner.setup_test_environment()
    old = runner.setup_databases()
    try:
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False, ROOT_URLCONF=__name__):
            user = get_user_model().objects.create_user("bench", password="bench")
            project = import_snapshot(generated_snapshot(30), actor=user, name="Bench edit")
            table = DataTable.objects.filter(project=project).order_by("table_name").first()
            fields = DataField.objects.filter(table=table, pk_position__isnull=True, data_type="text")
            field = fields.order_by("sort_order").first()
            client = Client()
            client.force_login(user)
            base = f"/projects/{project.slug}/tables/{table.pk}/"
            token = client.post(base + "lock/").json()["token"]
            form = {"field_name": field.field_name, "data_type": field.data_type}
            hx = {"HTTP_HX_REQUEST": "true"}

            def edit(n: int):
                revision = DataTable.objects.filter(pk=table.pk).values_list("revision", flat=True).get()
                data = {**form, "description": f"edit {n}", "lock_token": token, "base_revision": revision}
                response = client.post(f"{base}fields/{field.pk}/", data, **hx)
                assert response.status_code == 200, (response.status_code, response.content[:300])
                return response

            def bare(n: int):
                response = client.post(f"/bare/{field.pk}/", {"description": f"bare {n}"})
                assert response.status_code == 200, response.status_code

            # the revision read above belongs to the page (it comes from the previous answer's header there),
            # so the edit is timed without it: the revision is carried from one answer to the next
            revision = {"value": DataTable.objects.get(pk=table.pk).revision}

            def edit_as_the_page(n: int):
                data = {**form, "description": f"edit {n}", "lock_token": token, "base_revision": revision["value"]}
                response = client.post(f"{base}fields/{field.pk}/", data, **hx)
                assert response.status_code == 200, (response.status_code, response.content[:300])
                revision["value"] = int(response["X-Table-Revision"])

            vendor = f"{connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}"
            print(f"field edit bench on {vendor.strip()}, median of {args.repeat} round trips")
            times = timed({"bare": bare, "edit": edit_as_the_page}, args.repeat)
            (bare_median, bare_cpu), (edit_median, edit_cpu) = times["bare"], times["edit"]
            with CaptureQueriesContext(connection) as ctx:
                edit(args.repeat + 1)
            statements = [q["sql"] for q in ctx.captured_queries][1:]  # without the revision read of edit()
            work = [s for s in statements if not s.upper().startswith(TRANSACTION_CONTROL)]
            ratio = edit_median / bare_median
            print(f"  bare single-row update view : {bare_median * 1000:7.2f} ms  (CPU here {bare_cpu * 1000:5.2f} ms)")
            print(f"  designer field edit (HTMX)  : {edit_median * 1000:7.2f} ms  (CPU here {edit_cpu * 1000:5.2f} ms)")
            print(f"  ratio                       : {ratio:7.2f}x  (bar <= 2x)  {'ok' if ratio <= 2 else 'OVER'}")
            print(
                f"  SQL per edit: {len(statements)} statements, {len(work)} without transaction control "
                f"(bar <= 10)  {'ok' if len(work) <= 10 else 'OVER'}"
            )
            if os.environ.get("BENCH_VERBOSE"):
                for sql in statements:
                    print("   ", sql[:160])
    finally:
        runner.teardown_databases(old)
        runner.teardown_test_environment()


if __name__ == "__main__":
    main()
