"""API keys: created on the API keys page (shown once) or by ``manage.py create_api_key``, stored hashed,
scoped to the user's projects, revoked on the page or in the admin.

Users from conftest: olivia owns the Shop (slug ``shop``), eddie edits it, vera views it, oscar is an outsider.
"""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from designer.api import keys
from designer.models import ApiKey
from designer.services import projects as project_service

PAGE = "/account/api-keys/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def secret(outsider):
    """A project olivia, eddie and vera are not members of."""
    return project_service.create_project(actor=outsider, name="Secret")


def create_on_page(client, **data):
    return client.post(PAGE, {"name": "CI pipeline", **data}, **HTMX)


def raw_key_in(response) -> str:
    """The raw key the creation answer shows (in its read-only input)."""
    html = response.content.decode()
    start = html.index('id="new-key-value"')
    value = html.index('value="', start) + len('value="')
    return html[value : html.index('"', value)]


# --- the page -------------------------------------------------------------------------------------------------
def test_the_page_is_linked_from_the_nav_and_needs_a_login(client, owner):
    assert reverse("designer:api-keys") == PAGE
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(owner)
    assert f'href="{PAGE}"' in client.get(reverse("designer:project-list")).content.decode()
    page = client.get(PAGE).content.decode()
    assert "No keys yet." in page and "Create key" in page


def test_the_page_shows_a_new_key_once_and_afterwards_only_its_prefix(client, owner, project):
    client.force_login(owner)
    created = create_on_page(client)
    assert created.status_code == 200
    raw = raw_key_in(created)
    key = ApiKey.objects.get(user=owner)
    assert raw.startswith(key.prefix) and key.prefix.startswith("tw_")
    html = created.content.decode()
    assert "shown only this once" in html
    assert f'curl -H "X-API-Key: {raw}" http://testserver/v1/public/shop/tables' in html
    assert created["Cache-Control"] == "no-store"
    assert "api-key-created" in created["HX-Trigger"]

    later = client.get(PAGE).content.decode()
    assert raw not in later
    assert f"{key.prefix}…" in later and "CI pipeline" in later and "all your projects" in later

    assert key.key_hash != raw and raw not in key.key_hash
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()


def test_a_key_created_on_the_page_works_until_it_is_revoked_there(client, owner, project):
    cache.clear()
    client.force_login(owner)
    raw = raw_key_in(create_on_page(client))
    key = keys.authenticate(raw)
    assert key is not None and key.user == owner
    assert client.get("/v1/public/shop/tables", HTTP_X_API_KEY=raw).status_code == 200

    revoked = client.post(reverse("designer:api-key-revoke", args=[key.pk]), **HTMX)
    assert revoked.status_code == 200
    row = revoked.content.decode()
    assert row.strip().startswith("<tr") and "revoked" in row and "Revoke</button>" not in row
    assert keys.authenticate(raw) is None
    assert client.get("/v1/public/shop/tables", HTTP_X_API_KEY=raw).status_code == 401
    key.refresh_from_db()
    assert key.revoked_by == owner and key.revoked_at is not None


def test_a_key_can_be_limited_to_some_projects_and_to_reading(client, owner, project, outsider):
    other = project_service.create_project(actor=owner, name="Warehouse")
    client.force_login(owner)
    created = create_on_page(client, name="reporting", projects=[project.slug], read_only="1")
    assert created.status_code == 200
    key = ApiKey.objects.get(name="reporting")
    assert key.read_only and list(key.projects.all()) == [project]
    assert keys.scope_refusal(key, other) is not None and keys.scope_refusal(key, project) is None
    row = client.get(PAGE).content.decode()
    assert "read only" in row and "<td>Shop</td>" in row


def test_a_key_cannot_be_scoped_to_a_project_the_user_cannot_see(client, owner, project, secret):
    client.force_login(owner)
    page = client.get(PAGE).content.decode()
    assert 'value="shop"' in page and 'value="secret"' not in page  # only the user's projects are offered

    for slug in ("secret", "no-such-project"):  # tampered forms: the same answer, no hint the project exists
        refused = create_on_page(client, name="sneaky", projects=[project.slug, slug])
        assert refused.status_code == 422
        assert refused["HX-Retarget"] == "#key-form"
        html = refused.content.decode()
        assert 'id="key-projects-errors"' in html and f"No project &#x27;{slug}&#x27;" in html
        assert 'value="sneaky"' in html  # the form keeps what was typed
    assert not ApiKey.objects.exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(ValidationError, match="not a member of secret"):
        keys.create_key(owner, name="direct", projects=[secret])


def test_a_key_needs_a_name(client, owner):
    client.force_login(owner)
    refused = create_on_page(client, name="   ")
    assert refused.status_code == 422
    assert 'id="key-name-errors"' in refused.content.decode() and "Give the key a name" in refused.content.decode()
    assert not ApiKey.objects.exists()


def test_nobody_revokes_another_users_key_on_the_page(client, owner, editor):
    key, raw = keys.create_key(editor, name="eddie's")
    client.force_login(owner)
    assert client.post(reverse("designer:api-key-revoke", args=[key.pk]), **HTMX).status_code == 404
    assert keys.authenticate(raw) is not None
    assert "eddie&#x27;s" not in client.get(PAGE).content.decode()


# --- manage.py create_api_key ---------------------------------------------------------------------------------
def run_command(*args) -> list[str]:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def test_the_command_prints_the_key_alone_on_its_last_line(owner, project):
    lines = run_command("olivia")
    raw = lines[-1]
    key = keys.authenticate(raw)
    assert key is not None and key.user == owner
    assert raw == raw.strip() and " " not in raw
    assert key.name.startswith("cli ") and not key.read_only and not key.projects.exists()
    summary = "\n".join(lines[:-1])
    assert key.prefix in summary and "all of olivia's projects" in summary and raw not in summary


def test_the_command_honours_project_read_only_and_name(owner, project):
    warehouse = project_service.create_project(actor=owner, name="Warehouse")
    lines = run_command("olivia", "--project", "shop", "--project", warehouse.slug, "--read-only", "--name", "nightly")
    key = keys.authenticate(lines[-1])
    assert key.name == "nightly" and key.read_only
    assert {p.slug for p in key.projects.all()} == {"shop", warehouse.slug}
    assert "read only" in lines[-3]


def test_the_command_explains_what_is_wrong(owner, project, secret):
    with pytest.raises(CommandError, match=r"USER 'nobody': no such user"):
        run_command("nobody")
    with pytest.raises(CommandError, match=r"--project 'nope': no project has this slug. Known slugs: .*shop"):
        run_command("olivia", "--project", "nope")
    with pytest.raises(CommandError, match=r"--project 'secret': olivia is not a member of this project"):
        run_command("olivia", "--project", "secret")
    with pytest.raises(CommandError, match=r"--name: Give the key a name"):
        run_command("olivia", "--name", "")
    assert not ApiKey.objects.exists()


# --- the admin ------------------------------------------------------------------------------------------------
@pytest.fixture
def staff_client(client, make_user):
    admin_user = make_user("admin", staff=True)
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    client.admin_user = admin_user
    return client


def test_the_admin_lists_keys_without_their_hash_and_creates_none(staff_client, owner, project):
    key, raw = keys.create_key(owner, name="deploy bot", projects=[project], read_only=True)
    changelist = staff_client.get(reverse("admin:designer_apikey_changelist"))
    html = changelist.content.decode()
    assert changelist.status_code == 200
    assert "deploy bot" in html and f"{key.prefix}…" in html and "Shop" in html
    assert key.key_hash not in html and raw not in html
    assert staff_client.get(reverse("admin:designer_apikey_changelist") + "?q=deploy").status_code == 200
    change = staff_client.get(reverse("admin:designer_apikey_change", args=[key.pk])).content.decode()
    assert key.key_hash not in change and "key_hash" not in change and 'name="name"' not in change
    assert staff_client.get(reverse("admin:designer_apikey_add")).status_code == 403


def test_staff_revoke_selected_keys_in_the_admin(staff_client, owner, editor):
    mine, raw_mine = keys.create_key(owner, name="one")
    theirs, raw_theirs = keys.create_key(editor, name="two")
    kept, raw_kept = keys.create_key(editor, name="three")
    response = staff_client.post(
        reverse("admin:designer_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [mine.pk, theirs.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "Revoked 2 key(s)" in response.content.decode()
    assert keys.authenticate(raw_mine) is None and keys.authenticate(raw_theirs) is None
    assert keys.authenticate(raw_kept) is not None
    theirs.refresh_from_db()
    assert theirs.revoked_by == staff_client.admin_user
