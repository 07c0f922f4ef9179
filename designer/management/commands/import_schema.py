from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from designer.models import Project
from designer.schema.snapshot import loads, schema_hash
from designer.services.snapshots import import_snapshot, project_snapshot

from ._project import find_actor


class Command(BaseCommand):
    help = "Create a project from a snapshot JSON file (all or nothing). Use - to read standard input."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="snapshot JSON file, or - for standard input")
        parser.add_argument("--project", help="name of the new project (default: the name in the file)")
        parser.add_argument("--user", help="owner of the new project (default: the first superuser or staff user)")

    def handle(self, *args, file: str, project: str | None = None, user: str | None = None, **options) -> None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        owner = find_actor(user)
        try:
            snapshot = loads(text)
            if project and Project.objects.filter(name=project, is_active=True).exists():
                raise CommandError(f"A project named {project!r} already exists; pass another --project name.")
            created = import_snapshot(snapshot, actor=owner, name=project)
        except ValidationError as exc:
            raise CommandError("The schema was not imported:\n  - " + "\n  - ".join(exc.messages)) from exc
        digest = schema_hash(project_snapshot(created))
        self.stdout.write(f"Imported {created.name!r} (slug {created.slug}, schema_hash {digest})")
