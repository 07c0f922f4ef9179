from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class DeployStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (nothing applied)"
    FAILED_VERIFICATION = "failed_verification", "Applied, but the database differs from the design"


class DeployKind(models.TextChoices):
    DEPLOY = "deploy", "Deploy"
    ROLLBACK = "rollback", "Rollback"


class DeployRun(models.Model):
    """One deploy or rollback of a project to one of its environments: who, when, what SQL, and how it ended."""

    project = models.ForeignKey("designer.Project", on_delete=models.CASCADE, related_name="deploy_runs")
    environment = models.ForeignKey(
        "designer.Environment", on_delete=models.PROTECT, related_name="runs", help_text="Where the run deployed."
    )
    number = models.PositiveIntegerField(help_text="Sequential per project; also tags what the run kept aside.")
    kind = models.CharField(max_length=10, choices=DeployKind.choices, default=DeployKind.DEPLOY)
    status = models.CharField(max_length=20, choices=DeployStatus.choices, default=DeployStatus.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_version = models.ForeignKey(
        "designer.SchemaVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_version = models.ForeignKey(
        "designer.SchemaVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_hash = models.CharField(max_length=64, blank=True, help_text="schema_hash of what was deployed before.")
    to_hash = models.CharField(max_length=64, blank=True, help_text="schema_hash of what the run deploys.")
    target_schema = models.CharField(max_length=63)
    statements = models.JSONField(default=list, blank=True, help_text="The forward plan: sql, lock, risk, figures.")
    reverse_statements = models.JSONField(default=list, blank=True, help_text="The plan that undoes this run.")
    statements_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    failed_statement = models.TextField(blank=True)
    verification = models.JSONField(default=list, blank=True, help_text="Differences found after the run.")
    live_warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="Objects in the target the design cannot hold (views, triggers…) after the run.",
    )
    reverts = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reverted_by")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="deploy_run_number_unique"),
            models.CheckConstraint(condition=Q(status__in=DeployStatus.values), name="deploy_run_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=DeployKind.values), name="deploy_run_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.kind} #{self.number} ({self.status})"

    @property
    def sql(self) -> str:
        return "\n".join(s["sql"] for s in self.statements)

    @property
    def tag(self) -> str:
        return f"d{self.number}"
