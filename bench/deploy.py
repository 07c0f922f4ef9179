"""Deploy a generated 300-table schema three ways, in one run, on the same PostgreSQL:

1. Tablewright: ``services.deploy.deploy`` (advisory lock, timeouts, version, critical locks, one
   transaction, DeployRun, then the convergence check by introspection);
2. ``psql -1 -f`` of exactly the SQL Tablewright ran (the baseline);
3. Django ``migrate`` of equivalent generated models (fresh process; the timer covers ``migrate`` only).

Then the plan time for a 300-table diff (a rename, a widening and a new field in every table).
Bars (DESIGN.md §5): Tablewright ≤ 1.2× psql, faster than migrate.

    DATABASE_URL=postgres://… DEPLOY_DATABASE_URL=postgres://… SECRET_KEY=x python bench/deploy.py [--tables 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def generated_snapshot(n: int) -> dict:
    """n tables of 8 columns: identity key, text, varchar, decimal, timestamptz, boolean, FK to the previous table."""
    tables, rels = [], []
    for i in range(n):
        name = f"t{i:04d}"
        tid = str(uuid.uuid5(uuid.NAMESPACE_DNS, name))

        def fid(col: str, tid=tid) -> str:
            return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{tid}.{col}"))

        fields = [
            ("id", "number", {"kind": "bigint", "identity": True}, True, None),
            ("title", "text", {"max_length": 200}, True, None),
            ("body", "text", {}, False, None),
            ("price", "number", {"kind": "decimal", "precision": 10, "scale": 2}, True, "0"),
            ("created_at", "date", {"kind": "timestamptz"}, True, "now()"),
            ("active", "boolean", {}, True, "true"),
            ("code", "text", {"max_length": 20}, False, None),
        ]
        if i:
            fields.append(("parent_id", "number", {"kind": "bigint"}, False, None))
        tables.append(
            {
                "id": tid,
                "name": name,
                "table_name": name,
                "description": f"Generated table {i}",
                "status": "draft",
                "primary_key": {"name": f"{name}_pkey", "fields": [fid("id")]},
                "fields": [
                    {
                        "id": fid(c),
                        "name": c,
                        "field_name": c,
                        "data_type": t,
                        "config": cfg,
                        "required": req,
                        "unique": c == "code",
                        "default": d,
                        "description": "",
                    }
                    for c, t, cfg, req, d in fields
                ],
                "indexes": [{"id": fid("ix"), "name": f"{name}_title_idx", "fields": [fid("title")], "unique": False}],
                "constraints": [],
            }
        )
        if i:
            prev = tables[i - 1]
            rels.append(
                {
                    "id": fid("fk"),
                    "name": f"{name}_parent_id_fkey",
                    "type": "one_to_many",
                    "source_table": prev["id"],
                    "source_field": prev["fields"][0]["id"],
                    "target_table": tid,
                    "target_field": fid("parent_id"),
                    "on_delete": "cascade",
                    "on_update": "no_action",
                    "junction_table": None,
                    "status": "draft",
                }
            )
    return {"format": 1, "project": {"name": "Bench", "slug": "bench", "description": ""}, "tables": tables,
            "relationships": rels, "layout": {"tables": {}}}  # fmt: skip


DJANGO_TYPES = {
    "id": "models.BigAutoField(primary_key=True)",
    "title": "models.CharField(max_length=200, db_index=True)",
    "body": "models.TextField(null=True)",
    "price": "models.DecimalField(max_digits=10, decimal_places=2, db_default=0)",
    "created_at": "models.DateTimeField(db_default=Now())",
    "active": "models.BooleanField(db_default=True)",
    "code": "models.CharField(max_length=20, null=True, unique=True)",
}


def django_models(n: int) -> str:
    lines = ["from django.db import models", "from django.db.models.functions import Now", ""]
    for i in range(n):
        lines.append(f"class T{i:04d}(models.Model):")
        for col, decl in DJANGO_TYPES.items():
            lines.append(f"    {col} = {decl}")
        if i:
            lines.append(f"    parent = models.ForeignKey('T{i - 1:04d}', null=True, on_delete=models.CASCADE)")
        lines += [
            "    class Meta:",
            f"        db_table = 't{i:04d}'",
            f"        db_table_comment = 'Generated table {i}'",
            "",
        ]
    return "\n".join(lines)


def run_django_migrate(n: int, url: str, schema: str) -> float:
    """makemigrations (untimed), then migrate in a fresh process; returns the seconds migrate took."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "benchapp"
        (app / "migrations").mkdir(parents=True)
        (app / "__init__.py").write_text("")
        (app / "migrations" / "__init__.py").write_text("")
        (app / "models.py").write_text(django_models(n))
        (Path(tmp) / "bench_settings.py").write_text(
            textwrap.dedent(
                f"""
                import dj_database_url
                SECRET_KEY = "bench"
                INSTALLED_APPS = ["benchapp"]
                DATABASES = {{"default": dj_database_url.parse({url!r})}}
                DATABASES["default"]["OPTIONS"] = {{"options": "-c search_path={schema}"}}
                DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
                USE_TZ = True
                """
            )
        )
        runner = textwrap.dedent(
            """
            import sys, time, django
            from django.core.management import call_command
            django.setup()
            if sys.argv[1] == "make":
                call_command("makemigrations", "benchapp", verbosity=0)
            else:
                t = time.perf_counter()
                call_command("migrate", "benchapp", verbosity=0)
                print(time.perf_counter() - t)
            """
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": tmp}
        subprocess.run([sys.executable, "-c", runner, "make"], env=env, check=True, cwd=tmp)
        out = subprocess.run([sys.executable, "-c", runner, "run"], env=env, check=True, cwd=tmp, capture_output=True)
        return float(out.stdout.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--django-repeat", type=int, default=1, help="migrate of 300 models takes minutes")
    args = parser.parse_args()

    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db import connection
    from psycopg import sql

    from designer.ddl.postgresql import compile_plan
    from designer.models import Project
    from designer.schema.snapshot import canonicalize
    from designer.services import deploy as deploy_service
    from designer.services.snapshots import import_snapshot, replace_design

    url = settings.DEPLOY_DATABASE_URL
    if not url.startswith("postgres"):
        sys.exit("Set DEPLOY_DATABASE_URL=postgres://… (and DATABASE_URL for the app).")
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    user.user_permissions.add(Permission.objects.get(codename="deploy_project"))
    snapshot = canonicalize(generated_snapshot(args.tables))

    def reset(conn, *schemas):
        dropped = False
        for s in schemas:
            rows = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s", (s, f"{s}_kept_%")
            ).fetchall()
            for (name,) in rows:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))  # bench cleanup only
                dropped = True
        if dropped:
            # Dropping 1,500 relations leaves as many dead catalog rows: vacuum them now (untimed), or whoever runs
            # first next (always Tablewright) shares the two cores with autovacuum cleaning them up.
            conn.execute("VACUUM")

    tw, ps, dj, inside = [], [], [], []
    with psycopg.connect(url, autocommit=True) as conn:
        for round_ in range(args.repeat):
            Project.objects.filter(slug="bench-deploy").delete()
            project = import_snapshot(snapshot, actor=user, name="Bench deploy")
            Project.objects.filter(pk=project.pk).update(slug="bench-deploy")
            project.refresh_from_db()
            schema = deploy_service.schema_name(project)
            reset(conn, schema, "bench_psql", "bench_django")
            # the import just wrote ~6,000 rows (and their history) to the app database: let its autovacuum and
            # autoanalyze run now (untimed) rather than beside the deploy that comes next
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

            t = time.perf_counter()
            run = deploy_service.deploy(project, actor=user)
            tw.append(time.perf_counter() - t)
            assert run.status == "succeeded", (run.error, run.verification[:3])

            script = Path(tempfile.mkstemp(suffix=".sql")[1])
            script.write_text(run.sql.replace(f'"{schema}"', '"bench_psql"'))
            conn.execute("CREATE SCHEMA bench_psql")
            t = time.perf_counter()
            subprocess.run(
                ["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)], check=True
            )
            ps.append(time.perf_counter() - t)
            script.unlink()

            inside.append(run.duration_ms / 1000)
            if round_ < args.django_repeat:
                conn.execute("CREATE SCHEMA bench_django")
                dj.append(run_django_migrate(args.tables, url, "bench_django"))
            print(
                f"round {round_ + 1}: tablewright {tw[-1]:.3f}s (execute + verify {inside[-1]:.3f}s), "
                f"psql {ps[-1]:.3f}s" + (f", django migrate {dj[-1]:.3f}s" if round_ < args.django_repeat else "")
            )
            # each round's project has a schema of its own: drop it, or the catalogs grow by 1,500 relations a
            # round and every later round (and introspection above all) runs against them
            reset(conn, schema, "bench_psql", "bench_django")

        # Plan time for a 300-table diff: a rename, a widening and a new field in every table.
        changed = canonicalize(snapshot)
        for t in changed["tables"]:
            t["fields"][1]["field_name"] = t["fields"][1]["name"] = "headline"
            t["fields"][6]["config"] = {"max_length": 40}
            t["fields"].append(
                {
                    **t["fields"][2],
                    "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, t["id"] + ".notes")),
                    "field_name": "notes",
                    "name": "notes",
                }
            )
        t = time.perf_counter()
        forward, _ = compile_plan(snapshot, changed, schema="bench", tag="d2")
        compile_s = time.perf_counter() - t
        # and the whole plan page's work (design snapshot, compile, live figures) against the deployed schema
        Project.objects.filter(slug="bench-deploy").delete()
        project = import_snapshot(snapshot, actor=user, name="Bench deploy")
        Project.objects.filter(pk=project.pk).update(slug="bench-deploy")
        project.refresh_from_db()
        reset(conn, deploy_service.schema_name(project))
        deploy_service.deploy(project, actor=user)
        replace_design(project, changed, actor=user)
        t = time.perf_counter()
        deploy_service.plan(project)
        plan_s = time.perf_counter() - t
        reset(conn, deploy_service.schema_name(project))

    median = statistics.median
    print()
    print(f"{args.tables} tables, {len(run.statements)} statements, median of {args.repeat}:")
    print(f"  tablewright deploy (incl. version, locks, verification): {median(tw):.3f}s")
    print(f"    of which execute + convergence check:                  {median(inside):.3f}s")
    print(f"  psql -1 -f of the same SQL:                              {median(ps):.3f}s")
    print(f"  django migrate of equivalent models:                     {median(dj):.3f}s")
    print(f"  ratio tablewright / psql:    {median(tw) / median(ps):.2f}x  (bar <= 1.2x)")
    print(f"  ratio tablewright / migrate: {median(tw) / median(dj):.2f}x  (bar < 1x)")
    print(f"  compile forward + reverse, {args.tables}-table diff ({len(forward)} statements): {compile_s:.3f}s")
    print(f"  plan() with live figures, same diff on the deployed schema: {plan_s:.3f}s")
    Project.objects.filter(slug="bench-deploy").delete()


if __name__ == "__main__":
    main()
