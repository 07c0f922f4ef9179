"""API keys: created (shown once), authenticated by their hash, revoked. The page, the admin and
``manage.py create_api_key`` all go through these functions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from designer.models import ApiKey, Project
from designer.services.permissions import role_of

KEY_PREFIX = "tw_"
LAST_USED_PRECISION = timedelta(seconds=60)  # last_used_at is written at most once a minute per key


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_key(
    user, *, name: str, projects: Iterable[Project] = (), read_only: bool = False, actor=None
) -> tuple[ApiKey, str]:
    """A new key for ``user``; returns it with the raw key, which is never stored and never shown again.

    ``projects`` (optional) limits the key to projects ``user`` is a member of. ``actor`` (default: ``user``)
    must be the user or staff.
    """
    actor = actor or user
    if actor.pk != user.pk and not actor.is_staff:
        raise PermissionDenied("Only the user themselves or staff can create an API key for a user.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the key a name (what it is for, e.g. 'CI pipeline')."]})
    if len(name) > 100:
        raise ValidationError({"name": [f"Key name is {len(name)} characters long; the limit is 100."]})
    if "\x00" in name:
        raise ValidationError({"name": ["Key name contains a NUL character; remove it."]})
    projects = list(projects)
    outside = [p.slug for p in projects if role_of(p, user) is None]
    if outside:
        raise ValidationError(
            {"projects": [f"{user.get_username()} is not a member of {', '.join(outside)}; a key cannot reach them."]}
        )
    ident = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{ident}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        user=user, name=name, prefix=f"{KEY_PREFIX}{ident}", key_hash=hash_key(raw), read_only=bool(read_only)
    )
    if projects:
        key.projects.set(projects)
    return key, raw


def projects_for_key(user, slugs: Iterable[str]) -> list[Project]:
    """The projects named by ``slugs`` for a key of ``user``; a slug that names no project ``user`` can see is
    refused (field ``projects``) without telling whether it exists, like the project pages' 404."""
    slugs = list(dict.fromkeys(s.strip() for s in slugs if s and s.strip()))
    found = {p.slug: p for p in Project.objects.filter(slug__in=slugs)}
    unreachable = [s for s in slugs if s not in found or role_of(found[s], user) is None]
    if unreachable:
        names = ", ".join(repr(s) for s in unreachable)
        raise ValidationError(
            {"projects": [f"No project {names} among {user.get_username()}'s projects; a key can only reach those."]}
        )
    return [found[s] for s in slugs]


def authenticate(raw: str | None) -> ApiKey | None:
    """The active key ``raw`` is, with its user (one query), or None. Notes when it was last used."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=hash_key(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def scope_refusal(key: ApiKey, project: Project) -> str | None:
    """Why ``key`` may not reach ``project`` at all (its project list), or None."""
    slugs = [p.slug for p in key.projects.all()]
    if slugs and project.slug not in slugs:
        return f"This API key ({key.prefix}…) is limited to {', '.join(sorted(slugs))}; it cannot reach {project.slug}."
    return None


@transaction.atomic
def revoke(key: ApiKey, *, actor) -> ApiKey:
    """Revoke a key (its owner or staff); a revoked key authenticates nothing from the next request on."""
    if actor.pk != key.user_id and not actor.is_staff:
        raise PermissionDenied("Only the key's owner or staff can revoke it.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
    return key


def keys_of(user) -> QuerySet[ApiKey]:
    """The user's keys, newest first, with their projects."""
    return ApiKey.objects.filter(user=user).prefetch_related("projects")
