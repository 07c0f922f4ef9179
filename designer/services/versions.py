"""Versions of a design: save, compare any two, restore (as a new version). History is never rewritten."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from designer.models import Project, Role, SchemaVersion
from designer.schema.diff import diff, summarize
from designer.schema.snapshot import Snapshot, canonicalize, empty_snapshot, schema_hash

from .permissions import require_role
from .snapshots import project_snapshot, replace_design


@transaction.atomic
def save_version(
    project: Project, *, actor, message: str = "", snapshot: Snapshot | None = None, check_role: bool = True
) -> SchemaVersion:
    """Record the design (or ``snapshot``) as the next version, with its changes against the previous one."""
    if check_role:
        require_role(project, actor, Role.EDITOR)
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one numbering at a time
    snapshot = canonicalize(snapshot if snapshot is not None else project_snapshot(project))
    parent = latest_version(project)
    base = canonicalize(parent.schema_snapshot) if parent else empty_snapshot()
    number = (SchemaVersion.objects.filter(project=project).aggregate(n=Max("version_number"))["n"] or 0) + 1
    return SchemaVersion.objects.create(
        project=project,
        version_number=number,
        schema_hash=schema_hash(snapshot),
        schema_snapshot=snapshot,
        changes=diff(base, snapshot, canonical=True),
        parent_version=parent,
        message=(message or "").strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def latest_version(project: Project) -> SchemaVersion | None:
    return SchemaVersion.objects.filter(project=project).order_by("-version_number").first()


def version_for_design(project: Project, *, actor, message: str, snapshot: Snapshot | None = None) -> SchemaVersion:
    """The latest version if it is exactly the current design, else a new version (every deploy has one)."""
    snapshot = snapshot if snapshot is not None else project_snapshot(project)
    latest = latest_version(project)
    if latest and latest.schema_hash == schema_hash(snapshot):
        return latest
    return save_version(project, actor=actor, message=message, snapshot=snapshot, check_role=False)


def summary(version: SchemaVersion) -> str:
    return summarize(version.changes)


def compare(older: SchemaVersion | None, newer: SchemaVersion) -> dict:
    """Readable changes and the target dialect's SQL between two versions (``older`` None = from empty)."""
    from .targets import target_for

    base = older.schema_snapshot if older else empty_snapshot()
    forward, reverse = target_for(newer.project).compile(base, newer.schema_snapshot, "compare")
    ops = diff(base, newer.schema_snapshot)
    return {"changes": ops, "summary": summarize(ops), "forward": forward, "reverse": reverse}


@transaction.atomic
def restore_version(version: SchemaVersion, *, actor) -> SchemaVersion:
    """Put a version's design back into the project and record that as a new version."""
    project = version.project
    require_role(project, actor, Role.EDITOR)
    replace_design(project, version.schema_snapshot, actor=actor)
    return save_version(project, actor=actor, message=f"Restored version {version.version_number}")
