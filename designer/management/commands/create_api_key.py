"""``manage.py create_api_key USER [--project SLUG …] [--read-only] [--name NAME]``: a key for the public API.

A summary first, then the raw key alone on the last line, so ``KEY=$(manage.py create_api_key alice | tail -1)``
works. The key is never shown again (only its hash is stored).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from designer.api import keys as key_service
from designer.models import Project
from designer.services.permissions import role_of

ARGUMENT_OF = {"name": "--name", "projects": "--project"}


class Command(BaseCommand):
    help = (
        "Create an API key for USER (the public API's X-API-Key) and print it once, alone on the last line. "
        "Without --project the key reaches every project the user is a member of."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="user name of the key's owner; the key acts as this user")
        parser.add_argument(
            "--project",
            action="append",
            default=[],
            metavar="SLUG",
            dest="projects",
            help="limit the key to this project (repeat for several); the user must be a member",
        )
        parser.add_argument("--read-only", action="store_true", help="the key may read but not change anything")
        parser.add_argument("--name", default=None, help='what the key is for (default: "cli <date and time>")')

    def handle(self, *args, user: str, projects: list[str], read_only: bool, name: str | None, **options) -> None:
        owner = self._user(user)
        chosen = [self._project(slug, owner) for slug in dict.fromkeys(projects)]
        name = name if name is not None else f"cli {timezone.localtime():%Y-%m-%d %H:%M}"
        try:
            key, raw = key_service.create_key(owner, name=name, projects=chosen, read_only=read_only)
        except ValidationError as exc:
            problems = [
                f"{ARGUMENT_OF.get(field, field)}: {message}"
                for field, messages in (exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}).items()
                for message in messages
            ]
            raise CommandError("Key not created. " + " ".join(problems)) from exc
        scope = ", ".join(p.slug for p in chosen) or f"all of {owner.get_username()}'s projects"
        self.stdout.write(f"Created API key {key.name!r} for {owner.get_username()} (prefix {key.prefix}…).")
        self.stdout.write(f"Scope: {scope}; {'read only' if key.read_only else 'read and write'}.")
        self.stdout.write("Send it as the X-API-Key header. It is shown only now; store it safely:")
        self.stdout.write(raw)

    def _user(self, username: str):
        User = get_user_model()
        owner = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if owner is None:
            raise CommandError(
                f"USER {username!r}: no such user. Give an existing user name (create one with "
                "`manage.py createsuperuser`, or in the admin)."
            )
        if not owner.is_active:
            raise CommandError(
                f"USER {username!r} is inactive: their keys would authenticate nothing. Activate the user first."
            )
        return owner

    def _project(self, slug: str, owner) -> Project:
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            known = ", ".join(Project.objects.order_by("slug").values_list("slug", flat=True)[:20]) or "none"
            raise CommandError(f"--project {slug!r}: no project has this slug. Known slugs: {known}.")
        if role_of(project, owner) is None:
            raise CommandError(
                f"--project {slug!r}: {owner.get_username()} is not a member of this project, so a key of theirs "
                "cannot reach it. Add them as a member (project settings, Members) or leave this --project out."
            )
        return project
