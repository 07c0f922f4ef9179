from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from designer.services import deploy as deploy_service

from ._deploy import EXIT_REFUSED, exit_code, run_text
from ._project import find_project


class Command(BaseCommand):
    help = "Roll the target back to the previously deployed version (same exit codes as deploy)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")

    def handle(self, *args, project: str, **options) -> None:
        try:
            run = deploy_service.rollback(find_project(project), actor=None)
        except deploy_service.DeployRefused as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        self.stdout.write(run_text(run))
        code = exit_code(run)
        if code:
            raise CommandError(f"Rollback #{run.number} {run.get_status_display().lower()}.", returncode=code)
