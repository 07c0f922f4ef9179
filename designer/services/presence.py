"""Who is viewing a project: ``Presence`` rows of open websockets, pruned when their socket stopped answering."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from designer.models import Presence
from designer.realtime import events


@transaction.atomic
def prune_presence() -> int:
    """Delete presence not refreshed for ``PRESENCE_TIMEOUT`` seconds and broadcast ``presence.left`` (once)."""
    cutoff = timezone.now() - timedelta(seconds=getattr(settings, "PRESENCE_TIMEOUT", 90))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Presence._meta.db_table} WHERE seen_at < %s RETURNING id, project_id, user_id", [cutoff]
        )
        rows = cursor.fetchall()
    if rows:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.in_bulk({row[2] for row in rows})
        for conn, project_id, user_id in rows:
            events.presence_left(project_id, user=users[user_id], conn=conn)
    return len(rows)
