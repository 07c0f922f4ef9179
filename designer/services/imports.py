"""Import a schema (DBML, PostgreSQL DDL, a live database, snapshot JSON) into a new or existing project.

``read_import`` reads the source into an :class:`~designer.importers.ImportResult` (nothing written: this
is the preview); ``apply_import`` writes that result in one transaction — a new project, or the whole
design of an existing one replaced — or nothing at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from designer.importers import ImportResult, ImportSyntaxError, read
from designer.models import DataTable, Project, Role, StickyNote, TableGroup
from designer.schema.snapshot import Snapshot

from .permissions import require_role
from .snapshots import import_snapshot

MAX_SOURCE_CHARS = 5_000_000


def read_import(source: str, fmt: str, *, schema: str = "public") -> ImportResult:
    """Read ``source`` in ``fmt``. Raises ``ValidationError`` keyed ``source`` (or ``schema``) with what is
    wrong and where."""
    if not (source or "").strip():
        what = "a connection URL such as postgresql://user@host:5432/dbname" if fmt == "live" else "the text"
        raise ValidationError({"source": [f"Nothing to import: give {what}."]})
    if len(source) > MAX_SOURCE_CHARS:
        raise ValidationError(
            {"source": [f"The input is {len(source):,} characters; the limit is {MAX_SOURCE_CHARS:,}."]}
        )
    if fmt == "live":
        _check_url(source.strip())
    try:
        return read(source.strip() if fmt == "live" else source, fmt, schema=(schema or "public").strip())
    except ImportSyntaxError as exc:
        key = "schema" if fmt == "live" and "no schema" in exc.messages[0] else "source"
        raise ValidationError({key: exc.messages}) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"source": ["The schema reads, but it breaks design rules:", *exc.messages]}) from exc


def _check_url(url: str) -> None:
    """A live import names its server and database explicitly (no silent local-socket defaults)."""
    example = "postgresql://user@host:5432/dbname"
    if not url.startswith(("postgres://", "postgresql://")):
        raise ValidationError({"source": [f"A live import needs a PostgreSQL URL such as {example}."]})
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise ValidationError({"source": [f"The URL cannot be read ({exc}); write it like {example}."]}) from exc
    if not host or not parts.path.strip("/"):
        raise ValidationError({"source": [f"Give the server and the database name in the URL, like {example}."]})


@transaction.atomic
def apply_import(result: ImportResult, *, actor, project: Project | None = None, name: str | None = None) -> Project:
    """Write an import: a new project named ``name`` (default: the name the source gives), or the design of
    ``project`` replaced; then the table groups and notes the source carried. All or nothing.

    Replacing: the project's own table groups keep those of their tables (by name) the import still has; a
    group left with none is removed, and its name listed in ``result.removed_groups``."""
    members: dict = {}
    if project is not None:
        require_role(project, actor, Role.EDITOR)
        for group_id, table_name in TableGroup.tables.through.objects.filter(tablegroup__project=project).values_list(
            "tablegroup_id", "datatable__table_name"
        ):
            members.setdefault(group_id, set()).add(table_name)
    snapshot = dict(result.snapshot)
    if project is None and not (name or (snapshot.get("project") or {}).get("name")):
        name = "Imported schema"
    replacing = project is not None
    project = import_snapshot(snapshot, actor=actor, project=project, name=name or None)
    carried = _write_canvas(project, result, actor)
    result.removed_groups = _regroup(project, members, carried) if replacing else []
    return project


def _regroup(project: Project, members: dict, carried: set[str]) -> list[str]:
    """After a replacement: the project's groups (except those the import carried, ``carried`` names) take
    back their tables that are still there (``members``: group id -> table names before); the groups left
    empty are deleted. Returns their names."""
    tables = {t.table_name: t for t in DataTable.objects.filter(project=project)}
    removed = []
    for group in TableGroup.objects.filter(project=project).exclude(name__in=carried).order_by("name"):
        kept = [tables[n] for n in sorted(members.get(group.pk, ())) if n in tables]
        if kept:
            group.tables.set(kept)
        else:
            removed.append(group.name)
            group.delete()
    return removed


def _write_canvas(project: Project, result: ImportResult, actor) -> set[str]:
    """The import's table groups (a group of the same name is replaced) and sticky notes, placed clear of
    the tables. Returns the names of the groups written."""
    from .layout import COLOR, GROUP_COLORS, NOTE_COLORS, new_table_position

    tables = {t.table_name: t for t in DataTable.objects.filter(project=project)}
    count = TableGroup.objects.filter(project=project).count()
    written: set[str] = set()
    for n, group in enumerate(result.groups):
        color = str(group.get("color") or "").lower()
        if not COLOR.match(color):
            color = GROUP_COLORS[(count + n) % len(GROUP_COLORS)]
        made, _created = TableGroup.objects.update_or_create(
            project=project, name=group["name"].strip()[:80], defaults={"color": color}
        )
        made.tables.set([tables[t] for t in group["tables"] if t in tables])
        written.add(made.name)
    user = actor if getattr(actor, "is_authenticated", False) else None
    for note in result.sticky_notes:
        x, y = new_table_position(project)
        StickyNote.objects.create(
            project=project, text=note["text"][:2000], color=NOTE_COLORS[0], position_x=x, position_y=y, created_by=user
        )
    return written


def with_canvas(project: Project, snapshot: Snapshot) -> Snapshot:
    """``snapshot`` with the project's table groups and sticky notes under ``layout`` (not hashed), for
    exports that can say them (DBML ``TableGroup`` / ``Note``): ``layout.groups`` [{"name", "color",
    "tables": [table id, ...]}] — only tables present in ``snapshot`` (e.g. a saved version) — and
    ``layout.notes`` [{"text", "color"}]."""
    doc = dict(snapshot)
    layout = dict(doc.get("layout") or {})
    present = {t["id"] for t in doc.get("tables", [])}
    groups = []
    for group in TableGroup.objects.filter(project=project).prefetch_related("tables").order_by("name"):
        ids = sorted(str(t.uid) for t in group.tables.all() if str(t.uid) in present)
        groups.append({"name": group.name, "color": group.color, "tables": ids})
    layout["groups"] = groups
    layout["notes"] = [
        {"text": n.text, "color": n.color} for n in StickyNote.objects.filter(project=project).order_by("created_at")
    ]
    doc["layout"] = layout
    return doc


def replacement_summary(project: Project, result: ImportResult) -> dict[str, list]:
    """What importing ``result`` into ``project`` does to its current design, matched by table name:
    ``removed`` (tables there now that the import does not have), ``changed`` ((table, what changes) for
    tables in both whose columns differ), ``added`` (new tables) and ``unchanged``."""
    from .snapshots import project_snapshot

    def columns(table: dict) -> dict[str, tuple]:
        return {
            f["field_name"]: (f["data_type"], f["config"], f["required"], f["unique"], f["default"])
            for f in table["fields"]
        }

    now = {t["table_name"]: t for t in project_snapshot(project)["tables"] if t.get("status") != "deleted"}
    new = {t["table_name"]: t for t in result.snapshot["tables"]}
    changed, unchanged = [], []
    for name in sorted(now.keys() & new.keys()):
        before, after = columns(now[name]), columns(new[name])
        what = []
        if gone := [c for c in before if c not in after]:
            what.append(f"removes {', '.join(gone)}")
        if added := [c for c in after if c not in before]:
            what.append(f"adds {', '.join(added)}")
        if altered := [c for c in before if c in after and before[c] != after[c]]:
            what.append(f"changes {', '.join(altered)}")
        if what:
            changed.append((name, "; ".join(what)))
        else:
            unchanged.append(name)
    return {
        "removed": sorted(now.keys() - new.keys()),
        "changed": changed,
        "added": sorted(new.keys() - now.keys()),
        "unchanged": unchanged,
    }
