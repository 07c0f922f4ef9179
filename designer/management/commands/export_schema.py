from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from designer.schema.snapshot import dumps, schema_hash
from designer.services.snapshots import project_snapshot

from ._project import find_project


class Command(BaseCommand):
    help = "Write a project's design as canonical snapshot JSON (stdout, or -o FILE)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, project: str, output: str | None = None, **options) -> None:
        snapshot = project_snapshot(find_project(project))
        text = dumps(snapshot)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output} (schema_hash {schema_hash(snapshot)})")
        else:
            self.stdout.write(text, ending="")
