"""Finding a project from a command-line argument (slug, name or id)."""

from __future__ import annotations

from django.core.management.base import CommandError

from designer.models import Project


def find_project(ref: str) -> Project:
    project = Project.objects.filter(slug=ref).first() or Project.objects.filter(name=ref).first()
    if project is None:
        try:
            project = Project.objects.filter(pk=ref).first()
        except Exception:  # noqa: BLE001 - not a UUID
            project = None
    if project is None:
        known = ", ".join(Project.objects.values_list("slug", flat=True)[:20]) or "none"
        raise CommandError(f"No project {ref!r} (give its slug, name or id). Known projects: {known}.")
    return project


def find_actor(username: str | None):
    """The user a command acts as: ``username``, else the first superuser or staff user."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if username:
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user named {username!r}.")
        return actor
    actor = User.objects.filter(is_superuser=True).first() or User.objects.filter(is_staff=True).first()
    if actor is None:
        raise CommandError("No staff user to own the project; pass --user NAME (or run createsuperuser).")
    return actor
