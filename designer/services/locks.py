"""Table locks (seed 002: TableLock): acquire, renew, release, force-release, expire, and the write guard.

Rules (DESIGN.md §3):

- One active lock (``released_at IS NULL``) per table, enforced by the partial unique index
  ``one_active_lock_per_table``. ``acquire`` is one ``INSERT … ON CONFLICT DO NOTHING`` against that index, so
  any number of processes racing for a table get exactly one winner; the others get :class:`TableLocked`
  naming the holder and the expiry.
- An expired lock is freed by whoever claims it first with ``UPDATE … WHERE released_at IS NULL`` (the sweep
  :func:`expire_locks`, or the next :func:`acquire`): the row is claimed once, so ``lock.expired`` is broadcast
  once, however many server processes sweep.
- :func:`guard_write` is the one check every schema write runs first: the caller's lock token must be the
  table's active, unexpired lock held by the caller (else :class:`TableLocked`, HTTP 423), and the revision the
  edit was based on must be the table's current one (else :class:`StaleRevision`, HTTP 409).
- Non-interactive writers (import, demo, deploy, scripts) take their own lock with :func:`holding`.
- Several tabs of one user: an *optimistic* lock belongs to the browser tab that took it, and the tab is known
  by the lock's token (only that tab has it). The lock endpoint asks with ``from_tab=True``: the same user
  asking again renews the lock only when presenting its token; another tab of that user (no or another token)
  gets :class:`TableLocked` ("open in another tab of yours"), shows the table read-only and takes the lock when
  the first tab releases it (closing the panel or the tab) or lets it expire — so closing one tab never pulls
  the lock from under another tab that is still editing. *Pessimistic* and *critical* locks belong to the user:
  every tab of that user gets the same lock (and token) and closing a panel does not release them; they end by
  an explicit release, expiry or a force. Service callers (``from_tab=False``, e.g. :func:`holding` inside an
  import) keep using the lock their user already holds.

Every change is broadcast to the project's websocket group after the transaction commits
(:mod:`designer.realtime.events`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from designer.models import DataTable, Project, Role, TableLock
from designer.models.lock import LockType
from designer.realtime import events
from designer.schema.validation import refuse_nul

from ._edit import refuse_if_deleted, require_editor
from .permissions import role_of

RANK = {LockType.OPTIMISTIC: 0, LockType.PESSIMISTIC: 1, LockType.CRITICAL: 2}


def ttl_seconds(lock_type: str) -> int:
    """The lease of a lock type, from settings (``LOCK_TTL_OPTIMISTIC`` / ``_PESSIMISTIC`` / ``_CRITICAL``)."""
    return int(getattr(settings, f"LOCK_TTL_{lock_type.upper()}"))


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S %Z")


class TableLocked(Exception):
    """The write (or acquire) is refused because the caller does not hold the table's lock. HTTP 423."""

    status = 423

    def __init__(self, table: DataTable, lock: TableLock | None, message: str | None = None):
        self.table = table
        self.lock = lock
        if message is None:
            if lock is None:
                message = (
                    f"Nobody holds the lock on {table.table_name}. Open the table for editing "
                    "(take its lock) before changing it."
                )
            else:
                message = f"{table.table_name} is locked by {lock.user.get_username()} until {_when(lock.expires_at)}."
        self.message = message
        super().__init__(message)

    @property
    def holder(self) -> str | None:
        return self.lock.user.get_username() if self.lock is not None else None

    @property
    def expires_at(self) -> datetime | None:
        return self.lock.expires_at if self.lock is not None else None


class StaleRevision(Exception):
    """The write was based on an older revision of the table than the current one. HTTP 409."""

    status = 409

    def __init__(self, table: DataTable, base_revision):
        self.table = table
        self.base_revision = base_revision
        self.message = (
            f"{table.table_name} changed since you loaded it (you edited revision {base_revision}, it is now at "
            f"revision {table.revision}). Nothing was saved; the current state is shown — apply your change again."
        )
        super().__init__(self.message)


def _lock_type(value: str) -> str:
    if value not in LockType.values:
        raise ValidationError({"lock_type": [f"Lock type must be one of {', '.join(LockType.values)}, got {value!r}."]})
    return value


def _require_may_lock(table: DataTable, actor, lock_type: str) -> None:
    require_editor(table.project, actor)
    if lock_type == LockType.CRITICAL and not (actor.is_staff or actor.has_perm("designer.deploy_project")):
        raise PermissionDenied("Critical locks are taken by deploys; you need the deploy permission.")


def active_lock(table: DataTable) -> TableLock | None:
    """The table's active lock (possibly expired but not yet swept), with its holder."""
    return TableLock.objects.select_related("user").filter(table=table, released_at__isnull=True).first()


def _claim_expired(table_ids: Iterable | None, now: datetime) -> list[TableLock]:
    """Release expired active locks (all, or of these tables) in one UPDATE; only the claimer gets the rows."""
    where, params = "released_at IS NULL AND expires_at <= %s", [now]
    if table_ids is not None:
        ids = [DataTable._meta.pk.get_db_prep_value(t, connection) for t in table_ids]
        if not ids:
            return []
        where += f" AND table_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TableLock._meta.db_table} SET released_at = %s, release_reason = 'expired' "
            f"WHERE {where} RETURNING id",
            [now, *params],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    claimed = list(TableLock.objects.select_related("user", "table").filter(pk__in=ids))
    for lock in claimed:
        events.lock_changed("expired", lock)
    return claimed


@transaction.atomic
def expire_locks(now: datetime | None = None) -> list[TableLock]:
    """Free every lock whose lease ran out and broadcast ``lock.expired`` for each, once.

    Safe to run from every server process at once: each expired row is claimed by exactly one UPDATE.
    """
    return _claim_expired(None, now or timezone.now())


_INSERT_FIELDS = [
    "id",
    "table",
    "user",
    "lock_token",
    "lock_type",
    "locked_at",
    "expires_at",
    "reason",
    "release_reason",
]


def _insert_rows(locks: list[TableLock]) -> set:
    """One ``INSERT … ON CONFLICT DO NOTHING`` for these locks: the ids of the tables that got theirs (a table
    that already has an active lock keeps it and is left out)."""
    fields = [TableLock._meta.get_field(name) for name in _INSERT_FIELDS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {TableLock._meta.db_table} ({columns}) VALUES {', '.join([row] * len(locks))} "
        "ON CONFLICT (table_id) WHERE released_at IS NULL DO NOTHING RETURNING table_id"
    )
    values = [f.get_db_prep_save(getattr(lock, f.attname), connection) for lock in locks for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return {DataTable._meta.pk.to_python(table_id) for (table_id,) in cursor.fetchall()}


def _new_lock(table: DataTable, actor, lock_type: str, reason: str, now: datetime, ttl: int) -> TableLock:
    return TableLock(
        table=table,
        user=actor,
        lock_type=lock_type,
        reason=reason,
        locked_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )


def _insert(table: DataTable, actor, lock_type: str, reason: str, now: datetime, ttl: int) -> TableLock | None:
    """One statement: insert the lock unless the table already has an active one. None when it has."""
    lock = _new_lock(table, actor, lock_type, reason, now, ttl)
    return lock if _insert_rows([lock]) else None


def _lock_request(lock_type: str, reason: str) -> tuple[str, str]:
    lock_type = _lock_type(lock_type)
    reason = (reason or "").strip()
    if lock_type == LockType.PESSIMISTIC and not reason:
        raise ValidationError(
            {"reason": ["Say why you lock this table for a long time (for example: 'splitting it')."]}
        )
    if len(reason) > 200:
        raise ValidationError({"reason": [f"The reason is {len(reason)} characters long; the limit is 200."]})
    refuse_nul(reason, "reason", "The reason")
    return lock_type, reason


@transaction.atomic
def acquire(
    table: DataTable,
    *,
    actor,
    lock_type: str = LockType.OPTIMISTIC,
    reason: str = "",
    ttl: int | None = None,
    by_operator: bool = False,
    from_tab: bool = False,
    lock_token=None,
) -> TableLock:
    """Take the table's lock for ``actor``, or raise :class:`TableLocked` naming who holds it until when.

    Asking again for a lock you already hold renews it (and upgrades it to a stronger type when asked).
    ``from_tab``: asked by a browser tab, which owns its optimistic lock: the holder's other tabs (not presenting
    its ``lock_token``) are refused while it lasts (see the module notes).
    ``pessimistic`` locks need a reason. ``ttl`` (seconds) overrides the type's lease from settings.
    ``by_operator``: taken for a shell command run by the server's operator (``manage.py deploy``), in
    ``actor``'s name, without checking ``actor``'s role or deploy permission.
    """
    lock_type, reason = _lock_request(lock_type, reason)
    if not by_operator:
        _require_may_lock(table, actor, lock_type)
    ttl = ttl or ttl_seconds(lock_type)
    for _attempt in range(3):
        now = timezone.now()
        lock = _insert(table, actor, lock_type, reason, now, ttl)
        if lock is not None:
            lock.user = actor
            lock.table = table
            events.lock_changed("acquired", lock)
            return lock
        if _claim_expired([table.pk], now):  # the active lock had run out: it is freed now, insert again
            continue
        held = active_lock(table)
        if held is None:  # released between our insert and our read: try again
            continue
        if held.user_id != actor.pk:
            raise TableLocked(table, held)
        if from_tab and held.lock_type == LockType.OPTIMISTIC and _parse_token(lock_token) != held.lock_token:
            raise TableLocked(
                table,
                held,
                f"{table.table_name} is open for editing in another tab or window of yours until "
                f"{_when(held.expires_at)}; close it there (or let it expire) to edit it here.",
            )
        if RANK[LockType(lock_type)] > RANK[LockType(held.lock_type)]:
            held.lock_type, held.reason = lock_type, reason
        held.expires_at = max(held.expires_at, now + timedelta(seconds=ttl))
        TableLock.objects.filter(pk=held.pk).update(
            lock_type=held.lock_type, reason=held.reason, expires_at=held.expires_at
        )
        held.table = table
        events.lock_changed("renewed", held)
        return held
    raise TableLocked(table, active_lock(table), f"{table.table_name} is changing hands right now; try again.")


def _parse_token(token) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(token))
    except (TypeError, ValueError):
        return None


def _lost(table: DataTable, token, actor) -> TableLocked:
    """Why the caller's token does not hold the table: released, expired or forced — and who holds it now."""
    now = timezone.now()
    mine = (
        TableLock.objects.select_related("released_by").filter(lock_token=token, user_id=actor.pk).first()
        if token and getattr(actor, "is_authenticated", False)
        else None
    )
    current = active_lock(table)
    if current is not None and current.expires_at <= now:
        current = None
    if mine is not None and mine.released_at is not None:
        if mine.release_reason == "forced":
            how = f"was broken by {mine.released_by.get_username() if mine.released_by else 'an owner'}"
        else:
            how = f"was {mine.release_reason or 'released'}"
        message = f"Your lock on {table.table_name} {how} at {_when(mine.released_at)}."
        if current is not None:
            message += f" It is now locked by {current.user.get_username()} until {_when(current.expires_at)}."
        else:
            message += " Open the table for editing again."
        return TableLocked(table, current, message)
    if mine is not None and mine.expires_at <= now:
        return TableLocked(
            table,
            current,
            f"Your lock on {table.table_name} expired at {_when(mine.expires_at)}. Open the table for editing again.",
        )
    return TableLocked(table, current)


@transaction.atomic
def renew(table: DataTable, *, actor, lock_token) -> TableLock:
    """Heartbeat: extend the caller's lock by its type's lease. Raises :class:`TableLocked` if it was lost."""
    token = _parse_token(lock_token)
    now = timezone.now()
    lock = (
        TableLock.objects.select_for_update()
        .filter(table=table, lock_token=token, user=actor, released_at__isnull=True, expires_at__gt=now)
        .first()
        if token
        else None
    )
    if lock is None:
        raise _lost(table, token, actor)
    lock.expires_at = now + timedelta(seconds=ttl_seconds(lock.lock_type))
    TableLock.objects.filter(pk=lock.pk).update(expires_at=lock.expires_at)
    lock.user, lock.table = actor, table
    events.lock_changed("renewed", lock)
    return lock


@transaction.atomic
def release(table: DataTable, *, actor, lock_token) -> bool:
    """Give the lock back. False (and nothing broadcast) when the token holds nothing any more."""
    token = _parse_token(lock_token)
    if token is None:
        return False
    now = timezone.now()
    lock = (
        TableLock.objects.select_for_update()
        .filter(table=table, lock_token=token, user=actor, released_at__isnull=True)
        .first()
    )
    if lock is None:
        return False
    TableLock.objects.filter(pk=lock.pk).update(released_at=now, release_reason="released", released_by=actor)
    lock.released_at, lock.release_reason, lock.user, lock.table = now, "released", actor, table
    events.lock_changed("released", lock)
    return True


BULK_ROWS = 1000  # locks per statement in acquire_many / release_many


def _bulk_size(params_per_row: int, rows: int) -> int:
    """Rows per statement: at most BULK_ROWS, and within the database's limit of parameters (SQLite)."""
    return max(1, min(BULK_ROWS, connection.ops.bulk_batch_size(["x"] * params_per_row, [None] * rows)))


@transaction.atomic
def acquire_many(
    tables: Iterable[DataTable],
    *,
    actor,
    lock_type: str = LockType.OPTIMISTIC,
    reason: str = "",
    by_operator: bool = False,
) -> list[TableLock]:
    """:func:`acquire` for every table, all or none (a deploy's critical locks on the tables it changes).

    The free tables are locked by one ``INSERT … ON CONFLICT DO NOTHING`` (per :data:`BULK_ROWS`), against the
    same partial unique index, so racing writers still get exactly one winner per table. A table that already
    has an active lock goes through :func:`acquire` (an expired lock is claimed, the actor's own lock renewed
    and upgraded, anyone else's refused with :class:`TableLocked` — and then none of the tables stays locked).
    Every lock taken is broadcast as ``lock.acquired``, one event per table, sent together after the commit.
    Returns the locks in the order of ``tables``.
    """
    tables = list(tables)
    lock_type, reason = _lock_request(lock_type, reason)
    if not by_operator:
        for one_per_project in {t.project_id: t for t in tables}.values():
            _require_may_lock(one_per_project, actor, lock_type)
    ttl = ttl_seconds(lock_type)
    now = timezone.now()
    wanted = {table.pk: _new_lock(table, actor, lock_type, reason, now, ttl) for table in tables}
    taken: set = set()
    batch = list(wanted.values())
    size = _bulk_size(len(_INSERT_FIELDS), len(batch))
    for start in range(0, len(batch), size):
        taken |= _insert_rows(batch[start : start + size])
    got = {pk: wanted[pk] for pk in taken}
    events.locks_changed("acquired", list(got.values()))
    for table in tables:
        if table.pk not in got:  # someone (maybe the actor) holds it, or held it and it ran out
            got[table.pk] = acquire(table, actor=actor, lock_type=lock_type, reason=reason, by_operator=True)
    return [got[table.pk] for table in tables]


@transaction.atomic
def release_many(locks: Iterable[TableLock]) -> list[TableLock]:
    """:func:`release` for each of these locks (a deploy's critical locks when it ends), by their holders.

    One ``UPDATE … WHERE released_at IS NULL``: a lock that is gone already (broken, expired and swept) is left
    as it is and not announced again; each one released here is broadcast as ``lock.released``, one event per
    table, sent together after the commit. Returns the released locks.
    """
    by_token = {lock.lock_token: lock for lock in locks}
    now = timezone.now()
    meta = TableLock._meta
    token_field = meta.get_field("lock_token")
    token, user, released_by = (
        connection.ops.quote_name(meta.get_field(name).column) for name in ("lock_token", "user", "released_by")
    )
    tokens = [token_field.get_db_prep_value(t, connection) for t in by_token]
    released = []
    size = _bulk_size(1, len(tokens))
    with connection.cursor() as cursor:
        for start in range(0, len(tokens), size):
            chunk = tokens[start : start + size]
            cursor.execute(
                f"UPDATE {meta.db_table} SET released_at = %s, release_reason = 'released', {released_by} = {user} "
                f"WHERE released_at IS NULL AND {token} IN ({', '.join(['%s'] * len(chunk))}) RETURNING {token}",
                [now, *chunk],
            )
            released += [by_token[token_field.to_python(value)] for (value,) in cursor.fetchall()]
    for lock in released:
        lock.released_at, lock.release_reason, lock.released_by_id = now, "released", lock.user_id
    events.locks_changed("released", released)
    return released


def may_force(table: DataTable, actor, lock: TableLock) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    if lock.lock_type == LockType.CRITICAL:
        return bool(actor.is_staff)
    return role_of(table.project, actor) == Role.OWNER


@transaction.atomic
def force_release(table: DataTable, *, actor, reason: str = "") -> TableLock:
    """Break someone's lock. Project owners and staff may; a critical (deploy) lock only staff.

    Recorded in the lock's history (who broke it, why); the former holder is told live (``lock.forced``).
    """
    refuse_nul(reason, "reason", "The reason")
    lock = TableLock.objects.select_for_update().filter(table=table, released_at__isnull=True).first()
    if lock is None:
        raise ValidationError({"lock": [f"{table.table_name} is not locked; there is nothing to release."]})
    if not may_force(table, actor, lock):
        if lock.lock_type == LockType.CRITICAL:
            raise PermissionDenied(f"{table.table_name} has a critical (deploy) lock; only staff may break it.")
        raise PermissionDenied("Only the project's owners and staff may break someone else's lock.")
    lock.released_at = timezone.now()
    lock.release_reason = "forced"
    lock.released_by = actor
    lock._history_user = actor
    lock._change_reason = (reason or "").strip()[:100] or f"forced by {actor.get_username()}"
    lock.save(update_fields=["released_at", "release_reason", "released_by"])
    lock.table = table
    events.lock_changed("forced", lock, by=actor, reason=(reason or "").strip())
    return lock


def guard_write(table: DataTable, *, actor, lock_token, base_revision, schema_edit: bool = True) -> DataTable:
    """The check in front of every schema write of ``table`` (run inside the write's transaction).

    Locks the table row (writes to one table are serialised), checks that ``lock_token`` is the caller's active,
    unexpired lock on it (:class:`TableLocked` otherwise) and that ``base_revision`` is the current revision
    (:class:`StaleRevision` otherwise). The lock row stays locked until commit, so a force-release cannot slip in
    between the check and the write. When the caller holds the lock, one statement does it all (the table row
    joined to the lock, :func:`_lock_with_table`); a refusal reads what it needs to explain itself. ``table`` is
    refreshed in place from the locked row. A write without token and revision inside :func:`holding` by its
    writer uses the writer's own lock; inside :func:`unattended` it is locked for its own transaction only (the
    row lock) and refused while someone else holds the table's lock.
    ``schema_edit`` (all but lifecycle moves and deletes): a soft-deleted table refuses it up front (the move back
    to Draft of an Active/Deprecated table happens in ``_edit.touch``).
    """
    project = table._state.fields_cache.get("project")  # keep the caller's project (and its role cache)
    token = _parse_token(lock_token)
    held = token is not None and getattr(actor, "is_authenticated", False) and _lock_with_table(table, token, actor)
    if not held:
        table.refresh_from_db(from_queryset=DataTable.objects.select_for_update())
    if project is not None and project.pk == table.project_id:
        table.project = project
    if schema_edit:
        refuse_if_deleted(table)
    if lock_token is None and base_revision is None:
        if _held_by_script(table, actor) is not None:
            return table
        if _unattended.get() is not None:
            refuse_if_locked_by_others([table], actor, also=False)
            return table
    if not held:
        raise _lost(table, token, actor)
    try:
        based_on = int(base_revision)
    except (TypeError, ValueError):
        based_on = None
    if based_on != table.revision:
        raise StaleRevision(table, base_revision)
    return table


def _lock_with_table(table: DataTable, token: uuid.UUID, actor) -> bool:
    """One statement for the usual case of :func:`guard_write`: the table row joined to the caller's active,
    unexpired lock on it, both rows ``FOR UPDATE``; ``table`` is refreshed from it. False (nothing locked, nothing
    refreshed) when the caller does not hold that lock."""
    mine = DataTable.objects.select_for_update().filter(
        locks__lock_token=token,
        locks__user=actor,
        locks__released_at__isnull=True,
        locks__expires_at__gt=timezone.now(),
    )
    try:
        table.refresh_from_db(from_queryset=mine)
    except DataTable.DoesNotExist:
        return False
    return True


def refuse_if_locked_by_others(tables: Iterable[DataTable], actor, *, also: bool = True) -> None:
    """For writes that reach into other tables (a deleted table takes the foreign keys pointing at it)."""
    now = timezone.now()
    for lock in TableLock.objects.select_related("user", "table").filter(
        table__in=list(tables), released_at__isnull=True, expires_at__gt=now
    ):
        if lock.user_id != getattr(actor, "pk", None):
            message = None
            if also:
                message = (
                    f"This also changes {lock.table.table_name}, which is locked by {lock.user.get_username()} "
                    f"until {_when(lock.expires_at)}."
                )
            raise TableLocked(lock.table, lock, message)


def refuse_layout_during_deploy(tables: Iterable[DataTable]) -> None:
    """Layout writes (moving boxes, auto-arrange, group moves) take no lock — layout is not schema — but they must
    not move a table while a deploy's ``critical`` lock holds it: :class:`TableLocked` (423) naming the deploy."""
    lock = (
        TableLock.objects.select_related("user", "table")
        .filter(
            table__in=tables if isinstance(tables, QuerySet) else list(tables),
            lock_type=LockType.CRITICAL,
            released_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("locked_at")
        .first()
    )
    if lock is not None:
        raise TableLocked(
            lock.table,
            lock,
            f"{lock.table.table_name} is being deployed ({lock.reason or 'deploy'} by {lock.user.get_username()}, "
            f"critical lock until {_when(lock.expires_at)}); it can be moved again once the deploy has finished.",
        )


def refuse_if_project_locked(project: Project, actor) -> None:
    """For writes that replace the whole design (import into a project, version restore)."""
    refuse_if_locked_by_others(DataTable.objects.filter(project=project), actor)


@dataclass
class HeldLocks:
    """Locks a non-interactive writer holds (see :func:`holding`)."""

    actor: Any
    reason: str
    lock_type: str
    locks: dict = field(default_factory=dict)
    borrowed: set = field(default_factory=set)  # tables whose lock the actor already held (e.g. in a browser)

    def token(self, table: DataTable) -> uuid.UUID:
        return self.locks[table.pk].lock_token

    def args(self, table: DataTable) -> dict:
        """Explicit keyword arguments for a service write: this lock's token and the table's current revision."""
        revision = DataTable.objects.filter(pk=table.pk).values_list("revision", flat=True).get()
        return {"lock_token": self.token(table), "base_revision": revision}

    def lock_for(self, table: DataTable) -> TableLock:
        """The lock this writer holds on ``table``, taken now if it has none (or lost the one it had)."""
        lock = self.locks.get(table.pk)
        alive = (
            lock is not None
            and TableLock.objects.filter(pk=lock.pk, released_at__isnull=True, expires_at__gt=timezone.now()).exists()
        )
        if not alive:
            before = active_lock(table)
            lock = self.locks[table.pk] = acquire(table, actor=self.actor, lock_type=self.lock_type, reason=self.reason)
            if before is not None and before.pk == lock.pk:
                self.borrowed.add(table.pk)
        return lock


_holding: ContextVar[tuple[HeldLocks, ...]] = ContextVar("tablewright_holding", default=())


def _held_by_script(table: DataTable, actor) -> TableLock | None:
    """Inside ``holding(actor=…)``: the writer's own lock on ``table`` (taken on demand), else None."""
    for session in reversed(_holding.get()):  # nested blocks of several writers: the writer's own
        if getattr(actor, "pk", None) == session.actor.pk:
            return session.lock_for(table)
    return None


@contextmanager
def holding(
    tables: DataTable | Iterable[DataTable] = (),
    *,
    actor,
    reason: str,
    lock_type: str = LockType.PESSIMISTIC,
) -> Iterator[HeldLocks]:
    """Write as a non-interactive writer (import, demo, deploy, scripts, test setup) under locks it takes itself.

    Locks ``tables`` up front (raising :class:`TableLocked`, keeping nothing, when someone else holds one). Inside
    the block, a service write by ``actor`` that passes no ``lock_token`` uses the writer's lock on that table,
    taking it on first use (so tables created inside the block work too); being the holder, it needs no
    ``base_revision``. A lock ``actor`` already held before the block (say, in an open panel) is used and kept.
    ``held.args(table)`` gives explicit ``lock_token``/``base_revision`` instead. Every lock
    taken is released when the block ends, whatever happens::

        with locks.holding(actor=user, reason="import"):
            fields.create_field(table, actor=user, field_name="id", data_type="integer")
    """
    tables = [tables] if isinstance(tables, DataTable) else list(tables)
    session = HeldLocks(actor=actor, reason=reason, lock_type=lock_type)
    reset = _holding.set((*_holding.get(), session))
    try:
        for table in tables:
            session.lock_for(table)
        yield session
    finally:
        _holding.reset(reset)
        for table_pk, lock in session.locks.items():
            if table_pk not in session.borrowed and DataTable.objects.filter(pk=table_pk).exists():
                release(lock.table, actor=actor, lock_token=lock.lock_token)


_unattended: ContextVar[str | None] = ContextVar("tablewright_unattended", default=None)


@contextmanager
def unattended(reason: str) -> Iterator[None]:
    """Writes without a token inside this block lock the table for their own transaction only.

    Like someone opening a table, saving once and closing it: each write is still refused (:class:`TableLocked`)
    while another user holds the table's lock, but takes no lease of its own. For batch code whose actors change
    from write to write (test setup of stories with several users); a single writer should prefer
    :func:`holding`, which shows others its lock.
    """
    reset = _unattended.set(reason)
    try:
        yield
    finally:
        _unattended.reset(reset)


def release_left_behind(actor, lock_tokens: Iterable) -> int:
    """Give back the editor (optimistic) locks a browser tab held when its websocket closed.

    The tab's own release (``sendBeacon`` on ``pagehide``) is best effort: a tab closed while its page is busy, a
    crashed or killed browser never sends it, and only expiry (minutes) would free the table. The socket's close
    is certain, so the consumer passes the tokens the tab said it holds. A restructuring (pessimistic) or deploy
    lock stays. Tokens of locks already released or expired are ignored. Returns how many were released.
    """
    tokens = [t for t in (_parse_token(token) for token in lock_tokens) if t is not None]
    if not tokens or not getattr(actor, "is_authenticated", False):
        return 0
    left = TableLock.objects.select_related("table").filter(
        lock_token__in=tokens, user_id=actor.pk, lock_type=LockType.OPTIMISTIC, released_at__isnull=True
    )
    return sum(release(lock.table, actor=actor, lock_token=lock.lock_token) for lock in left)
