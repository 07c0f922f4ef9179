"""The deploy rehearsal on real PostgreSQL: the shop is deployed, rows go into its schema, the design changes, and
``rehearse`` runs the plan on a scratch copy — reporting every failing statement with the real numbers, and
leaving the source schema exactly as it was."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql

from designer.services import deploy as deploy_service
from designer.services import fields, indexes, relationships
from designer.services.deploy_target import connect_postgres
from designer.services.rehearsal import SCRATCH_PREFIX, RehearsalError, rehearse
from designer.services.snapshots import project_snapshot
from tests.deploy.conftest import clean_target, deployer  # noqa: F401 - fixtures
from tests.pg_scratch import deploy_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _design_writes(locked, owner, deployer):  # noqa: F811
    with locked([], owner), locked([], deployer):
        yield


class Live:
    """The deployed shop (customers 1—n orders, plus customers.city, customers.score and orders.referrer_id) and a
    connection to its target database."""

    def __init__(self, shop: dict, conn: psycopg.Connection, actor) -> None:
        self.project, self.conn, self.actor = shop["project"], conn, actor
        self.customers, self.orders = shop["customers"], shop["orders"]
        self.schema = deploy_service.schema_name(self.project)
        self.base = deploy_service.deployed_snapshot(self.project)

    def sql(self, query: str, params: tuple | list | None = None):
        self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        cur = self.conn.execute(query, params)
        self.conn.execute("RESET search_path")
        return cur.fetchall() if cur.description else None

    def field(self, table, name: str):
        return table.fields.get(field_name=name)

    def rehearse(self, **kwargs):
        return rehearse(self.conn, self.schema, self.base, project_snapshot(self.project), **kwargs)

    def state(self) -> dict:
        """Everything a rehearsal must not change: the catalog of the source schema, its rows, and which schemas
        exist."""
        q = self.conn.execute
        return {
            "columns": q(
                "SELECT table_name, column_name, data_type, is_nullable, column_default, ordinal_position "
                "FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
                (self.schema,),
            ).fetchall(),
            "constraints": q(
                "SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints "
                "WHERE table_schema = %s ORDER BY 1, 2",
                (self.schema,),
            ).fetchall(),
            "indexes": q("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1", (self.schema,))
            .fetchall(),
            "rows": {
                t: q(sql.SQL("SELECT count(*), md5(string_agg(x::text, ',' ORDER BY x::text)) FROM {} x").format(
                    sql.Identifier(self.schema, t))).fetchone()
                for t in ("customers", "orders")
            },
            "schemas": q("SELECT nspname FROM pg_namespace ORDER BY 1").fetchall(),
        }  # fmt: skip


def scratch_schemas(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (SCRATCH_PREFIX,))
    return [name for (name,) in rows.fetchall()]


@pytest.fixture
def live(shop, clean_target, deployer):  # noqa: F811
    clean_target(shop["project"])
    customers, orders = shop["customers"], shop["orders"]
    fields.create_field(customers, actor=deployer, field_name="city", data_type="string")
    fields.create_field(customers, actor=deployer, field_name="score", data_type="text")
    fields.create_field(orders, actor=deployer, field_name="referrer_id", data_type="integer")
    run = deploy_service.deploy(shop["project"], actor=deployer)
    assert run.status == "succeeded", run.error or run.verification
    with connect_postgres(deploy_url(), autocommit=True) as conn:
        live = Live(shop, conn, deployer)
        cities = ["Paris", "Paris", "Paris", "Rome", "Oslo", "Oslo", None, None, "Bern", "Lima"]
        scores = ["1", "2", "x", "abc", "", None, "7", "8", "9", "10"]
        live.sql(
            "INSERT INTO customers (id, email, city, score) SELECT i, 'c' || i || '@x', c, s "
            "FROM unnest(%s::int[], %s::text[], %s::text[]) AS u(i, c, s)",
            (list(range(1, 11)), cities, scores),
        )
        live.sql(
            "INSERT INTO orders (id, customer_id, total, referrer_id) "
            "SELECT i, 1 + i % 10, i - 3, CASE WHEN i IN (5, 6) THEN 900 + i WHEN i < 5 THEN i END "
            "FROM generate_series(1, 20) i"
        )  # totals -2..17 (two negative, one zero), referrers 1..4 (exist), 905 and 906 (do not), else NULL
        yield live


def only_failure(report):
    assert not report.success
    assert len(report.failures) == 1, [f.summary for f in report.failures]
    return report.failures[0]


# --- NOT NULL ------------------------------------------------------------------------------------------
def test_a_required_field_without_default_on_a_table_with_rows_fails_with_the_row_count(live):
    fields.create_field(live.orders, actor=live.actor, field_name="note", data_type="text", is_required=True)
    failure = only_failure(live.rehearse())
    assert failure.kind == "not_null" and failure.error_class == "NotNullViolation"
    assert (failure.table, failure.column, failure.rows, failure.of_rows) == ("orders", "note", 20, 20)
    assert 'ADD COLUMN "note" text NOT NULL' in failure.sql
    assert "contains null values" in failure.error
    assert failure.summary.startswith("orders.note: required without a default, and the table has 20 rows")


def test_making_a_field_with_three_nulls_required_reports_the_three_rows(live):
    live.sql("UPDATE orders SET total = NULL WHERE id IN (3, 7, 11)")
    fields.update_field(live.field(live.orders, "total"), actor=live.actor, is_required=True)
    failure = only_failure(live.rehearse())
    assert failure.kind == "not_null"
    assert (failure.table, failure.column, failure.rows, failure.of_rows) == ("orders", "total", 3, 20)
    assert failure.sql.endswith('ALTER COLUMN "total" SET NOT NULL;')
    assert failure.examples[0] == '{"id" : 3}'
    assert failure.summary == (
        'orders.total: 3 of 20 rows are NULL (e.g. {"id" : 3}) — add a default or fill them first'
    )
    assert not failure.sampled


# --- UNIQUE, CHECK, FOREIGN KEY, type casts -------------------------------------------------------------
def test_duplicates_under_a_new_unique_are_counted(live):
    fields.update_field(live.field(live.customers, "city"), actor=live.actor, is_unique=True)
    failure = only_failure(live.rehearse())
    assert failure.kind == "unique" and failure.constraint == "customers_city_key"
    # Paris ×3 and Oslo ×2: 3 rows too many; the two NULLs are not duplicates under UNIQUE
    assert (failure.table, failure.column, failure.rows, failure.of_rows) == ("customers", "city", 3, 10)
    assert failure.examples == ["Paris ×3"]
    assert "2 values appear more than once" in failure.summary


def test_a_failing_type_cast_counts_the_values_that_fail_with_an_example(live):
    fields.update_field(live.field(live.customers, "score"), actor=live.actor, data_type="integer")
    failure = only_failure(live.rehearse())
    assert failure.kind == "cast" and failure.error_class == "InvalidTextRepresentation"
    assert 'invalid input syntax for type integer: "x"' in failure.error or "invalid input syntax" in failure.error
    # 'x', 'abc' and '' fail; NULL casts to NULL
    assert (failure.table, failure.column, failure.rows, failure.of_rows) == ("customers", "score", 3, 10)
    assert failure.examples == ["''", "'abc'", "'x'"]
    assert failure.summary.startswith("customers.score: 3 of 10 values cannot become integer (e.g. '')")


def test_a_new_check_that_rows_violate_counts_them(live):
    indexes.create_constraint(live.orders, actor=live.actor, kind="check", expression="total >= 0", name="total_ok")
    failure = only_failure(live.rehearse())
    assert failure.kind == "check" and failure.constraint == "total_ok"
    assert (failure.table, failure.rows, failure.of_rows) == ("orders", 2, 20)  # totals -2 and -1
    assert json.loads(failure.examples[0])["total"] in (-2, -1)
    assert "violate the new check total_ok" in failure.summary


def test_a_new_foreign_key_with_orphans_counts_them(live):
    relationships.create_relationship(
        live.project,
        actor=live.actor,
        source_field=live.field(live.customers, "id"),
        target_field=live.field(live.orders, "referrer_id"),
        relationship_name="orders_referrer_fk",
    )
    failure = only_failure(live.rehearse())
    assert failure.kind == "foreign_key" and failure.constraint == "orders_referrer_fk"
    assert (failure.table, failure.column, failure.rows, failure.of_rows) == ("orders", "referrer_id", 2, 20)
    assert failure.examples == ["905", "906"]
    assert "reference customers.id values that do not exist" in failure.summary


# --- clean plans, several failures ----------------------------------------------------------------------
def test_a_clean_plan_succeeds_and_says_how_long_it_took(live):
    fields.create_field(live.orders, actor=live.actor, field_name="note", data_type="text")
    fields.update_field(live.field(live.customers, "city"), actor=live.actor, field_name="town")
    fields.update_field(live.field(live.orders, "total"), actor=live.actor, default_value="1.00")
    report = live.rehearse()
    assert report.success, [f.summary for f in report.failures]
    assert report.failures == [] and report.statements_failed == 0
    assert report.statements_total == report.statements_run >= 3
    assert report.duration_ms >= 0 and set(report.phases_ms) >= {"structure", "copy", "foreign_keys", "plan"}
    assert {(t.table, t.copied, t.sampled, t.source_rows) for t in report.tables} == {
        ("customers", 10, False, 10),
        ("orders", 20, False, 20),
    }
    assert report.summary.startswith(f"All {report.statements_total} statements ran")


def test_nothing_to_deploy_is_a_success_without_a_copy(live):
    report = live.rehearse()
    assert report.success and report.statements_total == 0 and report.tables == []


def test_several_failures_in_one_plan_are_all_reported_each_with_its_numbers(live):
    live.sql("UPDATE orders SET total = NULL WHERE id IN (3, 7, 11)")
    fields.update_field(live.field(live.orders, "total"), actor=live.actor, is_required=True)
    fields.create_field(live.orders, actor=live.actor, field_name="note", data_type="text", is_required=True)
    fields.update_field(live.field(live.customers, "city"), actor=live.actor, is_unique=True)
    fields.update_field(live.field(live.customers, "score"), actor=live.actor, data_type="integer")
    fields.update_field(live.field(live.customers, "email"), actor=live.actor, field_name="mail")  # runs fine
    report = live.rehearse()
    assert not report.success
    found = {(f.kind, f.table, f.column): f.rows for f in report.failures}
    assert found == {
        ("not_null", "orders", "total"): 3,
        ("not_null", "orders", "note"): 20,
        ("unique", "customers", "city"): 3,
        ("cast", "customers", "score"): 3,
    }
    assert report.statements_failed == 4 and report.statements_run == report.statements_total
    assert all(f.after_failure is None for f in report.failures)
    assert [f.index for f in report.failures] == sorted(f.index for f in report.failures)
    assert report.summary.startswith(f"4 of {report.statements_total} statements fail")


def test_the_report_is_json_and_shows_the_sql_the_deploy_will_run(live):
    fields.update_field(live.field(live.customers, "score"), actor=live.actor, data_type="integer")
    report = live.rehearse(tag="d7")
    data = json.loads(json.dumps(report.as_dict()))
    assert data["success"] is False and data["failures"][0]["kind"] == "cast"
    assert data["failures"][0]["sql"].startswith(f'ALTER TABLE "{live.schema}"."customers"')
    assert report.scratch_schema not in json.dumps(data["failures"])
    assert data["tables"][0].keys() >= {"table", "copied", "sampled", "source_rows"}
    plan = deploy_service.plan(live.project)
    assert data["failures"][0]["sql"] == plan.forward[data["failures"][0]["index"]].sql


# --- the source is untouched -----------------------------------------------------------------------------
def test_the_source_schema_is_untouched_and_no_scratch_schema_is_left(live):
    live.sql("UPDATE orders SET total = NULL WHERE id IN (3, 7, 11)")
    fields.update_field(live.field(live.orders, "total"), actor=live.actor, is_required=True)
    fields.update_field(live.field(live.customers, "city"), actor=live.actor, field_name="town")
    fields.delete_field(live.field(live.orders, "referrer_id"), actor=live.actor)
    before = live.state()
    report = live.rehearse()
    assert report.statements_failed == 1  # the NULLs; the rename and the drop ran (in the copy)
    assert live.state() == before
    assert scratch_schemas(live.conn) == []
    assert live.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_an_error_mid_way_leaves_no_scratch_schema_and_the_source_untouched(live):
    fields.create_field(live.orders, actor=live.actor, field_name="note", data_type="text")
    fields.update_field(live.field(live.customers, "city"), actor=live.actor, field_name="town")
    before = live.state()
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append(scratch_schemas(live.conn))  # the scratch schema exists while the rehearsal runs
        raise RuntimeError("the worker was stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        live.rehearse(progress=progress)
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].startswith(SCRATCH_PREFIX)
    assert scratch_schemas(live.conn) == []
    assert live.state() == before
    assert live.rehearse().success, "the connection is usable again"


def test_a_source_that_does_not_match_the_deployed_design_is_refused_and_nothing_is_left(live):
    live.sql("ALTER TABLE orders DROP COLUMN referrer_id")  # drift: changed outside Tablewright
    fields.create_field(live.orders, actor=live.actor, field_name="note", data_type="text")
    with pytest.raises(RehearsalError, match="does not match the deployed design"):
        live.rehearse()
    assert scratch_schemas(live.conn) == []


def test_only_access_share_locks_are_taken_on_the_source(live):
    """A session holding EXCLUSIVE locks (which conflict with every lock but ACCESS SHARE) on the source tables
    does not stop the rehearsal; one holding ACCESS EXCLUSIVE (a deploy's DDL) makes it give up after the lock
    timeout with a clear message."""
    fields.update_field(live.field(live.customers, "city"), actor=live.actor, is_unique=True)
    tables = sql.SQL(", ").join(sql.Identifier(live.schema, t) for t in ("customers", "orders"))
    with psycopg.connect(deploy_url()) as other:
        other.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(tables))
        report = live.rehearse(lock_timeout_ms=2_000)
        assert report.statements_failed == 1 and report.failures[0].rows == 3
        other.rollback()
        other.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(tables))
        with pytest.raises(RehearsalError, match="locked"):
            live.rehearse(lock_timeout_ms=200)
        other.rollback()
    assert scratch_schemas(live.conn) == []


# --- sampling ----------------------------------------------------------------------------------------------
def test_a_table_above_the_bound_is_sampled_and_the_sample_keeps_its_references(live):
    live.sql(
        "INSERT INTO customers (id, email) SELECT i, 'c' || i || '@x' FROM generate_series(11, 500) i;"
        "INSERT INTO orders (id, customer_id) SELECT i, 500 - i % 480 FROM generate_series(21, 300) i"
    )
    fields.update_field(live.field(live.customers, "city"), actor=live.actor, is_unique=True)
    report = live.rehearse(sample_rows=50)
    tables = {t.table: t for t in report.tables}
    orders, customers = tables["orders"], tables["customers"]
    assert orders.sampled and orders.copied == 50 and orders.source_rows is None
    # the 50 sampled orders reference customers the first 50 customers do not include: those come along
    assert customers.sampled and customers.added_for_references > 0
    assert customers.copied == 50 + customers.added_for_references
    assert report.sampled_tables == ["customers", "orders"]
    failure = only_failure(report)  # the base's foreign key was added to the copy without orphans
    assert failure.kind == "unique" and failure.rows == 3 and failure.sampled
    assert "in a sample of" in failure.summary


def test_a_table_at_the_bound_is_copied_whole(live):
    fields.create_field(live.orders, actor=live.actor, field_name="note", data_type="text")
    report = live.rehearse(sample_rows=20)
    tables = {t.table: t for t in report.tables}
    assert (tables["orders"].copied, tables["orders"].sampled, tables["orders"].source_rows) == (20, False, 20)
    assert report.sampled_tables == []
