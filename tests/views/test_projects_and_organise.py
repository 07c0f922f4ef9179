"""Project list and settings (rename, describe, archive, members), table groups, sticky notes, auto-arrange."""

from __future__ import annotations

import pytest

from designer.diagram.geometry import overlaps
from designer.models import DataTable, Project, ProjectMembership, StickyNote, TableGroup
from designer.services.diagram import load_diagram

from .conftest import HX, hx_events, url

pytestmark = pytest.mark.django_db


def post(client, path, data):
    return client.post(path, data, **HX)


def test_new_project_then_rename_describe_and_archive(owner_client, owner):
    response = post(owner_client, "/", {"name": "Chinook", "description": ""})
    assert response.status_code == 204 and response["HX-Redirect"] == "/projects/chinook/"
    project = Project.objects.get(slug="chinook")
    ok = post(owner_client, url(project, "settings/update"), {"name": "Chinook music", "description": "Records"})
    assert ok.status_code == 200 and b"Saved." in ok.content
    project.refresh_from_db()
    assert (project.name, project.description) == ("Chinook music", "Records")
    archived = post(owner_client, url(project, "settings/archive"), {"archived": "1"})
    assert archived.status_code == 200 and b"Restore project" in archived.content
    assert b"Chinook music" not in owner_client.get("/").content
    assert b"Chinook music" in owner_client.get("/?archived=1").content


def test_project_name_errors_show_beside_the_input(owner_client, project):
    empty = post(owner_client, url(project, "settings/update"), {"name": "  ", "description": ""})
    assert empty.status_code == 422 and b"Project name is required." in empty.content
    post(owner_client, "/", {"name": "Taken"})
    taken = post(owner_client, url(project, "settings/update"), {"name": "Taken", "description": ""})
    assert taken.status_code == 422 and b"already exists" in taken.content


def test_owner_adds_changes_and_removes_members_by_user_name(owner_client, project, make_user):
    make_user("nora")
    added = post(owner_client, url(project, "settings/members"), {"username": "nora", "role": "viewer"})
    assert added.status_code == 200 and b"nora" in added.content
    assert ProjectMembership.objects.get(project=project, user__username="nora").role == "viewer"
    post(owner_client, url(project, "settings/members"), {"username": "nora", "role": "editor"})
    assert ProjectMembership.objects.get(project=project, user__username="nora").role == "editor"
    unknown = post(owner_client, url(project, "settings/members"), {"username": "nobody", "role": "editor"})
    assert unknown.status_code == 422 and b"No user named" in unknown.content
    removed = post(owner_client, url(project, "settings/members/remove"), {"username": "nora"})
    assert removed.status_code == 200
    assert not ProjectMembership.objects.filter(project=project, user__username="nora").exists()
    last_owner = post(owner_client, url(project, "settings/members/remove"), {"username": "olivia"})
    assert last_owner.status_code == 422 and b"at least one owner" in last_owner.content


def test_editor_cannot_change_members(client, editor, project):
    client.force_login(editor)
    response = post(client, url(project, "settings/members"), {"username": "vera", "role": "owner"})
    assert response.status_code == 403 and b"needs owner" in response.content


def test_auto_arrange_lays_out_without_overlaps(owner_client, shop, owner):
    from designer.services import tables

    for n in range(8):
        tables.create_table(shop["project"], actor=owner, table_name=f"extra_{n}", position=(40, 40))
    response = post(owner_client, url(shop["project"], "arrange"), {})
    assert response.status_code == 200 and hx_events(response)["diagram-changed"]["full"] is True
    boxes = load_diagram(shop["project"]).boxes
    rects = [(b.x, b.y, b.width, b.height) for b in boxes]
    assert not any(overlaps(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    positions = {b.table_name: b.x for b in boxes}
    assert positions["customers"] < positions["orders"], "referenced table left of the referencing one"


def test_groups_move_their_tables_together(owner_client, shop):
    project = shop["project"]
    ids = [str(shop["customers"].pk), str(shop["orders"].pk)]
    response = post(owner_client, url(project, "groups/"), {"name": "Sales", "color": "#1e7d3a", "tables": ids})
    assert response.status_code == 200
    group = TableGroup.objects.get(project=project)
    html = owner_client.get(url(project)).content.decode()
    assert 'data-group="Sales"' in html
    before = {t.pk: (t.position_x, t.position_y) for t in DataTable.objects.filter(project=project)}
    assert post(owner_client, url(project, "groups", group.pk, "move"), {"dx": "100", "dy": "-20"}).status_code == 204
    for t in DataTable.objects.filter(project=project):
        assert (t.position_x, t.position_y) == (before[t.pk][0] + 100, before[t.pk][1] - 20)
    bad = post(owner_client, url(project, "groups/"), {"name": "Sales", "color": "green"})
    assert bad.status_code == 422
    duplicate = post(owner_client, url(project, "groups/"), {"name": "Sales", "color": "#000000"})
    assert duplicate.status_code == 422 and b"already exists" in duplicate.content
    renamed = post(
        owner_client, url(project, "groups", group.pk, ""), {"name": "Orders", "color": "#2f6fde", "tables": ids[:1]}
    )
    assert renamed.status_code == 200
    assert list(group.tables.values_list("table_name", flat=True)) == ["customers"]
    assert post(owner_client, url(project, "groups", group.pk, "delete"), {}).status_code == 200
    assert DataTable.objects.filter(project=project).count() == 2, "tables stay when their group goes"


def test_refused_group_edit_keeps_what_the_user_typed_beside_the_message(owner_client, shop):
    import re

    project = shop["project"]
    customers, orders = str(shop["customers"].pk), str(shop["orders"].pk)
    assert post(owner_client, url(project, "groups/"), {"name": "Sales", "tables": [customers]}).status_code == 200
    assert post(owner_client, url(project, "groups/"), {"name": "Billing", "tables": [customers]}).status_code == 200
    billing = TableGroup.objects.get(project=project, name="Billing")
    response = post(
        owner_client, url(project, "groups", billing.pk, ""), {"name": "Sales", "color": "#123456", "tables": [orders]}
    )
    assert response.status_code == 422
    html = response.content.decode()
    form = re.search(r'<form[^>]*aria-label="Group Billing".*?</form>', html, re.S).group(0)
    name = re.search(r'<input id="group-name-[^"]*"[^>]*>', form).group(0)
    assert 'value="Sales"' in name and 'aria-invalid="true"' in name, "the typed name stays, marked invalid"
    assert re.search(r'aria-invalid="true">\s*<ul class="errorlist"[^>]*><li>[^<]*already exists', form), "beside it"
    assert 'value="#123456"' in form, "the typed colour stays"
    assert re.search(rf'<option value="{orders}" selected>', form), "the tables the user picked stay picked"
    assert not re.search(rf'<option value="{customers}" selected>', form)
    billing.refresh_from_db()
    assert billing.name == "Billing" and list(billing.tables.values_list("pk", flat=True)) == [shop["customers"].pk]
    other = re.search(r'<form[^>]*aria-label="Group Sales".*?</form>', html, re.S).group(0)
    assert 'value="Sales"' in other and "errorlist" not in other, "the other group's form is as stored"


def test_refused_new_group_keeps_the_picked_tables(owner_client, shop):
    project = shop["project"]
    orders = str(shop["orders"].pk)
    response = post(owner_client, url(project, "groups/"), {"name": "", "tables": [orders]})
    assert response.status_code == 422
    assert f'<option value="{orders}" selected>' in response.content.decode()


def test_sticky_notes_are_added_moved_edited_and_deleted(owner_client, project):
    empty = post(owner_client, url(project, "notes/"), {"text": "  "})
    assert empty.status_code == 422 and b"A note needs some text." in empty.content
    assert (
        post(owner_client, url(project, "notes/"), {"text": "Ask <finance>", "x": "300", "y": "200"}).status_code == 200
    )
    note = StickyNote.objects.get(project=project)
    assert (note.position_x, note.position_y) == (300, 200)
    html = owner_client.get(url(project)).content.decode()
    assert 'class="note"' in html and "Ask &lt;finance&gt;" in html
    assert post(owner_client, url(project, "notes", note.pk, "move"), {"x": "10", "y": "20"}).status_code == 204
    post(owner_client, url(project, "notes", note.pk, ""), {"text": "Ask finance", "color": "#ffd6e0"})
    note.refresh_from_db()
    assert (note.text, note.color, note.position_x) == ("Ask finance", "#ffd6e0", 10)
    post(owner_client, url(project, "notes", note.pk, "delete"), {})
    assert not StickyNote.objects.exists()


def test_viewer_cannot_organise(viewer_client, project):
    response = post(viewer_client, url(project, "notes/"), {"text": "hi"})
    assert response.status_code == 403
