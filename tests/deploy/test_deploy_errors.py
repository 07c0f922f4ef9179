"""A busy or broken target never answers 500: purge during a deploy, a design that does not compile in the
admin action, a plan page while a running deploy holds a table's lock."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from designer.models import DeployRun, TableConstraint
from designer.services import deploy as deploy_service
from designer.services import fields, targets

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_purge_while_a_deploy_runs_is_refused_with_a_message(client, live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    client.force_login(deployer)
    with psycopg.connect(settings.DEPLOY_DATABASE_URL, autocommit=True) as deploy_in_progress:
        deploy_in_progress.execute("SELECT pg_advisory_lock(%s)", (targets._lock_key(project),))
        response = client.post(reverse("designer:deploy-purge", args=[project.slug]), {"confirm_name": "Shop"})
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    assert "Nothing was purged: Another deploy of &#x27;Shop&#x27; to prod is running right now" in page


def test_the_admin_action_reports_a_design_that_does_not_compile(client, live_shop, deployer):
    TableConstraint.objects.create(
        table=live_shop["orders"], name="orders_total_check", kind="check", expression="no_such_column > 0"
    )
    deployer.user_permissions.add(Permission.objects.get(codename="view_project"))
    client.force_login(deployer)
    response = client.post(
        reverse("admin:designer_project_changelist"),
        {"action": "deploy_selected", "_selected_action": [str(live_shop["project"].pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Shop: the design cannot be compiled: Check expression" in response.content.decode()
    assert not DeployRun.objects.exists()


def test_the_plan_page_says_when_a_table_is_locked_by_a_running_deploy(client, live_shop, deployer, monkeypatch):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer)
    live_shop["customers"].refresh_from_db()
    fields.create_field(live_shop["customers"], actor=deployer, field_name="nickname", data_type="text")
    monkeypatch.setattr(targets, "LOCK_TIMEOUT", "200ms")  # the plan page's wait; a deploy waits 5 s
    client.force_login(deployer)
    with psycopg.connect(settings.DEPLOY_DATABASE_URL) as running_deploy:
        running_deploy.execute("LOCK TABLE shop.customers IN ACCESS EXCLUSIVE MODE")
        response = client.get(reverse("designer:deploy", args=[project.slug]))
        running_deploy.rollback()
    assert response.status_code == 200
    page = response.content.decode()
    assert "unknown (the table is locked, maybe by a deploy running now)" in page
    assert "ADD COLUMN &quot;nickname&quot;" in page
