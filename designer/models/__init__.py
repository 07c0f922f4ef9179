"""Designer models, one module per aggregate."""

from .lock import TableLock
from .presence import Presence
from .project import Project, ProjectMembership, Role
from .relationship import TableRelationship
from .table import ConstraintColumn, DataField, DataTable, IndexColumn, TableConstraint, TableIndex
from .version import SchemaVersion

__all__ = [
    "ConstraintColumn",
    "DataField",
    "DataTable",
    "IndexColumn",
    "Presence",
    "Project",
    "ProjectMembership",
    "Role",
    "SchemaVersion",
    "TableConstraint",
    "TableIndex",
    "TableLock",
    "TableRelationship",
]
