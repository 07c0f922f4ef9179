"""A DEPLOY_DATABASE_URL that cannot be used says so by name — on /healthz, the Deploy page, the Deploy button,
``manage.py deploy`` and the API's migration preview — never with a driver traceback or a server error page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from designer.services import deploy_target

BAD_URLS = {
    "another database": ("mysql://app@db.example/app", "it is a mysql:// URL"),
    "no scheme at all": ("app:s3cret@db.example/app", "it has no scheme"),
    "unparseable": ("postgres://post gres:s3cret@127.0.0.1/x", "is not a valid PostgreSQL URL"),
    "unreachable": ("postgres://postgres:s3cret@127.0.0.1:1/nowhere", "is unreachable"),
}
cases = pytest.mark.parametrize(("url", "says"), list(BAD_URLS.values()), ids=list(BAD_URLS))


@cases
def test_healthz_names_the_variable_and_what_is_wrong_without_the_password(client, db, settings, url, says):
    settings.DEPLOY_DATABASE_URL = url
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    error = response.json()["checks"]["deploy_database"]["error"]
    assert "DEPLOY_DATABASE_URL" in error and says in error
    assert "s3cret" not in error
    assert "Traceback" not in error and "psycopg" not in error


@cases
def test_the_deploy_page_explains_the_misconfigured_target(client, shop, deployer, settings, url, says):
    settings.DEPLOY_DATABASE_URL = url
    client.force_login(deployer)
    response = client.get(reverse("designer:deploy", args=[shop["project"].slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "DEPLOY_DATABASE_URL" in page and says in page
    assert "s3cret" not in page


@cases
def test_pressing_deploy_keeps_the_design_and_explains_the_target(client, shop, deployer, settings, url, says):
    settings.DEPLOY_DATABASE_URL = url
    client.force_login(deployer)
    response = client.post(reverse("designer:deploy-run", args=[shop["project"].slug]), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "DEPLOY_DATABASE_URL" in page and says in page
    assert shop["project"].tables.count() == 2, "nothing of the design is lost"


@cases
def test_manage_py_deploy_exits_refused_with_the_message(shop, settings, url, says):
    settings.DEPLOY_DATABASE_URL = url
    with pytest.raises(CommandError) as refused:
        call_command("deploy", shop["project"].slug, "--yes")
    assert refused.value.returncode == 3
    assert "DEPLOY_DATABASE_URL" in str(refused.value) and says in str(refused.value)


@cases
def test_the_api_migration_preview_is_503_naming_the_variable(api, key_for, shop, owner, settings, url, says):
    settings.DEPLOY_DATABASE_URL = url
    status, body = api.get(f"/v1/public/{shop['project'].slug}/migration", key=key_for(owner))
    assert status == 503
    assert body["error_code"] == "DEPLOY_TARGET_UNAVAILABLE"
    assert "DEPLOY_DATABASE_URL" in body["detail"] and says in body["detail"]


def test_a_sqlite_url_where_postgresql_is_required_names_the_variable(settings, tmp_path):
    settings.DEPLOY_DATABASE_URL = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    with pytest.raises(deploy_target.DeployTargetMisconfigured, match="DEPLOY_DATABASE_URL=postgres://"):
        deploy_target.connect_postgres()
