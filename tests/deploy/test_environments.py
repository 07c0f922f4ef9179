"""Environments: dev → staging → prod, each with its own schema, deployed version, runs and drift; promotion
deploys the exact version running in the previous environment; who may deploy is set per environment."""

from __future__ import annotations

import psycopg
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from designer.models import DeployRun, DeployStatus, Environment
from designer.services import deploy as deploy_service
from designer.services import environments, fields
from tests.pg_scratch import deploy_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _columns(schema: str, table: str) -> list[str]:
    with psycopg.connect(deploy_url()) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position",
            (schema, table),
        ).fetchall()
    return [r[0] for r in rows]


def test_a_project_has_dev_staging_and_prod_each_with_its_own_schema(project):
    envs = environments.of(project)
    assert [e.name for e in envs] == ["dev", "staging", "prod"]
    base = deploy_service.schema_name(project)
    assert [environments.schema_for(base, e) for e in envs] == [f"{base}_dev", f"{base}_staging", base]
    assert environments.primary(project).name == "prod"
    assert [e.deploy_right for e in envs] == ["editors", "deployers", "deployers"]
    assert [e.allow_seeding for e in envs] == [True, True, False]


def test_v2_deployed_to_dev_is_promoted_to_staging_exactly_while_prod_keeps_what_it_had(live_shop, deployer):
    project, orders = live_shop["project"], live_shop["orders"]
    clean = deploy_service.schema_name(project)
    v1_dev = deploy_service.deploy(project, actor=deployer, environment="dev")
    assert v1_dev.status == DeployStatus.SUCCEEDED
    v1_staging = deploy_service.promote(project, actor=deployer, source="dev")
    assert v1_staging.environment.name == "staging" and v1_staging.to_version == v1_dev.to_version

    fields.create_field(orders, actor=deployer, field_name="note", data_type="string")
    v2_dev = deploy_service.deploy(project, actor=deployer, environment="dev")
    assert v2_dev.status == DeployStatus.SUCCEEDED
    assert "note" in _columns(f"{clean}_dev", "orders")
    assert "note" not in _columns(f"{clean}_staging", "orders")
    assert deploy_service.deployed_version(project, "staging") == v1_dev.to_version

    # the design moves on after v2: promotion still deploys v2, not the design as it is now
    fields.create_field(orders, actor=deployer, field_name="later", data_type="integer")
    promoted = deploy_service.promote(project, actor=deployer, source="dev")
    assert promoted.status == DeployStatus.SUCCEEDED
    assert deploy_service.deployed_version(project, "staging") == v2_dev.to_version
    staging_columns = _columns(f"{clean}_staging", "orders")
    assert "note" in staging_columns and "later" not in staging_columns
    assert _columns(clean, "orders") == []  # prod never deployed
    assert deploy_service.deployed_version(project, "prod") is None
    assert set(DeployRun.objects.filter(project=project).values_list("environment__name", flat=True)) == {
        "dev",
        "staging",
    }


def test_drift_is_reported_per_environment(live_shop, deployer):
    project = live_shop["project"]
    deploy_service.deploy(project, actor=deployer, environment="dev")
    deploy_service.promote(project, actor=deployer, source="dev")
    with psycopg.connect(deploy_url(), autocommit=True) as conn:
        conn.execute(f'ALTER TABLE "{deploy_service.schema_name(project)}_staging".orders ADD COLUMN hotfix int')
    assert deploy_service.drift(project, "dev") == []
    report = deploy_service.drift(project, "staging")
    assert any("hotfix" in line for line in report)
    states = {s.environment.name: s for s in deploy_service.environment_states(project, deployer, with_drift=True)}
    assert states["dev"].drift == [] and states["staging"].drift and states["prod"].drift is None


def test_rollback_undoes_the_last_deploy_of_that_environment_only(live_shop, deployer):
    project, orders = live_shop["project"], live_shop["orders"]
    clean = deploy_service.schema_name(project)
    deploy_service.deploy(project, actor=deployer, environment="dev")
    deploy_service.promote(project, actor=deployer, source="dev")
    fields.create_field(orders, actor=deployer, field_name="note", data_type="string")
    deploy_service.deploy(project, actor=deployer, environment="dev")
    run = deploy_service.rollback(project, actor=deployer, environment="dev", confirm_name=project.name)
    assert run.status == DeployStatus.SUCCEEDED and run.environment.name == "dev"
    assert "note" not in _columns(f"{clean}_dev", "orders")
    assert deploy_service.deployed_version(project, "staging") is not None  # staging untouched
    assert "customer_id" in _columns(f"{clean}_staging", "orders")


def test_editors_deploy_to_dev_but_only_deployers_to_staging_and_prod(live_shop, editor, viewer, deployer):
    project = live_shop["project"]
    run = deploy_service.deploy(project, actor=editor, environment="dev")
    assert run.status == DeployStatus.SUCCEEDED
    for env in ("staging", "prod"):
        with pytest.raises(PermissionDenied, match="permission"):
            deploy_service.deploy(project, actor=editor, environment=env)
    with pytest.raises(PermissionDenied):
        deploy_service.promote(project, actor=editor, source="dev")
    for env in ("dev", "staging", "prod"):
        with pytest.raises(PermissionDenied):
            deploy_service.deploy(project, actor=viewer, environment=env)
    assert deploy_service.promote(project, actor=deployer, source="dev").status == DeployStatus.SUCCEEDED


def test_promoting_from_an_environment_with_nothing_deployed_is_refused_with_the_reason(live_shop, deployer):
    with pytest.raises(deploy_service.DeployRefused, match="Nothing is deployed in dev"):
        deploy_service.promote(live_shop["project"], actor=deployer, source="dev")
    with pytest.raises(deploy_service.DeployRefused, match="last environment"):
        deploy_service.promote(live_shop["project"], actor=deployer, source="prod")


def test_an_unknown_environment_names_the_ones_there_are(project, deployer):
    with pytest.raises(ValidationError, match="has no environment 'qa'; it has dev, staging, prod"):
        deploy_service.deploy(project, actor=deployer, environment="qa")


def test_owners_add_rename_reorder_and_remove_environments(project, owner, editor):
    qa = environments.add(project, actor=owner, name="qa")
    assert qa.schema_suffix == "_qa" and [e.name for e in environments.of(project)][-1] == "qa"
    environments.reorder(project, actor=owner, names=["dev", "qa", "staging", "prod"])
    assert [e.name for e in environments.of(project)] == ["dev", "qa", "staging", "prod"]
    environments.update(qa, actor=owner, name="test")
    assert environments.get(project, "test").schema_suffix == "_qa"  # its schema keeps its name
    with pytest.raises(PermissionDenied):
        environments.add(project, actor=editor, name="uat")
    with pytest.raises(ValidationError, match="not an environment name"):
        environments.add(project, actor=owner, name="Bad Name")
    with pytest.raises(ValidationError, match="already has"):
        environments.add(project, actor=owner, name="dev")
    with pytest.raises(ValidationError, match="keep it"):
        environments.remove(environments.primary(project), actor=owner)
    environments.remove(environments.get(project, "test"), actor=owner)
    assert not Environment.objects.filter(project=project, name="test").exists()


def test_the_database_refuses_an_environment_name_or_suffix_outside_the_rules(project):
    from django.db import IntegrityError, transaction

    environments.of(project)
    for bad in ({"name": "Prod", "schema_suffix": "_x"}, {"name": "x", "schema_suffix": "dev"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Environment.objects.create(project=project, position=9, **bad)
    with pytest.raises(IntegrityError), transaction.atomic():  # one primary (own schema) per project
        Environment.objects.create(project=project, name="other", position=9, schema_suffix="")


def test_a_project_whose_schema_would_be_another_projects_dev_schema_gets_another_name(owner, deployer, clean_target):
    from designer.services import projects

    shop = projects.create_project(actor=owner, name="Shop one", slug="shop")
    clean_target(shop)
    deploy_service.deploy(shop, actor=deployer, environment="dev")  # claims "shop", deploys into shop_dev
    rival = projects.create_project(actor=owner, name="Shop dev", slug="shop_dev")
    assert deploy_service.schema_name(shop) == "shop"
    assert deploy_service.schema_name(rival) not in {"shop_dev", "shop_staging", "shop"}
