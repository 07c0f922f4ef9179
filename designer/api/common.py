"""What every API handler shares: reading a project's tables in seed 001's shape, and the write envelope
(rate limit, If-Match, the table lock for the write's own transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from designer.models import DataTable, Project, TableIndex
from designer.services import deploy as deploy_service
from designer.services import locks
from designer.services.snapshots import project_snapshot

from . import ratelimit
from .design import table_id, table_schema_out
from .errors import ApiError


def tables_out(project: Project, uids: list[str] | None = None, *, include_deleted: bool = False) -> list[dict]:
    """Seed 001's table bodies of the project (or of the tables with these stable ids), in a constant number of
    queries: the snapshot, the tables' times and revisions, the deployed names, one count over the target."""
    snapshot = project_snapshot(project)
    chosen = [
        t
        for t in snapshot["tables"]
        if (uids is None or t["id"] in uids) and (include_deleted or uids is not None or t["status"] != "deleted")
    ]
    meta = {
        str(uid): (created, updated, revision)
        for uid, created, updated, revision in DataTable.objects.filter(project=project).values_list(
            "uid", "created_at", "updated_at", "revision"
        )
    }
    created_order = {
        str(uid): created
        for uid, created in TableIndex.objects.filter(table__project=project).values_list("uid", "created_at")
    }
    deployed = {t["id"]: t["table_name"] for t in deploy_service.deployed_snapshot(project)["tables"]}
    counts = deploy_service.live_row_counts(project, [deployed[t["id"]] for t in chosen if t["id"] in deployed])
    out = []
    for t in chosen:
        created, updated, revision = meta[t["id"]]
        live = deployed.get(t["id"])
        out.append(
            {
                "id": table_id(t["id"]),
                "table_name": t["table_name"],
                "description": t["description"],
                "schema": table_schema_out(t, snapshot, index_order=created_order),
                "project_id": project.slug,
                "row_count": None if counts is None else (counts.get(live, 0) if live else 0),
                "created_at": created,
                "updated_at": None if updated == created else updated,
                "_revision": revision,
            }
        )
    return out


def table_out(request: HttpRequest, table: DataTable) -> dict[str, Any]:
    """One table's body; sets its ``ETag`` (the table's revision) on the response."""
    body = tables_out(table.project, [str(table.uid)])[0]
    request.api_headers = {**getattr(request, "api_headers", {}), "ETag": f'"{body.pop("_revision")}"'}
    return body


def set_etag(request: HttpRequest, table: DataTable) -> None:
    """The ``ETag`` of a sub-resource answer: its table's current revision."""
    revision = DataTable.objects.filter(pk=table.pk).values_list("revision", flat=True).first()
    request.api_headers = {**getattr(request, "api_headers", {}), "ETag": f'"{revision}"'}


def snapshot_table(table: DataTable) -> tuple[dict, dict]:
    """The table as the canonical snapshot has it, and the project's snapshot."""
    snapshot = project_snapshot(table.project)
    return next(t for t in snapshot["tables"] if t["id"] == str(table.uid)), snapshot


def _if_match(request: HttpRequest) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError:
        raise ApiError(
            "VALIDATION_ERROR",
            f'If-Match must be the ETag of the table as last read (e.g. "3"), got {raw!r}.',
            details=[{"loc": ["header", "If-Match"], "msg": "not a revision"}],
        ) from None


@contextmanager
def writing(request: HttpRequest, table: DataTable | None = None) -> Iterator[None]:
    """A schema update: counted against the key's limit; refused (412) when ``If-Match`` names an older revision
    of ``table``; every write inside locks its table for this transaction only and is refused (423) while
    someone else holds the table's lock, exactly as the designer's own writes are."""
    ratelimit.hit(request, "schema_updates")
    expected = _if_match(request) if table is not None else None
    key = request.auth
    with locks.unattended(f"API key {key.prefix}"), transaction.atomic():
        if expected is not None:
            current = DataTable.objects.select_for_update().filter(pk=table.pk).values_list("revision", flat=True)
            revision = current.first()
            if revision is not None and revision != expected:
                body = table_out(request, table)
                raise ApiError(
                    "REVISION_CONFLICT",
                    f"{table.table_name} changed since you read it (If-Match {expected}, it is now at revision "
                    f"{revision}). Nothing was saved; the current state is in 'current' — apply your change to it "
                    "and send it with the new ETag.",
                    current=_jsonable(body),
                    headers={"ETag": f'"{revision}"'},
                )
        yield


def _jsonable(body: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.items()}
