"""Rehearsal time of a plan vs the real deploy time of the same plan on the same data, in one run.

Per round: a generated N-table schema (bench/deploy.py's: identity key, varchar, text, numeric, timestamptz,
boolean, unique varchar, FK to the previous table) is imported and deployed, every table gets ``--rows`` rows,
then the design changes in every table (a rename, a NOT NULL on a filled column, a numeric widening that
rewrites the table, a varchar widening, a new column) and

1. ``services.rehearsal.rehearse`` runs that plan on a scratch copy (up to ``--sample`` rows per table), rolled
   back — timed;
2. ``services.deploy.deploy`` runs the same plan for real on the same rows — timed (whole call, and the part
   executing the SQL + the convergence check).

Prints the ratio rehearsal / deploy.

    DATABASE_URL=postgres://… DEPLOY_DATABASE_URL=postgres://… SECRET_KEY=x python bench/rehearsal.py \
        [--tables 300] [--rows 1000] [--sample 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.deploy import generated_snapshot  # noqa: E402


def changed_design(snapshot: dict) -> dict:
    """A plan that succeeds on the generated rows, with work on every table: rename, SET NOT NULL (a scan),
    numeric(10,2) → numeric(12,2) (a rewrite), varchar(20) → varchar(40), a new optional column."""
    from designer.schema.snapshot import canonicalize

    doc = canonicalize(snapshot)
    for t in doc["tables"]:
        by_name = {f["field_name"]: f for f in t["fields"]}
        by_name["title"]["field_name"] = by_name["title"]["name"] = "headline"
        by_name["body"]["required"] = True
        by_name["price"]["config"] = {"kind": "decimal", "precision": 12, "scale": 2}
        by_name["code"]["config"] = {"max_length": 40}
        t["fields"].append(
            {
                **by_name["body"],
                "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, t["id"] + ".notes")),
                "field_name": "notes",
                "name": "notes",
                "required": False,
            }
        )
    return doc


def fill(conn, schema: str, snapshot: dict, rows: int) -> None:
    """``rows`` rows in every table; each parent_id references the previous table's row with the same id."""
    from psycopg import sql

    for i, t in enumerate(snapshot["tables"]):
        cols = "id, title, body, price, code" + (", parent_id" if i else "")
        values = "g, 'title ' || g, repeat('body ', 1 + g %% 20), g %% 1000, 'c' || g" + (", g" if i else "")
        conn.execute(
            sql.SQL("INSERT INTO {} (" + cols + ") SELECT " + values + " FROM generate_series(1, %s) g").format(
                sql.Identifier(schema, t["table_name"])
            ),
            (rows,),
        )
    conn.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--rows", type=int, default=1000, help="rows per table")
    parser.add_argument("--sample", type=int, default=10_000, help="rehearse(sample_rows=…)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from psycopg import sql

    from designer.models import Project
    from designer.schema.snapshot import canonicalize
    from designer.services import deploy as deploy_service
    from designer.services.rehearsal import rehearse
    from designer.services.snapshots import import_snapshot, replace_design

    url = settings.DEPLOY_DATABASE_URL
    if not url.startswith("postgres"):
        sys.exit("Set DEPLOY_DATABASE_URL=postgres://… (and DATABASE_URL for the app).")
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    user.user_permissions.add(Permission.objects.get(codename="deploy_project"))
    base_design = canonicalize(generated_snapshot(args.tables))
    new_design = changed_design(base_design)

    def reset(conn, schema: str) -> None:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s", (schema, f"{schema}_kept_%")
        ).fetchall()
        for (name,) in rows:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))  # bench cleanup only
        if rows:
            conn.execute("VACUUM")

    rh, dep, inside, phases, statements = [], [], [], [], 0
    with psycopg.connect(url, autocommit=True) as conn:
        for round_ in range(args.repeat):
            Project.objects.filter(slug="bench-rehearsal").delete()
            project = import_snapshot(base_design, actor=user, name="Bench rehearsal")
            Project.objects.filter(pk=project.pk).update(slug="bench-rehearsal")
            project.refresh_from_db()
            schema = deploy_service.schema_name(project)
            reset(conn, schema)
            first = deploy_service.deploy(project, actor=user)
            assert first.status == "succeeded", (first.error, first.verification[:3])
            fill(conn, schema, base_design, args.rows)
            replace_design(project, new_design, actor=user)
            base = deploy_service.deployed_snapshot(project)
            conn.execute("CHECKPOINT")

            t = time.perf_counter()
            report = rehearse(conn, schema, base, new_design, sample_rows=args.sample, tag="d2")
            rh.append(time.perf_counter() - t)
            assert report.success, [f.summary for f in report.failures[:3]]
            phases.append(report.phases_ms)
            statements = report.statements_total
            conn.execute("CHECKPOINT")

            t = time.perf_counter()
            run = deploy_service.deploy(project, actor=user)
            dep.append(time.perf_counter() - t)
            assert run.status == "succeeded", (run.error, run.verification[:3])
            assert len(run.statements) == statements
            inside.append(run.duration_ms / 1000)
            copied = sum(s.copied for s in report.tables)
            print(
                f"round {round_ + 1}: rehearsal {rh[-1]:.3f}s ({report.phases_ms}, {copied} rows copied, "
                f"{len(report.sampled_tables)} tables sampled), deploy {dep[-1]:.3f}s "
                f"(execute + verify {inside[-1]:.3f}s)"
            )
            reset(conn, schema)
        Project.objects.filter(slug="bench-rehearsal").delete()

    median = statistics.median
    print()
    print(
        f"{args.tables} tables x {args.rows} rows, sample_rows={args.sample}, {statements} statements, "
        f"median of {args.repeat}:"
    )
    print(f"  rehearse() (scratch schema, copy, plan under savepoints, rollback): {median(rh):.3f}s")
    for phase in phases[0]:
        print(f"    {phase:<13} {median(p[phase] for p in phases) / 1000:.3f}s")
    print(f"  deploy() of the same plan on the same rows:                        {median(dep):.3f}s")
    print(f"    of which execute + convergence check:                            {median(inside):.3f}s")
    print(f"  ratio rehearsal / deploy:                  {median(rh) / median(dep):.2f}x")
    print(f"  ratio rehearsal / deploy's execute+verify: {median(rh) / median(inside):.2f}x")


if __name__ == "__main__":
    main()
