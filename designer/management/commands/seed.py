from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from designer.services import sample_data
from designer.services.seeding import SeedError
from designer.services.targets import DeployRefused

from ._deploy import EXIT_REFUSED
from ._project import find_project


class Command(BaseCommand):
    help = "Fill an environment's deployed tables with sample data (or --clear exactly the rows seeding added)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")
        parser.add_argument("--env", default="dev", help="environment (default dev)")
        parser.add_argument("--rows", type=int, default=100, help="rows per table (1–100000, default 100)")
        parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same rows")
        parser.add_argument("--table", action="append", dest="tables", help="only this table (repeatable)")
        parser.add_argument("--clear", action="store_true", help="remove the rows seeding added instead")

    def handle(self, *args, project: str, env: str, rows: int, seed: int, tables, clear: bool, **options) -> None:
        project = find_project(project)
        try:
            if clear:
                result = sample_data.clear_environment(project, actor=None, environment=env)
                self.stdout.write(f"Removed {result['total']} seeded rows from {env}.")
                return
            result = sample_data.seed_environment(
                project, actor=None, environment=env, rows_per_table=rows, tables=tables, seed=seed
            )
        except (DeployRefused, SeedError, PermissionDenied) as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=EXIT_REFUSED) from exc
        for table, count in result["counts"].items():
            self.stdout.write(f"{table}: {count} rows")
        for note in result["notes"]:
            self.stdout.write(f"note: {note}")
        self.stdout.write(f"Seeded {result['total']} rows into {env} (seed {result['seed']}).")
