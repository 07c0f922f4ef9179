from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from designer.services import deploy as deploy_service

from ._deploy import EXIT_REFUSED, exit_code, plan_text, run_text
from ._project import find_project


class Command(BaseCommand):
    help = (
        "Deploy a project's design to DEPLOY_DATABASE_URL. Exit codes: 0 deployed and verified, 1 failed "
        "(nothing applied), 2 applied but the database differs from the design, 3 refused (another deploy "
        "running, a table locked, or a destructive plan not confirmed)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")
        parser.add_argument("--yes", action="store_true", help="confirm a destructive plan without asking")
        parser.add_argument("-m", "--message", default="", help="message of the version the deploy records")

    def handle(self, *args, project: str, yes: bool = False, message: str = "", **options) -> None:
        project = find_project(project)
        try:
            plan = deploy_service.plan(project)
            self.stdout.write(plan_text(plan))
            if not plan.forward:
                return
            confirm = project.name if yes else None
            if plan.destructive and not yes:
                if not self.stdin_is_tty():
                    raise CommandError("The plan drops data; re-run with --yes to confirm.", returncode=EXIT_REFUSED)
                confirm = input(f"This plan drops data. Type the project name ({project.name}) to confirm: ")
            run = deploy_service.deploy(
                project, actor=None, confirm_name=confirm, message=message, expected_digest=plan.digest
            )
        except deploy_service.DeployRefused as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=EXIT_REFUSED) from exc
        self.stdout.write(run_text(run))
        code = exit_code(run)
        if code:
            raise CommandError(f"Deploy #{run.number} {run.get_status_display().lower()}.", returncode=code)

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
