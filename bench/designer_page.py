"""Designer page render time for generated designs of 30, 300 and 1,000 tables (about 20 fields each).

Prints the median of several renders, the ratios 300/30 and 1,000/300 (bars: <= 10x and <= 3.5x), the SQL
query count per page (bar: <= 15 and the same for every size) and the HTML size. Runs against DATABASE_URL
in a throwaway test database (created and dropped here).

    DATABASE_URL=postgres://... SECRET_KEY=bench .venv/bin/python bench/designer_page.py [--repeat 7]
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

from config.runtime import tune_gc  # noqa: E402  (as the ASGI server does once the app is loaded)

tune_gc()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

SIZES = (30, 300, 1000)


def measure(client, path: str, repeat: int) -> tuple[float, int, int]:
    client.get(path)  # warm caches (templates, session)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    return statistics.median(times), len(ctx), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from django.test import Client

    from designer.sample import generated_snapshot
    from designer.services.snapshots import import_snapshot

    runner = DiscoverRunner(verbosity=0, interactive=False)
    runner.setup_test_environment()
    old = runner.setup_databases()
    try:
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
            user = get_user_model().objects.create_user("bench", password="bench")
            client = Client()
            client.force_login(user)
            vendor = f"{connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}"
            print(f"designer page bench on {vendor.strip()}, median of {args.repeat} renders")
            rows = {}
            for size in SIZES:
                start = time.perf_counter()
                project = import_snapshot(generated_snapshot(size), actor=user, name=f"Bench {size}")
                built = time.perf_counter() - start
                rows[size] = measure(client, f"/projects/{project.slug}/", args.repeat)
                median, queries, html = rows[size]
                print(
                    f"  {size:>5} tables: {median * 1000:8.1f} ms  {queries:>2} queries  "
                    f"{html / 1024:8.0f} KiB HTML   (import {built:.1f} s)"
                )
            r1 = rows[300][0] / rows[30][0]
            r2 = rows[1000][0] / rows[300][0]
            counts = {rows[s][1] for s in SIZES}
            print(f"  ratio 300/30   = {r1:5.2f}x  (bar <= 10x)   {'ok' if r1 <= 10 else 'OVER'}")
            print(f"  ratio 1000/300 = {r2:5.2f}x  (bar <= 3.5x)  {'ok' if r2 <= 3.5 else 'OVER'}")
            print(
                f"  queries: {sorted(counts)} (bar <= 15, constant)  "
                f"{'ok' if len(counts) == 1 and max(counts) <= 15 else 'OVER'}"
            )
    finally:
        runner.teardown_databases(old)
        runner.teardown_test_environment()


if __name__ == "__main__":
    main()
