"""Lock broadcast latency: 200 websocket clients over 2 daphne processes sharing Redis.

For each round a lock is acquired through the service (INSERT, commit, on_commit group_send) and every client
records when its ``lock.acquired`` arrives: latency = arrival − the moment ``acquire`` was called. Baseline, in
the same run and the same client processes: raw Redis pub/sub with the same fan-out (one PUBLISH, 200
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
import multiprocessing
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

import redis as sync_redis  # noqa: E402
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


# --- client processes ----------------------------------------------------------------------------------
# Clients run in their own processes (as browsers would), each an asyncio loop with its share of the sockets and
# of the baseline's subscribers; the bench process drives them over pipes. perf_counter is CLOCK_MONOTONIC, the
# same clock in every process, so arrival - start is measured across processes.


def client_main(conn) -> None:
    asyncio.run(_client(conn))


async def _client(conn) -> None:
    arrivals: dict[str, list[float]] = {}
    sockets, pubsubs, readers = [], [], []

    async def read_ws(ws) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                event = json.loads(raw)
                if event["event"] == "lock.acquired":
                    arrivals.setdefault(event["reason"], []).append(now)
        except websockets.ConnectionClosed:
            pass

    async def read_pubsub(pubsub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
            if message is not None:
                now = time.perf_counter()
                arrivals.setdefault(json.loads(message["data"])["reason"], []).append(now)

    while True:
        command, *args = await asyncio.to_thread(conn.recv)
        if command == "connect":
            for url, origin, session in args[0]:
                ws = await websockets.connect(url, origin=origin, additional_headers={"Cookie": f"sessionid={session}"})
                sockets.append(ws)
                readers.append(asyncio.create_task(read_ws(ws)))
            conn.send(len(sockets))
        elif command == "subscribe":
            url, channel, count = args
            for _ in range(count):
                pubsub = aioredis.from_url(url).pubsub()
                await pubsub.subscribe(channel)
                await pubsub.get_message(timeout=1)  # the subscribe confirmation
                pubsubs.append(pubsub)
                readers.append(asyncio.create_task(read_pubsub(pubsub)))
            conn.send(len(pubsubs))
        elif command == "count":
            conn.send(len(arrivals.get(args[0], [])))
        elif command == "take":
            conn.send(arrivals.pop(args[0], []))
        elif command == "stop":
            for task in readers:
                task.cancel()
            for ws in sockets:
                await ws.close()
            for pubsub in pubsubs:
                await pubsub.aclose()
            conn.send("stopped")
            return


class ClientPool:
    def __init__(self, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for _ in range(processes):
            mine, theirs = context.Pipe()
            process = context.Process(target=client_main, args=(theirs,), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)
        self.sockets = 0

    def ask(self, *command, each: list | None = None) -> list:
        for n, pipe in enumerate(self.pipes):
            pipe.send((*command, *([each[n]] if each is not None else [])))
        return [pipe.recv() for pipe in self.pipes]

    def share(self, items: list) -> list[list]:
        return [items[n :: len(self.pipes)] for n in range(len(self.pipes))]

    def wait_for(self, marker: str, expected: int, timeout: float = 10) -> list[float]:
        deadline = time.monotonic() + timeout
        while sum(self.ask("count", marker)) < expected and time.monotonic() < deadline:
            time.sleep(0.002)
        return [t for times in self.ask("take", marker) for t in times]

    def stop(self) -> None:
        self.ask("stop")
        for process in self.processes:
            process.join(5)


def measure_locks(pool: ClientPool, owner, table_list, rounds: int) -> list[float]:
    latencies: list[float] = []
    for n in range(rounds):
        table = table_list[n % len(table_list)]
        marker = f"round {n}"
        started = time.perf_counter()
        lock = locks.acquire(table, actor=owner, lock_type="pessimistic", reason=marker)
        acquired = time.perf_counter()
        arrivals = pool.wait_for(marker, pool.sockets)
        if len(arrivals) < pool.sockets:
            raise SystemExit(f"round {n}: only {len(arrivals)} of {pool.sockets} clients got lock.acquired")
        latencies += [(t - started) * 1000 for t in arrivals]
        if os.environ.get("BENCH_VERBOSE"):
            print(
                f"round {n}: acquire returned {(acquired - started) * 1000:.1f} ms, "
                f"first {(min(arrivals) - started) * 1000:.1f} ms, last {(max(arrivals) - started) * 1000:.1f} ms"
            )
        locks.release(table, actor=owner, lock_token=lock.lock_token)
        time.sleep(0.05)
    return latencies


def measure_redis(pool: ClientPool, subscribers: int, rounds: int) -> list[float]:
    channel = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    counts = [len(share) for share in pool.share(list(range(subscribers)))]
    pool.ask("subscribe", settings.REDIS_URL, channel, each=counts)
    publisher = sync_redis.Redis.from_url(settings.REDIS_URL)
    latencies: list[float] = []
    for n in range(rounds):
        marker = f"baseline {n}"
        started = time.perf_counter()
        publisher.publish(channel, json.dumps({"event": "lock.acquired", "reason": marker}))
        latencies += [(t - started) * 1000 for t in pool.wait_for(marker, subscribers)]
        time.sleep(0.05)
    publisher.close()
    return latencies


def connect_clients(pool: ClientPool, count: int, pair, project, sessions) -> None:
    specs = []
    for n in range(pool.sockets, pool.sockets + count):
        server = pair[n % 2]
        specs.append((f"{server.ws}/ws/projects/{project.pk}/", server.http, sessions[n % len(sessions)]))
    pool.sockets = sum(pool.ask("connect", each=pool.share(specs)))
    time.sleep(1.5)  # let the presence announcements of the joins settle


def describe(name: str, values: list[float]) -> str:
    return (
        f"{name:<34} n={len(values):>5}  p50={statistics.median(values):6.2f} ms  "
        f"p99={pct(values, 99):6.2f} ms  max={max(values):6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--client-procs", type=int, default=2, help="processes the clients are spread over")
    args = parser.parse_args()
    if not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        print("lock broadcast: skipped — set REDIS_URL and a PostgreSQL DATABASE_URL (it measures the scale-out setup)")
        return
    call_command("migrate", verbosity=0)
    owner, project, people, table_list = setup_data(users=10)
    sessions = [servers.login_session(user) for user in people]
    env = {"CHANNELS_PREFIX": os.environ["CHANNELS_PREFIX"], "LOCK_SWEEP_IN_ASGI": "0"}
    half = args.clients // 2
    pool = ClientPool(args.client_procs)
    try:
        with (
            tempfile.TemporaryDirectory() as logs,
            servers.daphnes(2, connection.settings_dict["NAME"], log_dir=Path(logs), extra_env=env) as pair,
        ):
            rss_before = [s.rss_kib() for s in pair]
            connect_clients(pool, half, pair, project, sessions)
            rss_half = [s.rss_kib() for s in pair]
            connect_clients(pool, args.clients - half, pair, project, sessions)
            rss_full = [s.rss_kib() for s in pair]
            baseline = measure_redis(pool, args.clients, args.rounds)
            broadcast = measure_locks(pool, owner, table_list, args.rounds)
            pool.stop()
    finally:
        teardown_data(owner, project, people)

    print(
        f"lock broadcast: {args.clients} websocket clients over 2 daphne processes, {args.rounds} rounds, "
        f"clients in {args.client_procs} process(es)"
    )
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
