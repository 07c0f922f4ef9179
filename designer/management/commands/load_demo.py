from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from designer.demo import DEMO_PROJECT, load_demo


class Command(BaseCommand):
    help = "Create the demo users (demo, alice, bob) and the DataInsight Pro project. DEBUG only."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing unless the database has no projects (and, outside DEBUG, do nothing)",
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        from designer.models import Project

        if not settings.DEBUG:
            if if_empty:  # `make run` with DEBUG=0: serve without a demo rather than abort
                self.stdout.write("DEBUG is off: demo not loaded (it creates users whose password is their name).")
                return
            raise CommandError("The demo is loaded only with DEBUG=1: it creates users whose password is their name.")
        if if_empty and Project.objects.exclude(name=DEMO_PROJECT).exists():
            self.stdout.write("Projects exist already; demo not loaded.")
            return
        project, created = load_demo()
        verb = "Created" if created else "Found"
        self.stdout.write(f"{verb} demo project {project.name!r}.")
        self.stdout.write("Log in as demo/demo (staff, owner), alice/alice or bob/bob (editors).")
