from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Presence(models.Model):
    """One open project page (websocket) of a user: who is viewing the project right now.

    Kept in the database so every server process sees the same list; a socket's row goes when it closes, and
    the sweep removes rows whose socket stopped answering (``seen_at`` too old: the server process died).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("designer.Project", on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connected_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["project", "connected_at"], name="presence_project_idx"),
            models.Index(fields=["seen_at"], name="presence_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project}"
