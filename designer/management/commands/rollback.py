from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from designer.services import deploy as deploy_service

from ._deploy import EXIT_REFUSED, exit_code, plan_text, run_text
from ._project import find_project


class Command(BaseCommand):
    help = (
        "Roll the target back to the previously deployed version: prints the reverse plan (statements, lock, risk, "
        "live figures), asks for confirmation (--yes skips it; a destructive one needs the project name typed), "
        "then runs it. Same exit codes as deploy."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")
        parser.add_argument("--yes", action="store_true", help="roll back without asking (also a destructive plan)")

    def handle(self, *args, project: str, yes: bool = False, **options) -> None:
        project = find_project(project)
        try:
            plan = deploy_service.rollback_plan(project)
            if plan is None:
                raise deploy_service.DeployRefused(f"{project.name} has no deploy to roll back.")
            self.stdout.write(plan_text(plan))
            confirm = project.name if yes else None
            if not yes:
                if not sys.stdin.isatty():
                    raise CommandError("Not rolled back: re-run with --yes to confirm.", returncode=EXIT_REFUSED)
                if plan.destructive:
                    confirm = input(f"This rollback drops data. Type the project name ({project.name}) to confirm: ")
                elif input("Roll back? [y/N] ").strip().lower() not in ("y", "yes"):
                    raise CommandError("Not rolled back.", returncode=EXIT_REFUSED)
            run = deploy_service.rollback(project, actor=None, confirm_name=confirm, expected_digest=plan.digest)
        except deploy_service.DeployRefused as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=EXIT_REFUSED) from exc
        self.stdout.write(run_text(run))
        code = exit_code(run)
        if code:
            raise CommandError(f"Rollback #{run.number} {run.get_status_display().lower()}.", returncode=code)
