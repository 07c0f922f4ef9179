"""The demo: users demo / alice / bob and the "DataInsight Pro" project holding seed 003's schema.

Built through the services, like a person drawing it would, so the demo obeys every design rule.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from designer.models import DataTable, Project, Role
from designer.services import fields as field_service
from designer.services import indexes as index_service
from designer.services import locks
from designer.services import projects as project_service
from designer.services import relationships as rel_service
from designer.services import tables as table_service

DEMO_PROJECT = "DataInsight Pro"
DEMO_USERS = (("demo", True), ("alice", False), ("bob", False))

DATASET_STATUS = ["pending", "processing", "completed", "failed"]
ANALYSIS_STATUS = ["pending", "running", "completed", "failed"]
GOAL_TYPES = ["ml_preparation", "general_audit", "data_quality", "exploratory"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]
INSIGHT_TYPES = ["missing_data", "outliers", "duplicates", "data_type_mismatch", "pattern_violation", "quality_issue"]

PK = {"data_type": "integer", "field_config": {"identity": True}, "primary_key": True}
TIMESTAMPS = [
    ("created_at", {"data_type": "timestamptz", "is_required": True, "default_value": "now()"}),
    ("updated_at", {"data_type": "timestamptz", "is_required": True, "default_value": "now()"}),
]

# table -> (description, [(field, options)])
SCHEMA: dict[str, tuple[str, list[tuple[str, dict]]]] = {
    "users": (
        "User authentication and profile data.",
        [
            ("id", PK),
            (
                "email",
                {"data_type": "string", "field_config": {"max_length": 255}, "is_required": True, "is_unique": True},
            ),
            ("password_hash", {"data_type": "string", "field_config": {"max_length": 255}, "is_required": True}),
            ("full_name", {"data_type": "string", "field_config": {"max_length": 255}, "is_required": True}),
            ("is_active", {"data_type": "boolean", "is_required": True, "default_value": "true"}),
            *TIMESTAMPS,
        ],
    ),
    "workspaces": (
        "Multi-tenant workspace organisation.",
        [
            ("id", PK),
            ("name", {"data_type": "string", "field_config": {"max_length": 255}, "is_required": True}),
            ("owner_id", {"data_type": "integer", "is_required": True}),
            *TIMESTAMPS,
        ],
    ),
    "datasets": (
        "Uploaded file metadata.",
        [
            ("id", PK),
            ("name", {"data_type": "string", "field_config": {"max_length": 255}, "is_required": True}),
            ("file_path", {"data_type": "string", "field_config": {"max_length": 500}, "is_required": True}),
            ("file_size", {"data_type": "bigint", "is_required": True, "description": "Size in bytes."}),
            ("row_count", {"data_type": "integer"}),
            ("column_count", {"data_type": "integer"}),
            (
                "status",
                {
                    "data_type": "text",
                    "field_config": {"max_length": 20, "choices": DATASET_STATUS},
                    "is_required": True,
                    "default_value": "pending",
                },
            ),
            ("workspace_id", {"data_type": "integer", "is_required": True}),
            ("uploaded_by", {"data_type": "integer", "is_required": True}),
            ("uploaded_at", {"data_type": "timestamptz", "is_required": True, "default_value": "now()"}),
            *TIMESTAMPS,
        ],
    ),
    "analyses": (
        "Analysis execution metadata and results.",
        [
            ("id", PK),
            ("dataset_id", {"data_type": "integer", "is_required": True}),
            (
                "goal_type",
                {"data_type": "text", "field_config": {"max_length": 30, "choices": GOAL_TYPES}, "is_required": True},
            ),
            (
                "status",
                {
                    "data_type": "text",
                    "field_config": {"max_length": 20, "choices": ANALYSIS_STATUS},
                    "is_required": True,
                    "default_value": "pending",
                },
            ),
            ("quality_score", {"data_type": "float", "description": "0 to 100."}),
            ("started_at", {"data_type": "timestamptz"}),
            ("completed_at", {"data_type": "timestamptz"}),
            ("error_message", {"data_type": "text"}),
            *TIMESTAMPS,
        ],
    ),
    "column_profiles": (
        "Column-level statistics of an analysis.",
        [
            ("id", PK),
            ("analysis_id", {"data_type": "integer", "is_required": True}),
            ("column_name", {"data_type": "string", "field_config": {"max_length": 255}, "is_required": True}),
            ("data_type", {"data_type": "string", "field_config": {"max_length": 50}, "is_required": True}),
            ("null_count", {"data_type": "integer", "is_required": True}),
            ("unique_count", {"data_type": "integer", "is_required": True}),
            ("min_value", {"data_type": "string", "field_config": {"max_length": 255}}),
            ("max_value", {"data_type": "string", "field_config": {"max_length": 255}}),
            ("mean", {"data_type": "float"}),
            ("median", {"data_type": "float"}),
            ("distribution_data", {"data_type": "json"}),
        ],
    ),
    "insights": (
        "AI-generated insights and recommendations.",
        [
            ("id", PK),
            ("analysis_id", {"data_type": "integer", "is_required": True}),
            (
                "severity",
                {"data_type": "text", "field_config": {"max_length": 10, "choices": SEVERITIES}, "is_required": True},
            ),
            (
                "type",
                {
                    "data_type": "text",
                    "field_config": {"max_length": 30, "choices": INSIGHT_TYPES},
                    "is_required": True,
                },
            ),
            ("description", {"data_type": "text", "is_required": True}),
            ("recommendation", {"data_type": "text", "is_required": True}),
            ("code_suggestion", {"data_type": "text"}),
            ("created_at", {"data_type": "timestamptz", "is_required": True, "default_value": "now()"}),
        ],
    ),
}

# (referencing table.field, referenced table.field, on_delete)
FOREIGN_KEYS = [
    ("workspaces.owner_id", "users.id", "cascade"),
    ("datasets.workspace_id", "workspaces.id", "cascade"),
    ("datasets.uploaded_by", "users.id", "no_action"),
    ("analyses.dataset_id", "datasets.id", "cascade"),
    ("column_profiles.analysis_id", "analyses.id", "cascade"),
    ("insights.analysis_id", "analyses.id", "cascade"),
]

INDEXES = [
    ("workspaces", ["owner_id"], False),
    ("datasets", ["workspace_id"], False),
    ("datasets", ["uploaded_by"], False),
    ("datasets", ["status"], False),
    ("analyses", ["dataset_id"], False),
    ("analyses", ["status"], False),
    ("column_profiles", ["analysis_id"], False),
    ("column_profiles", ["analysis_id", "column_name"], False),
    ("insights", ["analysis_id"], False),
    ("insights", ["severity"], False),
]

LAYOUT = {
    "users": (40, 40),
    "workspaces": (400, 40),
    "datasets": (760, 40),
    "analyses": (760, 420),
    "column_profiles": (400, 420),
    "insights": (1120, 420),
}


def ensure_users() -> dict[str, object]:
    User = get_user_model()
    # demo is the staff member of the demo: every designer permission (so /admin/ shows every model with its
    # history), deploying included
    staff_permissions = list(Permission.objects.filter(content_type__app_label="designer"))
    users = {}
    for username, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
        if created:
            user.set_password(username)
            user.save()
        if staff:
            user.user_permissions.add(*staff_permissions)
        users[username] = user
    return users


@transaction.atomic
def build_demo_project(owner) -> Project:
    """Create DataInsight Pro with seed 003's schema through the services."""
    project = project_service.create_project(
        actor=owner,
        name=DEMO_PROJECT,
        description="Seed 003's database layer: users, workspaces, datasets, analyses, column profiles, insights.",
    )
    tables: dict[str, DataTable] = {
        table_name: table_service.create_table(
            project, actor=owner, table_name=table_name, description=description, position=LAYOUT[table_name]
        )
        for table_name, (description, _columns) in SCHEMA.items()
    }
    fields = {}
    with locks.holding(tables.values(), actor=owner, reason="Building the demo") as held:
        for table_name, (_description, columns) in SCHEMA.items():
            table = tables[table_name]
            for field_name, options in columns:
                fields[f"{table_name}.{field_name}"] = field_service.create_field(
                    table, actor=owner, field_name=field_name, **options, **held.args(table)
                )
        for referencing, referenced, on_delete in FOREIGN_KEYS:
            target = tables[referencing.split(".")[0]]
            rel_service.create_relationship(
                project,
                actor=owner,
                source_field=fields[referenced],
                target_field=fields[referencing],
                on_delete=on_delete,
                **held.args(target),
            )
        for table_name, columns, unique in INDEXES:
            index_service.create_index(
                tables[table_name],
                actor=owner,
                field_ids=[fields[f"{table_name}.{c}"].pk for c in columns],
                is_unique=unique,
                **held.args(tables[table_name]),
            )
        index_service.create_constraint(
            tables["analyses"],
            actor=owner,
            kind="check",
            expression="quality_score BETWEEN 0 AND 100",
            name="analyses_quality_score_range",
            **held.args(tables["analyses"]),
        )
    return project


def load_demo(*, force: bool = False) -> tuple[Project | None, bool]:
    """Create the demo users and project when missing. Refuses outside DEBUG unless ``force``.

    Returns (project, created).
    """
    if not settings.DEBUG and not force:
        raise RuntimeError("The demo loads only with DEBUG=1 (it creates users whose password is their name).")
    users = ensure_users()
    existing = Project.objects.filter(name=DEMO_PROJECT).first()
    if existing:
        return existing, False
    project = build_demo_project(users["demo"])
    for name in ("alice", "bob"):
        project_service.set_member(project, actor=users["demo"], username=name, role=Role.EDITOR)
    return project, True
