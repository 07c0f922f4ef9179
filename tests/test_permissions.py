"""Roles: owners manage members, editors edit, viewers read, outsiders see nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from designer.models import ProjectMembership
from designer.services import fields, projects, tables
from designer.services.permissions import visible_projects


def test_viewer_cannot_change_anything(shop, viewer):
    with pytest.raises(PermissionDenied) as info:
        tables.create_table(shop["project"], actor=viewer, table_name="nope")
    assert "Your role in 'Shop' is viewer; this needs editor or higher" in str(info.value)
    with pytest.raises(PermissionDenied):
        fields.create_field(shop["orders"], actor=viewer, field_name="x", data_type="text")


def test_outsider_cannot_change_or_see(shop, outsider, client):
    with pytest.raises(PermissionDenied) as info:
        tables.create_table(shop["project"], actor=outsider, table_name="nope")
    assert "not a member" in str(info.value)
    assert list(visible_projects(outsider)) == []
    client.force_login(outsider)
    assert client.get(reverse("designer:project-detail", args=[shop["project"].slug])).status_code == 404


def test_editor_edits_but_cannot_manage_members(shop, editor):
    tables.create_table(shop["project"], actor=editor, table_name="invoices")
    with pytest.raises(PermissionDenied):
        projects.set_member(shop["project"], actor=editor, username="vera", role="owner")


def test_owner_adds_changes_and_removes_members(shop, owner, outsider):
    project = shop["project"]
    projects.set_member(project, actor=owner, username="oscar", role="viewer")
    assert ProjectMembership.objects.get(project=project, user=outsider).role == "viewer"
    projects.set_member(project, actor=owner, username="oscar", role="editor")
    assert ProjectMembership.objects.get(project=project, user=outsider).role == "editor"
    projects.remove_member(project, actor=owner, username="oscar")
    assert not ProjectMembership.objects.filter(project=project, user=outsider).exists()
    with pytest.raises(ValidationError) as info:
        projects.set_member(project, actor=owner, username="nobody", role="viewer")
    assert "No user named 'nobody'" in info.value.message_dict["username"][0]


def test_the_last_owner_cannot_leave(shop, owner):
    with pytest.raises(ValidationError) as info:
        projects.remove_member(shop["project"], actor=owner, username=owner.username)
    assert "needs at least one owner" in info.value.message_dict["role"][0]


def test_the_named_owner_stepping_down_hands_the_project_to_a_remaining_owner(shop, owner, editor, viewer):
    project = shop["project"]
    projects.set_member(project, actor=owner, username=editor.username, role="owner")
    projects.set_member(project, actor=owner, username=owner.username, role="editor")
    project.refresh_from_db()
    assert project.owner == editor
    projects.set_member(project, actor=editor, username=viewer.username, role="owner")
    projects.remove_member(project, actor=editor, username=editor.username)
    project.refresh_from_db()
    assert project.owner == viewer
    roles = dict(ProjectMembership.objects.filter(project=project).values_list("user__username", "role"))
    assert roles[project.owner.username] == "owner"


def test_the_named_owner_cannot_step_down_when_no_other_owner_is_left(shop, owner):
    with pytest.raises(ValidationError) as info:
        projects.set_member(shop["project"], actor=owner, username=owner.username, role="editor")
    assert "needs at least one owner" in info.value.message_dict["role"][0]
    shop["project"].refresh_from_db()
    assert shop["project"].owner == owner
    assert ProjectMembership.objects.get(project=shop["project"], user=owner).role == "owner"


def test_archived_project_is_read_only(shop, owner):
    projects.set_archived(shop["project"], actor=owner, archived=True)
    with pytest.raises(PermissionDenied) as info:
        tables.create_table(shop["project"], actor=owner, table_name="later")
    assert "archived" in str(info.value)


def test_staff_see_every_project(shop, make_user):
    admin = make_user("root", staff=True)
    assert list(visible_projects(admin)) == [shop["project"]]


def test_every_page_requires_login(client, shop):
    for url in (reverse("designer:project-list"), reverse("designer:project-detail", args=[shop["project"].slug])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_member_sees_only_their_projects(client, shop, viewer, owner):
    projects.create_project(actor=owner, name="Secret")
    client.force_login(viewer)
    page = client.get(reverse("designer:project-list")).content.decode()
    assert "Shop" in page and "Secret" not in page
