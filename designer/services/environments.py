"""A project's environments (dev → staging → prod): where each deploys, who may deploy there, and the owners'
changes to the list. Every deploy, rollback, drift check and seeding names one; ``None`` means the primary
environment (prod by default), which deploys into the project's own schema — the one every deploy used before
environments existed."""

from __future__ import annotations

import os
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from designer.models import DeployRight, Environment, Project, Role

from .permissions import has_role, require_role

# name, schema suffix, who may deploy, sample data allowed
DEFAULTS = [
    ("dev", "_dev", DeployRight.EDITORS, True),
    ("staging", "_staging", DeployRight.DEPLOYERS, True),
    ("prod", "", DeployRight.DEPLOYERS, False),
]
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


def of(project: Project) -> list[Environment]:
    """The project's environments in promotion order; the defaults are created the first time they are asked
    for (projects made before environments got them from a migration)."""
    envs = list(Environment.objects.filter(project=project))
    if envs:
        return envs
    for position, (name, suffix, right, seeding) in enumerate(DEFAULTS):
        try:
            with transaction.atomic():
                Environment.objects.get_or_create(
                    project=project,
                    name=name,
                    defaults={"position": position, "schema_suffix": suffix, "deploy_right": right,
                              "allow_seeding": seeding},
                )  # fmt: skip
        except IntegrityError:  # a concurrent first request made it
            pass
    return list(Environment.objects.filter(project=project))


def primary(project: Project) -> Environment:
    return next(e for e in of(project) if e.is_primary)


def get(project: Project, name: str | Environment | None) -> Environment:
    """The environment called ``name`` (``None``: the primary one); a clear error listing the names otherwise."""
    if isinstance(name, Environment):
        return name
    if name is None or name == "":
        return primary(project)
    envs = of(project)
    for env in envs:
        if env.name == name:
            return env
    raise ValidationError(
        {"environment": [f"{project.name} has no environment {name!r}; it has {', '.join(e.name for e in envs)}."]}
    )


def next_of(env: Environment) -> Environment | None:
    """The environment a version running in ``env`` is promoted to."""
    envs = of(env.project)
    later = [e for e in envs if (e.position, e.name) > (env.position, env.name)]
    return later[0] if later else None


def previous_of(env: Environment) -> Environment | None:
    envs = of(env.project)
    earlier = [e for e in envs if (e.position, e.name) < (env.position, env.name)]
    return earlier[-1] if earlier else None


# --- where -----------------------------------------------------------------------------------------------
def database_url(env: Environment | None) -> str | None:
    """``DEPLOY_DATABASE_URL_<NAME>`` when set (the environment's own database; never stored in the app), else
    ``None`` (the shared ``DEPLOY_DATABASE_URL``)."""
    if env is None:
        return None
    return os.environ.get(env.database_variable) or None


def schema_for(base_schema: str, env: Environment | None) -> str:
    """The environment's schema: the project's schema plus the suffix (``shop_dev``); in a database of its own,
    the project's schema itself."""
    if env is None or env.is_primary or database_url(env):
        return base_schema
    suffix = env.schema_suffix
    return base_schema[: 63 - len(suffix)] + suffix


# --- who -------------------------------------------------------------------------------------------------
def can_deploy_to(user, env: Environment) -> bool:
    """Staff and holders of the deploy permission everywhere; project editors (and owners) where the
    environment lets editors deploy (dev by default)."""
    from .deploy import can_deploy

    if user is None:  # the shell
        return True
    if can_deploy(user):
        return True
    return env.deploy_right == DeployRight.EDITORS and has_role(env.project, user, Role.EDITOR)


def require_deploy_to(user, env: Environment) -> None:
    if can_deploy_to(user, env):
        return
    if env.deploy_right == DeployRight.EDITORS:
        raise PermissionDenied(
            f"Deploying to {env.name} needs the editor role in {env.project.name} or the permission "
            "“Can deploy a project's schema”."
        )
    raise PermissionDenied(
        f"Deploying to {env.name} needs the permission “Can deploy a project's schema”. Ask an administrator."
    )


# --- owners' changes -------------------------------------------------------------------------------------
def _clean_name(project: Project, name: str, exclude_pk=None) -> str:
    name = (name or "").strip().lower()
    if not NAME_RE.match(name):
        raise ValidationError(
            {"name": [f"{name!r} is not an environment name: start with a letter; letters, digits and _; "
                      "at most 20 characters."]}
        )  # fmt: skip
    if Environment.objects.filter(project=project, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": [f"{project.name} already has an environment {name!r}."]})
    return name


@transaction.atomic
def add(project: Project, *, actor, name: str, deploy_right: str = DeployRight.DEPLOYERS,
        allow_seeding: bool = True) -> Environment:  # fmt: skip
    """A new environment after the others, deploying into ``<schema>_<name>``."""
    require_role(project, actor, Role.OWNER)
    of(project)
    name = _clean_name(project, name)
    if deploy_right not in DeployRight.values:
        raise ValidationError({"deploy_right": [f"Use one of {', '.join(DeployRight.values)}."]})
    last = Environment.objects.filter(project=project).aggregate(p=Max("position"))["p"] or 0
    return Environment.objects.create(
        project=project,
        name=name,
        position=last + 1,
        schema_suffix=f"_{name}",
        deploy_right=deploy_right,
        allow_seeding=allow_seeding,
    )


@transaction.atomic
def update(env: Environment, *, actor, name: str | None = None, deploy_right: str | None = None,
           allow_seeding: bool | None = None) -> Environment:  # fmt: skip
    """Rename (its schema keeps its name: the suffix is fixed once created), change who may deploy, allow or
    refuse sample data."""
    require_role(env.project, actor, Role.OWNER)
    if name is not None:
        env.name = _clean_name(env.project, name, exclude_pk=env.pk)
    if deploy_right is not None:
        if deploy_right not in DeployRight.values:
            raise ValidationError({"deploy_right": [f"Use one of {', '.join(DeployRight.values)}."]})
        env.deploy_right = deploy_right
    if allow_seeding is not None:
        env.allow_seeding = allow_seeding
    env.save()
    return env


@transaction.atomic
def reorder(project: Project, *, actor, names: list[str]) -> list[Environment]:
    """Set the promotion order: ``names`` lists every environment once."""
    require_role(project, actor, Role.OWNER)
    envs = {e.name: e for e in of(project)}
    if sorted(names) != sorted(envs):
        raise ValidationError({"names": [f"List every environment exactly once: {', '.join(sorted(envs))}."]})
    for position, name in enumerate(names):
        Environment.objects.filter(pk=envs[name].pk).update(position=position)
    return of(project)


@transaction.atomic
def remove(env: Environment, *, actor) -> None:
    """Remove an environment that was never deployed to (its runs are its history); never the primary one."""
    require_role(env.project, actor, Role.OWNER)
    if env.is_primary:
        raise ValidationError({"environment": [f"{env.name} deploys into the project's own schema; keep it."]})
    if env.runs.exists():
        raise ValidationError(
            {"environment": [f"{env.name} has deploy runs; roll them back and keep it, or archive the project."]}
        )
    env.delete()


__all__ = [
    "DEFAULTS",
    "add",
    "can_deploy_to",
    "database_url",
    "get",
    "next_of",
    "of",
    "previous_of",
    "primary",
    "remove",
    "reorder",
    "require_deploy_to",
    "schema_for",
    "update",
]
