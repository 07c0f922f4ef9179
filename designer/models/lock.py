from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords


class LockType(models.TextChoices):
    OPTIMISTIC = "optimistic", "Optimistic (short lease, heartbeat)"
    PESSIMISTIC = "pessimistic", "Pessimistic (explicit, long)"
    CRITICAL = "critical", "Critical (deploy)"


class TableLock(models.Model):
    """A lock on a table (seed 002: TableLock). A lock is *active* until ``released_at`` is set.

    The database allows one active lock per table (partial unique index). An expired lock stays active
    until the expiry sweep (or the next acquire) releases it, so that its expiry is recorded and broadcast.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    table = models.ForeignKey("designer.DataTable", on_delete=models.CASCADE, related_name="locks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="table_locks")
    lock_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lock_type = models.CharField(max_length=12, choices=LockType.choices, default=LockType.OPTIMISTIC)
    locked_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(
        max_length=20, blank=True, help_text="released, expired or forced (and by whom, in history)."
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who released it: the holder, or the owner/staff member who forced it.",
    )
    # Every row is one lease, kept after release; a forced release also gets a history record naming who broke it.
    history = HistoricalRecords(excluded_fields=["lock_token"])

    class Meta:
        ordering = ["-locked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["table"], condition=Q(released_at__isnull=True), name="one_active_lock_per_table"
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("locked_at")), name="lock_expires_after_locked"),
            models.CheckConstraint(condition=Q(lock_type__in=LockType.values), name="lock_type_valid"),
        ]
        indexes = [models.Index(fields=["released_at", "expires_at"], name="lock_active_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.lock_type} lock on {self.table} by {self.user}"
