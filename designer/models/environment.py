from __future__ import annotations

from django.db import models
from django.db.models import Q


class DeployRight(models.TextChoices):
    EDITORS = "editors", "Project editors and owners"
    DEPLOYERS = "deployers", "Users with the deploy permission"


class Environment(models.Model):
    """Where a project's design runs: ``dev``, ``staging``, ``prod``… Each has its own target (a schema of
    ``DEPLOY_DATABASE_URL``, or its own database from ``DEPLOY_DATABASE_URL_<NAME>``), deployed version, runs,
    drift and data. The primary environment (empty ``schema_suffix``) deploys into the project's own schema."""

    project = models.ForeignKey("designer.Project", on_delete=models.CASCADE, related_name="environments")
    name = models.CharField(max_length=20, help_text="Lower-case letters, digits and _ (also names its schema).")
    position = models.PositiveSmallIntegerField(default=0, help_text="Promotion order: a design goes left to right.")
    schema_suffix = models.CharField(
        max_length=21, blank=True, help_text="Appended to the project's schema; empty for the primary environment."
    )
    deploy_right = models.CharField(max_length=10, choices=DeployRight.choices, default=DeployRight.DEPLOYERS)
    allow_seeding = models.BooleanField(default=True, help_text="Sample data may be written here.")
    last_rehearsal = models.JSONField(
        default=dict, blank=True, help_text="The last rehearsal's report, with the digest of the plan it ran."
    )
    seeded_keys = models.JSONField(
        default=dict,
        blank=True,
        help_text="Keys of the rows seeding added, per table.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="environment_name_unique"),
            models.UniqueConstraint(fields=["project", "schema_suffix"], name="environment_schema_unique"),
            models.CheckConstraint(condition=Q(name__regex=r"^[a-z][a-z0-9_]{0,19}$"), name="environment_name_valid"),
            models.CheckConstraint(
                condition=Q(schema_suffix="") | Q(schema_suffix__regex=r"^_[a-z][a-z0-9_]{0,19}$"),
                name="environment_suffix_valid",
            ),
            models.CheckConstraint(condition=Q(deploy_right__in=DeployRight.values), name="environment_right_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.project} / {self.name}"

    @property
    def is_primary(self) -> bool:
        return self.schema_suffix == ""

    @property
    def database_variable(self) -> str:
        """The variable that, when set, gives this environment a database of its own."""
        return f"DEPLOY_DATABASE_URL_{self.name.upper()}"
