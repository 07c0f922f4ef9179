from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from designer.services import deploy as deploy_service

from ._deploy import EXIT_DRIFT, EXIT_REFUSED
from ._project import find_project


class Command(BaseCommand):
    help = "Compare the live target schema with the last deployed version; exit 1 when they differ."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")

    def handle(self, *args, project: str, **options) -> None:
        project = find_project(project)
        try:
            report = deploy_service.drift(project)
        except deploy_service.DeployRefused as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        if not report:
            self.stdout.write(
                f"No drift: schema {deploy_service.schema_name(project)} matches the last deployed version."
            )
            return
        for line in report:
            self.stdout.write(f"- {line}")
        raise CommandError(f"{len(report)} difference(s) from the last deployed version.", returncode=EXIT_DRIFT)
