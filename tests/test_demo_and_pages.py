"""The demo, the login page and what a logged-in member sees."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from designer.demo import DEMO_PROJECT, SCHEMA, load_demo
from designer.models import DataField, Project, TableConstraint, TableIndex, TableRelationship


def test_demo_holds_seed_003_schema(db, settings):
    settings.DEBUG = True
    project, created = load_demo()
    assert created and project.name == DEMO_PROJECT
    assert set(project.tables.values_list("table_name", flat=True)) == set(SCHEMA)
    status = DataField.objects.get(table__project=project, table__table_name="datasets", field_name="status")
    assert status.field_config["choices"] == ["pending", "processing", "completed", "failed"]
    assert status.default_value == "pending"
    assert TableRelationship.objects.filter(project=project).count() == 6
    assert TableIndex.objects.filter(table__project=project).count() == 10
    assert TableConstraint.objects.filter(table__project=project, kind="check").count() == 1
    users = get_user_model().objects
    assert users.get(username="demo").is_staff
    assert users.get(username="demo").has_perm("designer.deploy_project")
    assert not users.get(username="alice").has_perm("designer.deploy_project")
    assert users.get(username="alice").check_password("alice")
    # Loading again finds it instead of duplicating it.
    assert load_demo() == (project, False)


def test_demo_staff_member_sees_every_designer_model_with_history_in_the_admin(client, db, settings):
    from django.apps import apps

    settings.DEBUG = True
    load_demo()
    client.login(username="demo", password="demo")
    index = client.get("/admin/").content.decode()
    for model in apps.get_app_config("designer").get_models():
        if model._meta.model_name.startswith("historical"):
            continue
        assert f'href="/admin/designer/{model._meta.model_name}/"' in index, model._meta.model_name
    table = Project.objects.get(name=DEMO_PROJECT).tables.get(table_name="users")
    history = client.get(f"/admin/designer/datatable/{table.pk}/history/")
    assert history.status_code == 200 and "demo" in history.content.decode()


def test_demo_is_refused_outside_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG=1"):
        call_command("load_demo")
    assert not Project.objects.exists()


def test_make_run_outside_debug_skips_the_demo_with_a_notice(db, settings, capsys):
    """`DEBUG=0 make run` calls `load_demo --if-empty`: a one-line notice, no error, no demo users."""
    from django.contrib.auth import get_user_model

    settings.DEBUG = False
    call_command("load_demo", "--if-empty")
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["DEBUG is off: demo not loaded (it creates users whose password is their name)."]
    assert not Project.objects.exists()
    assert not get_user_model().objects.filter(username="demo").exists()


def test_demo_is_skipped_when_other_projects_exist(db, settings, owner):
    from designer.services.projects import create_project

    settings.DEBUG = True
    create_project(actor=owner, name="Mine")
    call_command("load_demo", "--if-empty")
    assert not Project.objects.filter(name=DEMO_PROJECT).exists()


def test_login_page_and_demo_user_sees_the_demo_project(client, db, settings):
    settings.DEBUG = True
    load_demo()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "demo", "password": "demo"})
    assert response.status_code == 302
    page = client.get(reverse("designer:project-list"))
    assert DEMO_PROJECT in page.content.decode()
    detail = client.get(reverse("designer:project-detail", args=["datainsight-pro"]))
    assert detail.status_code == 200
    assert 'data-table="column_profiles"' in detail.content.decode()


def test_wrong_password_shows_an_error(client, db, settings):
    settings.DEBUG = True
    load_demo()
    response = client.post(reverse("login"), {"username": "demo", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_creating_a_project_from_the_list(client, owner):
    client.force_login(owner)
    response = client.post(reverse("designer:project-list"), {"name": "Warehouse", "description": "stock"})
    assert response.status_code == 302
    assert Project.objects.get(name="Warehouse").owner == owner
    again = client.post(reverse("designer:project-list"), {"name": "Warehouse"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 422
    assert "A project named &#x27;Warehouse&#x27; already exists" in again.content.decode()


def test_an_unknown_project_answers_a_404_page_that_says_why(client, owner, settings):
    settings.DEBUG = False
    client.force_login(owner)
    page = client.get("/projects/no-such-project/")
    assert page.status_code == 404
    body = page.content.decode()
    assert "No such project, or you are not a member of it." in body and "Back to your projects" in body
    fragment = client.get("/projects/no-such-project/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 404
    assert fragment.content.decode().strip() == (
        '<p class="error" role="alert">No such project, or you are not a member of it.</p>'
    )
