"""``manage.py import FILE|URL --format dbml|sql|live|json`` — preview or import a schema into a project."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from designer.importers import formats
from designer.models import Project
from designer.schema.snapshot import schema_hash
from designer.services.imports import apply_import, read_import
from designer.services.snapshots import project_snapshot

from ._project import find_actor


class Command(BaseCommand):
    help = (
        "Import a schema into a new project (or, with --replace, over an existing one's design), all or nothing. "
        "Lists every object the designer cannot hold. FILE may be - for standard input; --format live takes a "
        "postgresql:// URL and --schema."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="file to read (- for standard input), or a postgresql:// URL for live")
        parser.add_argument("--format", required=True, choices=sorted(formats()), dest="fmt")
        parser.add_argument("--schema", default="public", help="schema to read with --format live (default public)")
        parser.add_argument("--project", help="name of the new project (default: the name the source gives)")
        parser.add_argument("--replace", action="store_true", help="replace the design of the existing --project")
        parser.add_argument("--user", help="acting user (default: the first superuser or staff user)")
        parser.add_argument("--dry-run", action="store_true", help="only show what would be imported")

    def handle(self, *args, source: str, fmt: str, schema: str, project: str | None, replace: bool,
               user: str | None, dry_run: bool, **options) -> None:  # fmt: skip
        text = source
        if fmt != "live":
            try:
                text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot read {source}: {exc.strerror}") from exc
        try:
            result = read_import(text, fmt, schema=schema)
        except ValidationError as exc:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(exc.messages)) from exc
        self._report(result)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
            return
        target = None
        if replace:
            if not project:
                raise CommandError("--replace needs --project NAME (the project whose design is replaced).")
            target = Project.objects.filter(slug=project).first() or Project.objects.filter(name=project).first()
            if target is None:
                raise CommandError(f"No project {project!r} to replace.")
        try:
            created = apply_import(result, actor=find_actor(user), project=target, name=None if target else project)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(messages)) from exc
        digest = schema_hash(project_snapshot(created))
        verb = "Replaced the design of" if target else "Imported"
        self.stdout.write(f"{verb} {created.name!r} (slug {created.slug}, schema_hash {digest})")
        for group in result.removed_groups:
            self.stdout.write(f"Removed the table group {group!r}: none of its tables is in the import.")

    def _report(self, result) -> None:
        self.stdout.write(f"{len(result.table_names)} table(s): {', '.join(result.table_names) or 'none'}")
        self.stdout.write(f"{len(result.snapshot['relationships'])} relationship(s)")
        if result.unsupported:
            self.stdout.write(f"Not imported ({len(result.unsupported)}), the designer cannot hold these:")
            for item in result.unsupported:
                self.stdout.write(f"  - {item.kind} {item.name}: {item.detail}")
        for note in result.notes:
            self.stdout.write(f"  note: {note}")
