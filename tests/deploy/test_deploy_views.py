"""The deploy and version pages as users see them: who gets the Deploy button, 403 for everyone else."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from designer.models import DataField, DeployRun, SchemaVersion
from designer.services import fields
from designer.services.deploy import schema_name

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

DEPLOY_GETS = ["deploy", "deploy-progress", "deploy-drift", "deploy-rollback"]
DEPLOY_POSTS = ["deploy-run", "deploy-rollback", "deploy-purge"]


def test_only_deployers_see_the_deploy_button(client, live_shop, deployer, owner):
    url = live_shop["project"].get_absolute_url()
    client.force_login(owner)
    assert "Deploy</a>" not in client.get(url).content.decode()
    client.force_login(deployer)
    assert "Deploy</a>" in client.get(url).content.decode()


def test_everyone_without_the_permission_gets_403_on_every_deploy_path(client, live_shop, owner, editor, viewer):
    slug = live_shop["project"].slug
    for user in (owner, editor, viewer):
        client.force_login(user)
        for name in DEPLOY_GETS:
            assert client.get(reverse(f"designer:{name}", args=[slug])).status_code == 403, name
        for name in DEPLOY_POSTS:
            assert client.post(reverse(f"designer:{name}", args=[slug]), {"confirm_name": "Shop"}).status_code == 403
        assert client.get(reverse("designer:deploy-run-detail", args=[slug, 1])).status_code == 403
    assert not DeployRun.objects.exists()


def test_staff_have_the_deploy_permission_without_a_grant(client, live_shop, make_user):
    staff = make_user("stan", staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_project"))
    client.force_login(staff)
    assert "Deploy</a>" in client.get(live_shop["project"].get_absolute_url()).content.decode()
    assert client.get(reverse("designer:deploy", args=[live_shop["project"].slug])).status_code == 200
    changelist = reverse("admin:designer_project_changelist")
    assert "Deploy selected projects" in client.get(changelist).content.decode()
    response = client.post(
        changelist, {"action": "deploy_selected", "_selected_action": [str(live_shop["project"].pk)]}, follow=True
    )
    assert "Shop: deploy #1 Succeeded." in response.content.decode()


def test_non_staff_without_the_permission_cannot_run_the_admin_action(client, live_shop, owner):
    client.force_login(owner)
    response = client.post(
        reverse("admin:designer_project_changelist"),
        {"action": "deploy_selected", "_selected_action": [str(live_shop["project"].pk)]},
    )
    assert response.status_code in (302, 403) and "/admin/login/" in response.get("Location", "/admin/login/")
    assert not DeployRun.objects.exists()


def test_deployer_runs_the_admin_action(client, live_shop, deployer):
    deployer.user_permissions.add(Permission.objects.get(codename="view_project"))
    client.force_login(deployer)
    response = client.post(
        reverse("admin:designer_project_changelist"),
        {"action": "deploy_selected", "_selected_action": [str(live_shop["project"].pk)]},
        follow=True,
    )
    assert "Shop: deploy #1 Succeeded." in response.content.decode()


def test_deployer_plans_deploys_renames_rolls_back_and_checks_drift_in_the_browser(client, live_shop, deployer):
    project = live_shop["project"]
    slug = project.slug
    client.force_login(deployer)
    page = client.get(reverse("designer:deploy", args=[slug])).content.decode()
    assert "CREATE TABLE &quot;shop&quot;.&quot;customers&quot;" in page and "Deploy</button>" in page
    digest = page.split('name="plan_digest" value="')[1].split('"')[0]
    response = client.post(
        reverse("designer:deploy-run", args=[slug]),
        {"plan_digest": digest, "message": "first"},
        follow=True,
    )
    assert "Verified: the database matches the intended schema" in response.content.decode()

    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute("INSERT INTO shop.customers (id, email) VALUES (1, 'a@x')")
    email = live_shop["customers"].fields.get(field_name="email")
    fields.update_field(email, actor=deployer, field_name="mail")
    page = client.get(reverse("designer:deploy", args=[slug])).content.decode()
    assert "RENAME COLUMN &quot;email&quot; TO &quot;mail&quot;" in page and "ADD COLUMN" not in page
    client.post(reverse("designer:deploy-run", args=[slug]))
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        assert conn.execute("SELECT mail FROM shop.customers").fetchall() == [("a@x",)]

    assert "Review rollback" in client.get(reverse("designer:deploy", args=[slug])).content.decode()
    preview = client.get(reverse("designer:deploy-rollback", args=[slug]), HTTP_HX_REQUEST="true").content.decode()
    assert "RENAME COLUMN &quot;mail&quot; TO &quot;email&quot;" in preview and "Roll back</button>" in preview
    assert "<th>Lock</th>" in preview and "ACCESS EXCLUSIVE" in preview and "customers</td><td>1</td>" in preview
    digest = preview.split('name="plan_digest" value="')[1].split('"')[0]
    response = client.post(reverse("designer:deploy-rollback", args=[slug]), {"plan_digest": digest}, follow=True)
    assert "Rollback #3" in response.content.decode() and "Verified" in response.content.decode()
    drift = client.get(reverse("designer:deploy-drift", args=[slug]), HTTP_HX_REQUEST="true").content.decode()
    assert "No drift" in drift


def test_a_destructive_plan_needs_the_typed_project_name(client, live_shop, deployer):
    project = live_shop["project"]
    client.force_login(deployer)
    client.post(reverse("designer:deploy-run", args=[project.slug]))
    fields.delete_field(live_shop["orders"].fields.get(field_name="total"), actor=deployer)
    page = client.get(reverse("designer:deploy", args=[project.slug])).content.decode()
    assert "Type the project name (Shop) to confirm" in page
    response = client.post(reverse("designer:deploy-run", args=[project.slug]), {"confirm_name": "shop"})
    assert response.status_code == 422
    assert "This plan drops data. Type the project name (Shop) to confirm." in response.content.decode()
    response = client.post(reverse("designer:deploy-run", args=[project.slug]), {"confirm_name": "Shop"}, follow=True)
    assert "Succeeded" in response.content.decode()


def test_a_rollback_that_drops_data_shows_its_figures_and_needs_the_typed_name(client, live_shop, deployer):
    project = live_shop["project"]
    client.force_login(deployer)
    client.post(reverse("designer:deploy-run", args=[project.slug]))
    live_shop["orders"].refresh_from_db()
    fields.create_field(live_shop["orders"], actor=deployer, field_name="note", data_type="text")
    client.post(reverse("designer:deploy-run", args=[project.slug]))
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute("INSERT INTO shop.customers (id, email) VALUES (1, 'a@x')")
        conn.execute("INSERT INTO shop.orders (id, customer_id, note) VALUES (1, 1, 'keep me'), (2, 1, NULL)")
    page = client.get(reverse("designer:deploy-rollback", args=[project.slug])).content.decode()
    assert "Dropping orders.note hides 1 values (kept aside until purged)." in page
    assert "risk-destructive" in page and "Type the project name (Shop) to confirm" in page
    response = client.post(reverse("designer:deploy-rollback", args=[project.slug]), {"confirm_name": "nope"})
    assert response.status_code == 422
    assert "This rollback drops data. Type the project name (Shop) to confirm." in response.content.decode()
    response = client.post(reverse("designer:deploy-rollback", args=[project.slug]), {})
    assert response.status_code == 422, "a missing name is refused too"
    assert DeployRun.objects.filter(project=project, kind="rollback").count() == 0
    response = client.post(
        reverse("designer:deploy-rollback", args=[project.slug]), {"confirm_name": "Shop"}, follow=True
    )
    assert "Rollback #3" in response.content.decode() and "Verified" in response.content.decode()


def test_rollback_command_prints_the_reverse_plan_and_needs_yes(live_shop, capsys, monkeypatch):
    project = live_shop["project"]
    call_command("deploy", project.slug, "--yes")
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="re-run with --yes") as exc:
        call_command("rollback", project.slug)
    assert exc.value.returncode == 3
    out = capsys.readouterr().out
    assert "Rollback of deploy #1 of Shop → schema shop" in out and "[destructive] lock ACCESS EXCLUSIVE" in out
    assert 'ALTER TABLE "shop"."orders" SET SCHEMA "shop_kept_d1r";' in out
    assert not DeployRun.objects.filter(kind="rollback").exists()
    call_command("rollback", project.slug, "--yes")
    assert "Rollback #2: Succeeded" in capsys.readouterr().out


def test_editor_saves_compares_and_restores_versions(client, live_shop, editor, locked):
    project = live_shop["project"]
    client.force_login(editor)
    url = reverse("designer:version-list", args=[project.slug])
    client.post(url, {"message": "initial shop"})
    with locked([], editor):
        fields.update_field(live_shop["customers"].fields.get(field_name="email"), actor=editor, field_name="mail")
    client.post(url, {"message": "rename email"})
    page = client.get(url).content.decode()
    assert "rename email" in page and "1 field renamed" in page and "Restore version 1" in page
    compare = client.get(reverse("designer:version-compare", args=[project.slug]), {"a": 1, "b": 2}).content.decode()
    assert "Rename field customers.email → customers.mail" in compare
    assert "RENAME COLUMN &quot;email&quot; TO &quot;mail&quot;" in compare
    client.post(reverse("designer:version-restore", args=[project.slug, 1]))
    latest = SchemaVersion.objects.filter(project=project).order_by("-version_number").first()
    assert latest.version_number == 3 and latest.message == "Restored version 1"
    assert latest.schema_hash == SchemaVersion.objects.get(project=project, version_number=1).schema_hash
    assert DataField.objects.filter(table__project=project, table__table_name="customers", field_name="email").exists()


def test_viewer_reads_history_but_cannot_save_or_restore(client, live_shop, viewer, editor):
    project = live_shop["project"]
    client.force_login(editor)
    client.post(reverse("designer:version-list", args=[project.slug]), {"message": "v1"})
    client.force_login(viewer)
    assert "Save version" not in client.get(reverse("designer:version-list", args=[project.slug])).content.decode()
    assert client.post(reverse("designer:version-list", args=[project.slug]), {"message": "x"}).status_code == 403
    assert client.post(reverse("designer:version-restore", args=[project.slug, 1])).status_code == 403


def test_shell_commands_plan_deploy_and_drift_with_exit_codes(live_shop, capsys):
    project = live_shop["project"]
    call_command("plan", project.slug)
    out = capsys.readouterr().out
    assert "Changes: 2 tables added" in out and 'CREATE TABLE "shop"."customers"' in out
    call_command("deploy", project.slug, "--yes")
    assert "Deploy #1: Succeeded" in capsys.readouterr().out
    call_command("drift", project.slug)
    assert "No drift" in capsys.readouterr().out
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {schema_name(project)}.orders ADD COLUMN sneaky int")
    with pytest.raises(CommandError) as exc:
        call_command("drift", project.slug)
    assert exc.value.returncode == 1
    assert "field orders.sneaky is in the database but not in the last deployed version" in capsys.readouterr().out
    fields.delete_field(live_shop["orders"].fields.get(field_name="total"), actor=project.owner)
    with pytest.raises(CommandError, match="re-run with --yes") as exc:
        call_command("deploy", project.slug)
    assert exc.value.returncode == 3


def test_a_deploy_approved_on_an_older_plan_is_refused(client, live_shop, deployer):
    project = live_shop["project"]
    client.force_login(deployer)
    page = client.get(reverse("designer:deploy", args=[project.slug])).content.decode()
    digest = page.split('name="plan_digest" value="')[1].split('"')[0]
    fields.create_field(live_shop["orders"], actor=deployer, field_name="note", data_type="text")
    response = client.post(reverse("designer:deploy-run", args=[project.slug]), {"plan_digest": digest}, follow=True)
    assert "The design changed since you opened the plan" in response.content.decode()
    assert not DeployRun.objects.exists()
