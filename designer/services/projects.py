"""Projects and their members."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from designer.models import Project, ProjectMembership, Role
from designer.schema.validation import refuse_nul

from .permissions import require_role


def _unique_slug(name: str, exclude_pk=None) -> str:
    base = slugify(name)[:50].strip("-") or "project"
    slug, n = base, 2
    qs = Project.objects.exclude(pk=exclude_pk) if exclude_pk else Project.objects.all()
    while qs.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    refuse_nul(name, "name", "Project name")
    if not name:
        raise ValidationError({"name": ["Project name is required."]})
    if len(name) > 120:
        raise ValidationError({"name": [f"Project name is {len(name)} characters long; the limit is 120."]})
    return name


def _check_name_free(name: str, exclude_pk=None) -> None:
    qs = Project.objects.filter(name=name, is_active=True)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"name": [f"A project named {name!r} already exists. Pick another name."]})


@transaction.atomic
def create_project(*, actor, name: str, description: str = "", slug: str | None = None) -> Project:
    """Create a project owned by ``actor`` (who becomes its first member, as owner)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Log in to create a project.")
    name = _clean_name(name)
    _check_name_free(name)
    if slug:
        slug = slugify(slug)
        if Project.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": [f"The slug {slug!r} is taken. Pick another one."]})
    project = Project.objects.create(
        name=name, description=description or "", owner=actor, slug=slug or _unique_slug(name)
    )
    ProjectMembership.objects.create(project=project, user=actor, role=Role.OWNER)
    return project


@transaction.atomic
def update_project(project: Project, *, actor, name: str | None = None, description: str | None = None) -> Project:
    require_role(project, actor, Role.OWNER)
    if name is not None:
        name = _clean_name(name)
        _check_name_free(name, exclude_pk=project.pk)
        project.name = name
    if description is not None:
        project.description = description
    project.save()
    return project


@transaction.atomic
def set_archived(project: Project, *, actor, archived: bool) -> Project:
    """Archive (read-only, hidden from the active list) or restore a project."""
    require_role(project, actor, Role.OWNER)
    if not archived:
        _check_name_free(project.name, exclude_pk=project.pk)
    project.is_active = not archived
    project.save(update_fields=["is_active", "updated_at"])
    return project


@transaction.atomic
def set_member(project: Project, *, actor, username: str, role: str) -> ProjectMembership:
    """Add a member by user name, or change their role. Only owners may."""
    require_role(project, actor, Role.OWNER)
    if role not in Role.values:
        raise ValidationError({"role": [f"Role must be one of {', '.join(Role.values)}, got {role!r}."]})
    refuse_nul(username, "username", "User name")
    user = get_user_model().objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise ValidationError({"username": [f"No user named {username!r}. Check the spelling of the user name."]})
    membership, _ = ProjectMembership.objects.get_or_create(project=project, user=user, defaults={"role": role})
    if membership.role != role:
        if membership.role == Role.OWNER and role != Role.OWNER:
            _keep_an_owner(project, leaving=user)
        membership.role = role
        membership.save(update_fields=["role"])
        if role != Role.OWNER:
            _hand_over(project, leaving=user)
    return membership


@transaction.atomic
def remove_member(project: Project, *, actor, username: str) -> None:
    require_role(project, actor, Role.OWNER)
    refuse_nul(username, "username", "User name")
    membership = ProjectMembership.objects.filter(project=project, user__username=username).first()
    if membership is None:
        raise ValidationError({"username": [f"{username!r} is not a member of this project."]})
    if membership.role == Role.OWNER:
        _keep_an_owner(project, leaving=membership.user)
    membership.delete()
    _hand_over(project, leaving=membership.user)


def _keep_an_owner(project: Project, *, leaving) -> None:
    others = ProjectMembership.objects.filter(project=project, role=Role.OWNER).exclude(user=leaving)
    if not others.exists():
        raise ValidationError({"role": ["A project needs at least one owner. Make someone else owner first."]})


def _hand_over(project: Project, *, leaving) -> None:
    """``Project.owner`` names an owner member: when that user stops being one, the longest-standing remaining
    owner takes over (``_keep_an_owner`` made sure there is one)."""
    if project.owner_id != leaving.pk:
        return
    successor = (
        ProjectMembership.objects.filter(project=project, role=Role.OWNER)
        .exclude(user=leaving)
        .order_by("created_at", "pk")
        .select_related("user")
        .first()
    )
    if successor is None:
        raise ValidationError({"role": ["A project needs at least one owner. Make someone else owner first."]})
    project.owner = successor.user
    project.save(update_fields=["owner", "updated_at"])
