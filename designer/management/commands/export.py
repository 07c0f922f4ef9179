"""``manage.py export PROJECT --format KEY [-o FILE]`` — any format in the export registry."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from designer.exporters import FORMATS
from designer.models import SchemaVersion
from designer.schema.snapshot import canonicalize
from designer.services.imports import with_canvas
from designer.services.snapshots import project_snapshot

from ._project import find_project


class Command(BaseCommand):
    help = "Write a project's design in an export format (stdout, or -o FILE)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="project slug, name or id")
        parser.add_argument("--format", required=True, dest="fmt", help=f"one of: {', '.join(sorted(FORMATS))}")
        parser.add_argument("--schema-version", type=int, dest="number", help="export saved version N, not the design")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, project: str, fmt: str, number: int | None, output: str | None = None, **options) -> None:
        if fmt not in FORMATS:
            raise CommandError(f"Unknown format {fmt!r}. Formats: {', '.join(sorted(FORMATS))}.")
        found = find_project(project)
        if number is None:
            snapshot = project_snapshot(found)
        else:
            version = SchemaVersion.objects.filter(project=found, version_number=number).first()
            if version is None:
                raise CommandError(f"Project {found.name!r} has no version {number}.")
            snapshot = canonicalize(version.schema_snapshot)
        text = FORMATS[fmt].render(with_canvas(found, snapshot))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output} ({FORMATS[fmt].label})")
        else:
            self.stdout.write(text, ending="")
