"""Designer models, one module per aggregate."""

from .apikey import ApiKey
from .deploy import DeployKind, DeployRun, DeployStatus
from .environment import DeployRight, Environment
from .layout import StickyNote, TableGroup
from .lock import TableLock
from .presence import Presence
from .project import Project, ProjectMembership, Role
from .relationship import TableRelationship
from .table import ConstraintColumn, DataField, DataTable, IndexColumn, TableConstraint, TableIndex
from .version import SchemaVersion

__all__ = [
    "ApiKey",
    "ConstraintColumn",
    "DataField",
    "DataTable",
    "DeployKind",
    "DeployRight",
    "DeployRun",
    "DeployStatus",
    "Environment",
    "IndexColumn",
    "Presence",
    "Project",
    "ProjectMembership",
    "Role",
    "SchemaVersion",
    "StickyNote",
    "TableConstraint",
    "TableGroup",
    "TableIndex",
    "TableLock",
    "TableRelationship",
]
