"""Who may do what in a project: owner > editor > viewer; staff may do everything."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet

from designer.models import Project, ProjectMembership, Role
from designer.models.project import ROLE_RANK

User = AbstractBaseUser | AnonymousUser


def role_of(project: Project, user: User) -> str | None:
    """The user's role in the project (``None`` when not a member). Staff count as owners."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_staff:
        return Role.OWNER
    cached = getattr(project, "_role_cache", {})
    if user.pk not in cached:
        cached[user.pk] = (
            ProjectMembership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
        )
        project._role_cache = cached
    return cached[user.pk]


def with_role(queryset: QuerySet, user: User, project: str = "") -> QuerySet:
    """``queryset`` narrowed to rows whose project (at the path ``project`` from the queryset's model; empty: the
    rows are projects) ``user`` is a member of, each annotated with that member's role (``my_role``, one join),
    so :func:`remember_role` fills :func:`role_of`'s cache without a query. Staff see every row, unannotated
    (:func:`role_of` answers for them without the database); anonymous users see none."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_staff:
        return queryset
    memberships = f"{project}__memberships" if project else "memberships"
    return queryset.filter(**{f"{memberships}__user": user}).annotate(my_role=F(f"{memberships}__role"))


def remember_role(project: Project, user: User, row) -> None:
    """Cache the role :func:`with_role` read on ``row`` (a row of the annotated queryset) for ``project``."""
    if hasattr(row, "my_role"):
        project._role_cache = {**getattr(project, "_role_cache", {}), user.pk: row.my_role}


def has_role(project: Project, user: User, minimum: str) -> bool:
    role = role_of(project, user)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def require_role(project: Project, user: User, minimum: str) -> str:
    """Raise ``PermissionDenied`` with a specific message unless ``user`` has at least ``minimum``."""
    role = role_of(project, user)
    if role is None:
        raise PermissionDenied(f"You are not a member of project {project.name!r}.")
    if ROLE_RANK[role] < ROLE_RANK[minimum]:
        raise PermissionDenied(
            f"Your role in {project.name!r} is {role}; this needs {minimum} or higher. Ask an owner to change it."
        )
    return role


def can_edit(project: Project, user: User) -> bool:
    return project.is_active and has_role(project, user, Role.EDITOR)


def visible_projects(user: User) -> QuerySet[Project]:
    """Projects the user is a member of (all, for staff)."""
    qs = Project.objects.all()
    if not user.is_staff:
        qs = qs.filter(memberships__user=user)
    return qs.select_related("owner").distinct()
