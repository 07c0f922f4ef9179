"""Seed a generated 300-table design with 1,000 rows per table, against ``psql \\copy`` of the same rows, in one run.

1. Tablewright: ``services.seeding.seed`` (values generated in Python, topological order, COPY into each table with
   every constraint in place, identity bumps, the second pass for the self-references) on an empty schema;
2. the baseline: the very rows step 1 wrote, dumped to one file per table beforehand (untimed), loaded into an
   identical empty schema by one ``psql -1`` running a ``\\copy <table> FROM <file>`` per table.

Each round uses fresh schemas; the medians are compared. Bar: Tablewright ≤ 2× psql.

    DEPLOY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/seed.py [--tables 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def generated_snapshot(n: int) -> dict:
    """n tables of 10 columns: identity key, name, unique email, city, title, price (decimal, CHECK > 0), status
    (choices), created_at, active; a NOT NULL foreign key to the previous table, and every 10th table a nullable
    self-reference."""
    tables, rels = [], []
    for i in range(n):
        name = f"t{i:04d}"

        def fid(column: str, name=name) -> str:
            return f"{name}.{column}"

        fields = [
            (fid("id"), "id", "number", {"kind": "bigint", "identity": True}, True, False),
            (fid("name"), "name", "text", {"max_length": 120}, True, False),
            (fid("email"), "email", "text", {"max_length": 120}, True, True),
            (fid("city"), "city", "text", {"max_length": 60}, False, False),
            (fid("title"), "title", "text", {}, False, False),
            (fid("price"), "price", "number", {"kind": "decimal", "precision": 10, "scale": 2}, True, False),
            (fid("status"), "status", "text", {"max_length": 20, "choices": ["new", "open", "closed"]}, True, False),
            (fid("created_at"), "created_at", "date", {"kind": "timestamptz"}, True, False),
            (fid("active"), "active", "boolean", {}, True, False),
        ]
        if i:
            fields.append((fid("parent_id"), "parent_id", "number", {"kind": "bigint"}, True, False))
            rels.append(
                {
                    "id": f"{name}_parent_fk",
                    "name": f"{name}_parent_fk",
                    "source_table": f"t{i - 1:04d}",
                    "source_field": f"t{i - 1:04d}.id",
                    "target_table": name,
                    "target_field": fid("parent_id"),
                }
            )
        if i % 10 == 0:
            fields.append((fid("manager_id"), "manager_id", "number", {"kind": "bigint"}, False, False))
            rels.append(
                {
                    "id": f"{name}_manager_fk",
                    "name": f"{name}_manager_fk",
                    "source_table": name,
                    "source_field": fid("id"),
                    "target_table": name,
                    "target_field": fid("manager_id"),
                }
            )
        tables.append(
            {
                "id": name,
                "table_name": name,
                "primary_key": {"name": f"{name}_pkey", "fields": [fid("id")]},
                "fields": [
                    {"id": i_, "field_name": c, "data_type": t, "config": cfg, "required": req, "unique": uniq}
                    for i_, c, t, cfg, req, uniq in fields
                ],
                "constraints": [
                    {
                        "id": f"{name}.price_check",
                        "name": f"{name}_price_positive",
                        "kind": "check",
                        "expression": "price > 0",
                    }
                ],
            }
        )
    return {"format": 1, "tables": tables, "relationships": rels}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import psycopg
    from psycopg import sql

    from designer.ddl.postgresql import create_script
    from designer.schema.snapshot import canonicalize
    from designer.services.seeding import seed

    url = os.environ.get("DEPLOY_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DEPLOY_DATABASE_URL=postgres://… (a database the benchmark may fill and empty).")
    snapshot = canonicalize(generated_snapshot(args.tables))
    names = [t["table_name"] for t in snapshot["tables"]]
    total_rows = args.tables * args.rows

    def fresh(conn, schema: str) -> None:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))  # bench cleanup
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        with conn.transaction():
            conn.execute(create_script(snapshot, schema=schema))
        conn.execute("VACUUM")  # untimed: the dropped catalog rows of the previous round

    tw, ps = [], []
    with psycopg.connect(url, autocommit=True) as conn, tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            fresh(conn, "bench_seed")
            t = time.perf_counter()
            result = seed(conn, "bench_seed", snapshot, rows_per_table=args.rows, seed=round_)
            tw.append(time.perf_counter() - t)
            assert result.total == total_rows, result.notes

            # the same rows, to one file per table (untimed), in an order psql can load them: parents first
            script = Path(tmp) / "load.psql"
            lines = []
            for name in names:
                path = Path(tmp) / f"{name}.tsv"
                with path.open("wb") as out, conn.cursor() as cur:
                    query = sql.SQL("COPY {} TO STDOUT").format(sql.Identifier("bench_seed", name))
                    with cur.copy(query) as copy:
                        for chunk in copy:
                            out.write(chunk)
                lines.append(f"\\copy bench_psql.{name} FROM '{path}'")
            script.write_text("\n".join(lines) + "\n")
            fresh(conn, "bench_psql")
            t = time.perf_counter()
            subprocess.run(
                ["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)],
                check=True,
            )
            ps.append(time.perf_counter() - t)
            counted = conn.execute(f"SELECT count(*) FROM bench_psql.{names[-1]}").fetchone()[0]
            assert counted == args.rows, counted
            print(f"round {round_ + 1}: seed {tw[-1]:.2f} s, psql \\copy {ps[-1]:.2f} s", flush=True)
        for schema in ("bench_seed", "bench_psql"):
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    tw_m, ps_m = statistics.median(tw), statistics.median(ps)
    print(f"\nSeeding {args.tables} tables x {args.rows} rows ({total_rows:,} rows), median of {args.repeat}:")
    print(f"  Tablewright seed()    {tw_m:7.2f} s   {total_rows / tw_m:10,.0f} rows/s")
    print(f"  psql \\copy of files   {ps_m:7.2f} s   {total_rows / ps_m:10,.0f} rows/s")
    ratio = tw_m / ps_m
    print(f"  ratio seed / psql     {ratio:7.2f}x   (bar <= 2x: {'met' if ratio <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
