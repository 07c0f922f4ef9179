"""Lock broadcast latency: 200 websocket clients over 2 daphne processes sharing Redis.

For each round a lock is acquired through the service (INSERT, commit, on_commit group_send) and every client
records when its ``lock.acquired`` arrives: latency = arrival − the moment ``acquire`` was called. Baseline, in
the same run and the same client event loop: raw Redis pub/sub with the same fan-out (one PUBLISH, 200
subscriber connections), latency = arrival − the moment PUBLISH was called. Also the RSS of each server process
with 100 and with 200 clients connected.

Bar (DESIGN.md §5): p99 ≤ 50 ms and ≤ 3× the baseline's p99.

Run: ``DATABASE_URL=postgres://… REDIS_URL=redis://… SECRET_KEY=… python bench/lock_broadcast.py``
(``--clients 200 --rounds 40``). Uses the database in DATABASE_URL (migrates it, creates and then deletes a
``bench-lock-broadcast-*`` project and ``bench_*`` users).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The bench process broadcasts (on_commit group_send) into the same channel-layer namespace as its servers.
os.environ["CHANNELS_PREFIX"] = f"tw-bench-{uuid.uuid4().hex[:6]}"

import django  # noqa: E402

django.setup()

import redis.asyncio as aioredis  # noqa: E402
import websockets  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from designer.services import locks, projects, tables  # noqa: E402
from tests import servers  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def setup_data(users: int):
    User = get_user_model()
    suffix = uuid.uuid4().hex[:6]
    owner = User.objects.create_user(f"bench_owner_{suffix}", password=None)
    project = projects.create_project(actor=owner, name=f"bench-lock-broadcast-{suffix}")
    people = []
    for n in range(users):
        user = User.objects.create_user(f"bench_{suffix}_{n}", password=None)
        projects.set_member(project, actor=owner, username=user.username, role="editor")
        people.append(user)
    table_list = [tables.create_table(project, actor=owner, table_name=f"t{n}") for n in range(4)]
    return owner, project, people, table_list


def teardown_data(owner, project, people) -> None:
    project.delete()
    for user in [owner, *people]:
        user.delete()


class Clients:
    """Websocket clients; each keeps the arrival time of every lock.acquired by table id + round marker."""

    def __init__(self) -> None:
        self.sockets: list = []
        self.arrivals: dict[tuple[str, str], list[float]] = {}
        self.tasks: list[asyncio.Task] = []

    async def connect(self, url: str, origin: str, session: str) -> None:
        ws = await websockets.connect(url, origin=origin, additional_headers={"Cookie": f"sessionid={session}"})
        self.sockets.append(ws)
        self.tasks.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                event = json.loads(raw)
                if event["event"] == "lock.acquired":
                    self.arrivals.setdefault((event["table_id"], event["reason"]), []).append(now)
        except websockets.ConnectionClosed:
            pass

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        for task in self.tasks:
            task.cancel()


async def measure_locks(clients: Clients, owner, table_list, rounds: int) -> list[float]:
    latencies: list[float] = []
    expected = len(clients.sockets)
    for n in range(rounds):
        table = table_list[n % len(table_list)]
        marker = f"round {n}"
        started = time.perf_counter()
        lock = await asyncio.to_thread(locks.acquire, table, actor=owner, lock_type="pessimistic", reason=marker)
        acquired = time.perf_counter()
        key = (str(table.pk), marker)
        deadline = time.monotonic() + 10
        while len(clients.arrivals.get(key, [])) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        arrivals = clients.arrivals.get(key, [])
        if len(arrivals) < expected:
            raise SystemExit(f"round {n}: only {len(arrivals)} of {expected} clients got lock.acquired")
        latencies += [(t - started) * 1000 for t in arrivals]
        if os.environ.get("BENCH_VERBOSE"):
            print(
                f"round {n}: acquire returned {(acquired - started) * 1000:.1f} ms, "
                f"first {(min(arrivals) - started) * 1000:.1f} ms, last {(max(arrivals) - started) * 1000:.1f} ms"
            )
        await asyncio.to_thread(locks.release, table, actor=owner, lock_token=lock.lock_token)
        await asyncio.sleep(0.05)
    return latencies


async def measure_redis(subscribers: int, rounds: int) -> list[float]:
    url = settings.REDIS_URL
    channel = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    arrivals: dict[int, list[float]] = {}
    conns, pubsubs = [], []
    for _ in range(subscribers):
        conn = aioredis.from_url(url)
        pubsub = conn.pubsub()
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1)  # the subscribe confirmation
        conns.append(conn)
        pubsubs.append(pubsub)

    async def read(pubsub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
            if message is not None:
                now = time.perf_counter()
                arrivals.setdefault(json.loads(message["data"])["n"], []).append(now)

    readers = [asyncio.create_task(read(p)) for p in pubsubs]
    publisher = aioredis.from_url(url)
    latencies: list[float] = []
    try:
        for n in range(rounds):
            started = time.perf_counter()
            await publisher.publish(channel, json.dumps({"event": "lock.acquired", "n": n}))
            deadline = time.monotonic() + 10
            while len(arrivals.get(n, [])) < subscribers and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            latencies += [(t - started) * 1000 for t in arrivals.get(n, [])]
            await asyncio.sleep(0.05)
    finally:
        for task in readers:
            task.cancel()
        for pubsub in pubsubs:
            await pubsub.aclose()
        for conn in [*conns, publisher]:
            await conn.aclose()
    return latencies


async def connect_clients(clients: Clients, count: int, pair, project, sessions) -> None:
    for _ in range(count):
        server = pair[len(clients.sockets) % 2]
        await clients.connect(
            f"{server.ws}/ws/projects/{project.pk}/", server.http, sessions[len(clients.sockets) % len(sessions)]
        )
    await asyncio.sleep(1.5)  # let the presence chatter of the joins settle


def describe(name: str, values: list[float]) -> str:
    return (
        f"{name:<34} n={len(values):>5}  p50={statistics.median(values):6.2f} ms  "
        f"p99={pct(values, 99):6.2f} ms  max={max(values):6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    if not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        raise SystemExit("Set REDIS_URL and a PostgreSQL DATABASE_URL: this measures the scale-out setup.")
    call_command("migrate", verbosity=0)
    owner, project, people, table_list = setup_data(users=10)
    sessions = [servers.login_session(user) for user in people]
    env = {"CHANNELS_PREFIX": os.environ["CHANNELS_PREFIX"], "LOCK_SWEEP_IN_ASGI": "0"}
    half = args.clients // 2
    try:
        with (
            tempfile.TemporaryDirectory() as logs,
            servers.daphnes(2, connection.settings_dict["NAME"], log_dir=Path(logs), extra_env=env) as pair,
        ):

            async def run():
                clients = Clients()
                rss_before = [s.rss_kib() for s in pair]
                await connect_clients(clients, half, pair, project, sessions)
                rss_half = [s.rss_kib() for s in pair]
                await connect_clients(clients, args.clients - half, pair, project, sessions)
                rss_full = [s.rss_kib() for s in pair]
                baseline = await measure_redis(args.clients, args.rounds)
                broadcast = await measure_locks(clients, owner, table_list, args.rounds)
                await clients.close()
                return rss_before, rss_half, rss_full, baseline, broadcast

            rss_before, rss_half, rss_full, baseline, broadcast = asyncio.run(run())
    finally:
        teardown_data(owner, project, people)

    print(f"lock broadcast: {args.clients} websocket clients over 2 daphne processes, {args.rounds} rounds")
    print(describe("baseline: raw Redis pub/sub fan-out", baseline))
    print(describe("lock acquire -> every client", broadcast))
    ratio50 = statistics.median(broadcast) / statistics.median(baseline)
    ratio99 = pct(broadcast, 99) / pct(baseline, 99)
    print(f"ratio to baseline: p50 {ratio50:.2f}x  p99 {ratio99:.2f}x")
    for n, (before, half_rss, full) in enumerate(zip(rss_before, rss_half, rss_full, strict=True)):
        print(
            f"server {'AB'[n]} RSS: idle {before / 1024:.1f} MiB, {half} clients {half_rss / 1024:.1f} MiB, "
            f"{args.clients} clients {full / 1024:.1f} MiB"
        )
    p99 = pct(broadcast, 99)
    ok = p99 <= 50 and ratio99 <= 3
    print(f"bar p99 <= 50 ms and <= 3x baseline p99: {'met' if ok else 'NOT met'} (p99 {p99:.2f} ms, {ratio99:.2f}x)")


if __name__ == "__main__":
    main()
