from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from designer.services import deploy as deploy_service

from ._deploy import EXIT_REFUSED, plan_text
from ._project import find_project


class Command(BaseCommand):
    help = "Print the deploy plan of a project: SQL, lock level, rewrite/scan, risk and live figures per statement."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")

    def handle(self, *args, project: str, **options) -> None:
        try:
            plan = deploy_service.plan(find_project(project))
        except deploy_service.DeployRefused as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        self.stdout.write(plan_text(plan))
