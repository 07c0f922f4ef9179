"""Table locks: one holder at a time, leases that expire, heartbeats, forced release, and the write guard."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from designer.models import DataField, DataTable, TableConstraint, TableIndex, TableLock
from designer.services import fields, indexes, locks, relationships, tables
from designer.services.locks import StaleRevision, TableLocked


def _expire_now(lock: TableLock) -> None:
    TableLock.objects.filter(pk=lock.pk).update(
        locked_at=timezone.now() - timedelta(minutes=5), expires_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_editors_racing_for_a_table_get_exactly_one_winner(project, owner, make_user):
    from designer.services import projects

    table = tables.create_table(project, actor=owner, table_name="invoices")
    racers = [make_user(f"racer{i}") for i in range(20)]
    for racer in racers:
        projects.set_member(project, actor=owner, username=racer.username, role="editor")
    barrier = threading.Barrier(len(racers))
    won, refused, other = [], [], []

    def race(user):
        try:
            barrier.wait()
            won.append(locks.acquire(table, actor=user))
        except TableLocked as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - anything else is a failure we want to see
            other.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert other == []
    assert len(won) == 1 and len(refused) == 19
    winner = won[0].user.username
    assert TableLock.objects.filter(table=table, released_at__isnull=True).count() == 1
    for exc in refused:
        assert exc.holder == winner
        assert f"invoices is locked by {winner} until " in exc.message


@pytest.mark.postgres
def test_second_editor_is_told_who_holds_the_lock_until_when(project, owner, editor):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock = locks.acquire(table, actor=owner)
    assert lock.lock_type == "optimistic"
    assert 115 <= (lock.expires_at - lock.locked_at).total_seconds() <= 120
    with pytest.raises(TableLocked) as info:
        locks.acquire(table, actor=editor)
    assert info.value.holder == "olivia"
    assert info.value.expires_at == lock.expires_at
    assert info.value.message.startswith("invoices is locked by olivia until ")


@pytest.mark.postgres
def test_viewers_cannot_lock_and_pessimistic_locks_need_a_reason(project, owner, viewer):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    with pytest.raises(PermissionDenied):
        locks.acquire(table, actor=viewer)
    with pytest.raises(ValidationError) as info:
        locks.acquire(table, actor=owner, lock_type="pessimistic")
    assert "reason" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        locks.acquire(table, actor=owner, lock_type="exclusive")
    assert "lock_type" in info.value.message_dict
    with pytest.raises(PermissionDenied, match="deploy permission"):
        locks.acquire(table, actor=owner, lock_type="critical")
    lock = locks.acquire(table, actor=owner, lock_type="pessimistic", reason="splitting it")
    assert (lock.expires_at - lock.locked_at).total_seconds() == pytest.approx(1800, abs=1)


@pytest.mark.postgres
def test_asking_again_renews_and_can_upgrade_the_same_lock(project, owner):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    first = locks.acquire(table, actor=owner)
    again = locks.acquire(table, actor=owner, lock_type="pessimistic", reason="restructuring")
    assert again.pk == first.pk and again.lock_token == first.lock_token
    assert again.lock_type == "pessimistic" and again.expires_at > first.expires_at


@pytest.mark.postgres
def test_heartbeat_extends_the_lease_and_fails_once_the_lock_is_gone(project, owner):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock = locks.acquire(table, actor=owner, ttl=10)
    renewed = locks.renew(table, actor=owner, lock_token=lock.lock_token)
    assert renewed.expires_at > lock.expires_at + timedelta(seconds=100)
    assert locks.release(table, actor=owner, lock_token=lock.lock_token) is True
    assert locks.release(table, actor=owner, lock_token=lock.lock_token) is False
    with pytest.raises(TableLocked, match="Your lock on invoices was released at"):
        locks.renew(table, actor=owner, lock_token=lock.lock_token)


@pytest.mark.postgres
def test_an_expired_lock_is_freed_once_and_the_table_can_be_taken(project, owner, editor):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock = locks.acquire(table, actor=owner)
    _expire_now(lock)
    with pytest.raises(TableLocked, match="Your lock on invoices expired at"):
        locks.renew(table, actor=owner, lock_token=lock.lock_token)
    assert [expired.pk for expired in locks.expire_locks()] == [lock.pk]
    assert locks.expire_locks() == []
    lock.refresh_from_db()
    assert lock.release_reason == "expired" and lock.released_at is not None
    assert locks.acquire(table, actor=editor).user == editor


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_expire_locks_loop_survives_a_database_error_and_frees_the_lock_next_sweep(project, owner, caplog):
    import psycopg
    from django.core.management import call_command

    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock = locks.acquire(table, actor=owner)
    _expire_now(lock)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    dsn = connection.get_connection_params()
    dsn.pop("cursor_factory", None), dsn.pop("context", None), dsn.pop("prepare_threshold", None)
    with psycopg.connect(**dsn, autocommit=True) as other:  # the database drops the command's connection
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    call_command("expire_locks", "--loop", "--interval", "0.05", "--sweeps", "3")
    assert "lock expiry sweep failed" in caplog.text  # the first sweep failed, was logged, and the loop went on
    lock.refresh_from_db()
    assert lock.release_reason == "expired"


@pytest.mark.postgres
def test_acquire_claims_an_expired_lock_nobody_swept(project, owner, editor, django_capture_on_commit_callbacks):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock = locks.acquire(table, actor=owner)
    _expire_now(lock)
    with django_capture_on_commit_callbacks() as callbacks:
        mine = locks.acquire(table, actor=editor)
    assert mine.user == editor
    lock.refresh_from_db()
    assert lock.release_reason == "expired"
    assert len(callbacks) == 2  # lock.expired for olivia's, lock.acquired for eddie's


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_claim_each_expired_lock_exactly_once(project, owner):
    expired = []
    for n in range(5):
        lock = locks.acquire(tables.create_table(project, actor=owner, table_name=f"t{n}"), actor=owner)
        _expire_now(lock)
        expired.append(lock.pk)
    barrier = threading.Barrier(4)
    claimed = []

    def sweep():
        try:
            barrier.wait()
            claimed.extend(lock.pk for lock in locks.expire_locks())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(expired)


@pytest.mark.postgres
def test_owner_forces_an_editors_lock_and_history_names_them(project, owner, editor):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock = locks.acquire(table, actor=editor)
    with pytest.raises(PermissionDenied, match="Only the project's owners and staff"):
        locks.force_release(table, actor=editor)
    forced = locks.force_release(table, actor=owner, reason="eddie is on holiday")
    assert forced.pk == lock.pk and forced.release_reason == "forced" and forced.released_by == owner
    record = lock.history.order_by("-history_date").first()
    assert record.history_user == owner and record.history_change_reason == "eddie is on holiday"
    assert record.release_reason == "forced"
    with pytest.raises(TableLocked, match="Your lock on invoices was broken by olivia"):
        fields.create_field(
            table, actor=editor, field_name="x", data_type="text", lock_token=lock.lock_token, base_revision=1
        )
    with pytest.raises(ValidationError, match="not locked"):
        locks.force_release(table, actor=owner)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_guarded_write_holds_the_table_and_its_lock_until_it_commits_so_a_force_cannot_slip_in(
    project, owner, editor
):
    from django.db import OperationalError, transaction

    table = tables.create_table(project, actor=owner, table_name="invoices")
    lock = locks.acquire(table, actor=editor)
    seen = {}

    def try_to_take(name, queryset):  # another server process, right now, without waiting
        try:
            with transaction.atomic():
                seen[name] = len(queryset.select_for_update(nowait=True)) == 1
        except OperationalError:
            seen[name] = "waits"
        finally:
            connection.close()

    def others():
        for name, queryset in (
            ("lock", TableLock.objects.filter(pk=lock.pk)),
            ("table", DataTable.objects.filter(pk=table.pk)),
        ):
            thread = threading.Thread(target=try_to_take, args=(name, queryset))
            thread.start()
            thread.join()

    with transaction.atomic():
        guarded = locks.guard_write(table, actor=editor, lock_token=lock.lock_token, base_revision=table.revision)
        assert guarded is table
        others()
        assert seen == {"lock": "waits", "table": "waits"}  # a force-release (or another write) queues behind it
    others()
    assert seen == {"lock": True, "table": True}


@pytest.mark.postgres
def test_only_staff_break_a_critical_deploy_lock(project, owner, make_user):
    admin = make_user("sam", staff=True)
    table = tables.create_table(project, actor=owner, table_name="invoices")
    locks.acquire(table, actor=admin, lock_type="critical", reason="deploy 12")
    with pytest.raises(PermissionDenied, match="only staff"):
        locks.force_release(table, actor=owner)
    assert locks.force_release(table, actor=admin).release_reason == "forced"


# --- a deploy's locks: many tables at once --------------------------------------------------------------


@pytest.mark.postgres
def test_a_deploy_locks_all_its_tables_in_one_go_or_none(
    project, owner, editor, make_user, django_capture_on_commit_callbacks
):
    deployer = make_user("sam", staff=True)
    a, b, c = (tables.create_table(project, actor=owner, table_name=name) for name in ("a", "b", "c"))
    held = locks.acquire(b, actor=editor)
    with pytest.raises(TableLocked, match="b is locked by eddie until "):
        locks.acquire_many([a, b, c], actor=deployer, lock_type="critical", reason="Deploy")
    assert list(TableLock.objects.filter(released_at__isnull=True)) == [held], "a and c are not left locked"
    with pytest.raises(PermissionDenied, match="deploy permission"):
        locks.acquire_many([a, c], actor=editor, lock_type="critical", reason="Deploy")
    locks.release(b, actor=editor, lock_token=held.lock_token)

    with django_capture_on_commit_callbacks() as callbacks:
        taken = locks.acquire_many([a, b, c], actor=deployer, lock_type="critical", reason="Deploy")
    assert [lock.table for lock in taken] == [a, b, c]
    assert {(lock.user, lock.lock_type, lock.reason) for lock in taken} == {(deployer, "critical", "Deploy")}
    active = TableLock.objects.filter(released_at__isnull=True)
    assert sorted(active.values_list("table__table_name", "lock_type")) == [(n, "critical") for n in "abc"]
    assert len(callbacks) == 1, "the three lock.acquired events go out together"
    with pytest.raises(TableLocked, match="a is locked by sam until "):
        locks.acquire(a, actor=editor)


@pytest.mark.postgres
def test_a_deploy_upgrades_its_own_lock_and_takes_over_an_expired_one(project, owner, editor, make_user):
    deployer = make_user("sam", staff=True)
    a, b, c = (tables.create_table(project, actor=owner, table_name=name) for name in ("a", "b", "c"))
    mine = locks.acquire(a, actor=deployer)  # the deployer has a open in a panel
    stale = locks.acquire(b, actor=editor)
    _expire_now(stale)
    taken = locks.acquire_many([a, b, c], actor=deployer, lock_type="critical", reason="Deploy")
    assert taken[0].pk == mine.pk and taken[0].lock_token == mine.lock_token
    assert [(lock.user, lock.lock_type) for lock in taken] == [(deployer, "critical")] * 3
    stale.refresh_from_db()
    assert stale.release_reason == "expired"
    assert TableLock.objects.filter(released_at__isnull=True, user=deployer, lock_type="critical").count() == 3


@pytest.mark.postgres
def test_releasing_a_deploys_locks_leaves_one_broken_meanwhile_as_it_was(
    project, owner, make_user, django_capture_on_commit_callbacks
):
    deployer, boss = make_user("sam", staff=True), make_user("bea", staff=True)
    a, b = (tables.create_table(project, actor=owner, table_name=name) for name in ("a", "b"))
    taken = locks.acquire_many([a, b], actor=deployer, lock_type="critical", reason="Deploy")
    locks.force_release(b, actor=boss, reason="urgent fix")
    with django_capture_on_commit_callbacks() as callbacks:
        released = locks.release_many(taken)
    assert [lock.table for lock in released] == [a]
    assert len(callbacks) == 1
    rows = TableLock.objects.select_related("table", "released_by").order_by("table__table_name")
    assert [(r.table.table_name, r.release_reason, r.released_by.username) for r in rows] == [
        ("a", "released", "sam"),
        ("b", "forced", "bea"),
    ]
    assert locks.release_many(taken) == [], "nothing is released (or announced) twice"
    assert locks.acquire(a, actor=owner).user == owner


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deploy_racing_editors_for_its_tables_gets_all_of_them_or_none(project, owner, make_user):
    from designer.services import projects

    deployer = make_user("sam", staff=True)
    names = [f"t{n}" for n in range(12)]
    all_tables = [tables.create_table(project, actor=owner, table_name=name) for name in names]
    editors = [make_user(f"racer{i}") for i in range(4)]
    for user in editors:
        projects.set_member(project, actor=owner, username=user.username, role="editor")
    barrier = threading.Barrier(len(editors) + 1)
    outcome, other = [], []

    def editor_races(user, order):
        try:
            barrier.wait()
            for table in order:
                with contextlib.suppress(TableLocked):
                    locks.acquire(table, actor=user)
        except Exception as exc:  # noqa: BLE001 - anything else is a failure we want to see
            other.append(exc)
        finally:
            connection.close()

    def deploy_races():
        try:
            barrier.wait()
            outcome.append(len(locks.acquire_many(all_tables, actor=deployer, lock_type="critical", reason="Deploy")))
        except TableLocked:
            outcome.append(0)
        except Exception as exc:  # noqa: BLE001
            other.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deploy_races)] + [
        threading.Thread(target=editor_races, args=(user, all_tables[i::2] + all_tables[1 - i % 2 :: 2]))
        for i, user in enumerate(editors)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    active = TableLock.objects.filter(released_at__isnull=True)
    assert sorted(active.values_list("table__table_name", flat=True)) == sorted(names), "one lock per table"
    held_by_deploy = active.filter(user=deployer).count()
    assert (outcome, held_by_deploy) in (([12], 12), ([0], 0)), "the deploy holds every table or none"


# --- the write guard ---------------------------------------------------------------------------


def _guarded_writes(shop):
    """Every guarded service write, as (name, table it guards, call(**lock_args))."""
    customers, orders, fk = shop["customers"], shop["orders"], shop["fk"]
    total = DataField.objects.get(table=orders, field_name="total")
    return [
        ("update_table", orders, lambda a, **k: tables.update_table(orders, actor=a, description="x", **k)),
        (
            "transition_table",
            orders,
            lambda a, **k: tables.transition_table(orders, actor=a, status="active", by_deploy=True, **k),
        ),
        ("delete_table", orders, lambda a, **k: tables.delete_table(orders, actor=a, **k)),
        (
            "create_field",
            orders,
            lambda a, **k: fields.create_field(orders, actor=a, field_name="note", data_type="text", **k),
        ),
        ("update_field", orders, lambda a, **k: fields.update_field(total, actor=a, description="sum", **k)),
        ("delete_field", orders, lambda a, **k: fields.delete_field(total, actor=a, **k)),
        (
            "reorder_fields",
            orders,
            lambda a, **k: fields.reorder_fields(
                orders, actor=a, field_ids=list(reversed(orders.fields.values_list("pk", flat=True))), **k
            ),
        ),
        ("create_index", orders, lambda a, **k: indexes.create_index(orders, actor=a, field_ids=[total.pk], **k)),
        (
            "create_constraint",
            orders,
            lambda a, **k: indexes.create_constraint(orders, actor=a, kind="check", expression="total >= 0", **k),
        ),
        ("set_primary_key", orders, lambda a, **k: indexes.set_primary_key(orders, actor=a, field_ids=[], **k)),
        (
            "create_relationship",
            orders,
            lambda a, **k: relationships.create_relationship(
                shop["project"],
                actor=a,
                source_field=DataField.objects.get(table=customers, field_name="id"),
                target_field=DataField.objects.get(table=orders, field_name="customer_id"),
                relationship_name="orders_customer_again_fkey",
                **k,
            ),
        ),
        (
            "update_relationship",
            orders,
            lambda a, **k: relationships.update_relationship(fk, actor=a, on_delete="cascade", **k),
        ),
        ("delete_relationship", orders, lambda a, **k: relationships.delete_relationship(fk, actor=a, **k)),
        (
            "delete_index",
            orders,
            lambda a, **k: indexes.delete_index(
                TableIndex.objects.get(table=orders, name="orders_total_idx"), actor=a, **k
            ),
        ),
        (
            "delete_constraint",
            orders,
            lambda a, **k: indexes.delete_constraint(
                TableConstraint.objects.get(table=orders, name="orders_total_check"), actor=a, **k
            ),
        ),
        (
            "create_relationship_with_column",
            orders,
            lambda a, **k: relationships.create_relationship_with_column(
                shop["project"],
                actor=a,
                source_field=DataField.objects.get(table=customers, field_name="id"),
                target_table=orders,
                field_name="buyer_id",
                **k,
            ),
        ),
    ]


def _state(project):
    from designer.services.snapshots import project_snapshot

    return project_snapshot(project)


WRITES = [
    "update_table",
    "transition_table",
    "delete_table",
    "create_field",
    "update_field",
    "delete_field",
    "reorder_fields",
    "create_index",
    "create_constraint",
    "set_primary_key",
    "create_relationship",
    "update_relationship",
    "delete_relationship",
    "delete_index",
    "delete_constraint",
    "create_relationship_with_column",
]


def _write(shop, name):
    """The write and the table it guards (fresh), after creating what it deletes (an index, a constraint)."""
    orders = shop["orders"]
    owner = shop["project"].owner
    with locks.unattended("test setup"):
        total = DataField.objects.get(table=orders, field_name="total")
        if name == "delete_index":
            indexes.create_index(orders, actor=owner, field_ids=[total.pk], name="orders_total_idx")
        if name == "delete_constraint":
            indexes.create_constraint(
                orders, actor=owner, kind="check", expression="total >= 0", name="orders_total_check"
            )
    table, call = next((table, call) for n, table, call in _guarded_writes(shop) if n == name)
    return DataTable.objects.get(pk=table.pk), call


@pytest.mark.postgres
@pytest.mark.parametrize("name", WRITES)
def test_no_write_succeeds_without_the_lock_token(shop, owner, name):
    table, call = _write(shop, name)
    before = _state(shop["project"])
    with pytest.raises(TableLocked, match=f"Nobody holds the lock on {table.table_name}"):
        call(owner)
    with pytest.raises(TableLocked):
        call(owner, lock_token="not-a-token", base_revision=table.revision)
    assert _state(shop["project"]) == before


@pytest.mark.postgres
@pytest.mark.parametrize("name", WRITES)
def test_a_write_under_someone_elses_lock_is_refused_naming_them(shop, owner, editor, name):
    table, call = _write(shop, name)
    theirs = locks.acquire(table, actor=editor)
    before = _state(shop["project"])
    with pytest.raises(TableLocked) as info:
        call(owner, lock_token=theirs.lock_token, base_revision=table.revision)
    assert info.value.holder == "eddie"
    assert f"{table.table_name} is locked by eddie until" in info.value.message
    assert _state(shop["project"]) == before


@pytest.mark.postgres
@pytest.mark.parametrize("name", WRITES)
def test_a_write_based_on_an_old_revision_is_refused_with_the_current_one(shop, owner, name):
    table, call = _write(shop, name)
    lock = locks.acquire(table, actor=owner)
    current = DataTable.objects.get(pk=table.pk).revision
    before = _state(shop["project"])
    with pytest.raises(StaleRevision) as info:
        call(owner, lock_token=lock.lock_token, base_revision=current - 1)
    assert info.value.table.revision == current
    assert f"it is now at revision {current}" in info.value.message
    assert _state(shop["project"]) == before


@pytest.mark.postgres
@pytest.mark.parametrize("name", WRITES)
def test_a_write_with_the_lock_and_current_revision_succeeds_and_bumps_it(shop, owner, name):
    table, call = _write(shop, name)
    lock = locks.acquire(table, actor=owner)
    current = DataTable.objects.get(pk=table.pk).revision
    call(owner, lock_token=lock.lock_token, base_revision=current)
    if DataTable.objects.filter(pk=table.pk).exists():
        bumps = 2 if name == "create_relationship_with_column" else 1  # the new column, then the relationship
        assert DataTable.objects.get(pk=table.pk).revision == current + bumps


@pytest.mark.postgres
def test_deleting_a_table_refuses_while_a_table_losing_its_foreign_key_is_locked(shop, owner, editor):
    locks.acquire(shop["orders"], actor=editor)
    customers = shop["customers"]
    with locks.holding(customers, actor=owner, reason="cleanup") as held, pytest.raises(TableLocked) as info:
        tables.delete_table(customers, actor=owner, **held.args(customers))
    assert "This also changes orders, which is locked by eddie" in info.value.message
    assert DataTable.objects.filter(pk=customers.pk).exists()


@pytest.mark.postgres
def test_import_into_a_project_refuses_while_someone_edits_a_table(shop, owner, editor):
    from designer.services.snapshots import import_snapshot, project_snapshot

    snapshot = project_snapshot(shop["project"])
    locks.acquire(shop["orders"], actor=editor)
    with pytest.raises(TableLocked, match="locked by eddie"):
        import_snapshot(snapshot, actor=owner, project=shop["project"])


@pytest.mark.postgres
def test_holding_takes_and_gives_back_locks_for_scripts(project, owner):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    with locks.holding(table, actor=owner, reason="import") as held:
        assert locks.active_lock(table).lock_type == "pessimistic"
        fields.create_field(table, actor=owner, field_name="id", data_type="integer", **held.args(table))
        fields.create_field(table, actor=owner, field_name="note", data_type="text", **held.args(table))
    assert locks.active_lock(table) is None
    assert list(table.fields.values_list("field_name", flat=True)) == ["id", "note"]


@pytest.mark.postgres
def test_a_script_writes_under_locks_it_takes_on_demand_and_gives_back(project, owner, editor):
    with locks.holding(actor=owner, reason="import") as held:
        table = tables.create_table(project, actor=owner, table_name="invoices")
        fields.create_field(table, actor=owner, field_name="id", data_type="integer", primary_key=True)
        fields.create_field(table, actor=owner, field_name="note", data_type="text")
        assert locks.active_lock(table).user == owner and locks.active_lock(table).reason == "import"
        with pytest.raises(TableLocked, match="invoices is locked by olivia"):
            fields.create_field(table, actor=editor, field_name="x", data_type="text")
        assert set(held.locks) == {table.pk}
    assert locks.active_lock(table) is None
    assert list(table.fields.values_list("field_name", flat=True)) == ["id", "note"]
    with pytest.raises(TableLocked, match="Nobody holds the lock on invoices"):
        fields.create_field(table, actor=owner, field_name="late", data_type="text")


@pytest.mark.postgres
def test_a_script_cannot_take_a_table_someone_is_editing(project, owner, editor):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    locks.acquire(table, actor=editor)
    with pytest.raises(TableLocked, match="invoices is locked by eddie"), locks.holding(actor=owner, reason="import"):
        fields.create_field(table, actor=owner, field_name="id", data_type="integer")
    assert not table.fields.exists()


@pytest.mark.postgres
def test_unattended_writes_take_no_lease_but_respect_someone_elses_lock(project, owner, editor):
    table = tables.create_table(project, actor=owner, table_name="invoices")
    with locks.unattended("test"):
        fields.create_field(table, actor=owner, field_name="id", data_type="integer")
        fields.create_field(table, actor=editor, field_name="note", data_type="text")
        assert locks.active_lock(table) is None
        locks.acquire(table, actor=editor)
        with pytest.raises(TableLocked, match="invoices is locked by eddie until"):
            fields.create_field(table, actor=owner, field_name="late", data_type="text")
    with pytest.raises(TableLocked):
        fields.create_field(table, actor=editor, field_name="outside", data_type="text")
    assert list(table.fields.values_list("field_name", flat=True)) == ["id", "note"]


@pytest.mark.postgres
def test_a_write_refused_after_it_touched_the_table_broadcasts_nothing(shop, owner, django_capture_on_commit_callbacks):
    orders = shop["orders"]
    lock = locks.acquire(orders, actor=owner)
    before = _state(shop["project"])
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError, match="on_delete|ON DELETE"):
        # the new column is written (and its schema.changed queued), then the relationship is refused
        relationships.create_relationship_with_column(
            shop["project"],
            actor=owner,
            source_field=DataField.objects.get(table=shop["customers"], field_name="id"),
            target_table=orders,
            field_name="buyer_id",
            on_delete="explode",
            lock_token=lock.lock_token,
            base_revision=orders.revision,
        )
    assert callbacks == []
    assert _state(shop["project"]) == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
async def test_viewers_hear_of_a_write_only_once_its_transaction_commits(shop, owner):
    import asyncio

    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer
    from django.db import transaction

    from designer.realtime import events

    orders = shop["orders"]
    lock = await sync_to_async(locks.acquire)(orders, actor=owner)
    layer = get_channel_layer()
    viewer = await layer.new_channel()
    await layer.group_add(events.project_group(shop["project"].pk), viewer)

    # one receive for the whole test (cancelling a receive unsubscribes the channel from Redis)
    receiving = asyncio.ensure_future(layer.receive(viewer))

    def write_and_listen_before_commit() -> bool:
        try:
            with transaction.atomic():
                fields.create_field(
                    orders,
                    actor=owner,
                    field_name="note",
                    data_type="text",
                    lock_token=lock.lock_token,
                    base_revision=orders.revision,
                )
                time.sleep(0.5)  # the event loop is free meanwhile: a broadcast sent now would arrive
                return receiving.done()
        finally:
            connection.close()

    assert await sync_to_async(write_and_listen_before_commit)() is False
    after = (await asyncio.wait_for(receiving, 3))["event"]
    assert after["event"] == "schema.changed" and after["table"] == "orders"
    await layer.group_discard(events.project_group(shop["project"].pk), viewer)


# --- layout during a deploy ----------------------------------------------------------------------


@pytest.mark.postgres
def test_moving_boxes_needs_no_lock_but_waits_for_a_deploy_holding_the_table(shop, owner, editor, make_user):
    from designer.services import layout

    orders, customers = shop["orders"], shop["customers"]
    locks.acquire(orders, actor=editor)  # someone editing its columns: moving the box is still fine
    tables.move_table(orders, actor=owner, x=300, y=40)
    deployer = make_user("sam", staff=True)
    locks.force_release(orders, actor=owner)
    locks.acquire(orders, actor=deployer, lock_type="critical", reason="Deploy")
    group = layout.create_group(shop["project"], actor=owner, name="sales", table_ids=[orders.pk, customers.pk])
    where = {t.pk: (t.position_x, t.position_y) for t in DataTable.objects.filter(project=shop["project"])}

    with pytest.raises(TableLocked) as info:
        tables.move_table(orders, actor=owner, x=0, y=0)
    assert info.value.status == 423 and info.value.holder == "sam"
    assert info.value.message.startswith("orders is being deployed (Deploy by sam, critical lock until ")
    with pytest.raises(TableLocked, match="orders is being deployed"):
        layout.move_group(group, actor=owner, dx=50, dy=50)
    DataTable.objects.filter(pk=orders.pk).update(position_x=9999, position_y=9999)  # auto-arrange would move it
    with pytest.raises(TableLocked, match="orders is being deployed"):
        layout.auto_arrange(shop["project"], actor=owner)
    assert DataTable.objects.get(pk=customers.pk).position_x == where[customers.pk][0]  # nothing moved at all
    tables.move_table(customers, actor=owner, x=10, y=10)  # a table the deploy does not hold moves freely
