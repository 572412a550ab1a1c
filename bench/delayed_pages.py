"""Time the Delayed and Schedule tabs on a SMALL and a BIG resque-scheduler state.

BIG is the scale the issue names: 1,000,000 delayed jobs over 100,000 timestamps (ten per
timestamp, each with its ``timestamps:<job>`` set, as Ruby's ``delayed_push`` writes), plus
100 persistent schedules. SMALL has the same shapes at 1/1000. Every page should cost about
the same on both (it reads the rows it shows); a search reads until it has its page or its
time budget (2 s) runs out, so a search for something rare grows with the state by design,
and says "partial" when cut short. For each row: median and p95 latency, and Redis round
trips per request.

    .venv/bin/python bench/delayed_pages.py [--repeat 20] [--jobs 1000000] [--per-stamp 10]

Both states live in private redis-servers on random loopback ports; requests go through
Flask's test client in this process.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the round-trip counter in tests/support

from bench.delayed_state import Batch, epoch_at, push_delayed  # noqa: E402
from bench.tab_timing import Row, lap, laps_of, machine, options, print_table  # noqa: E402
from resque_web import Resque  # noqa: E402
from resque_web import payload as jsonp  # noqa: E402
from resque_web.keys import Keys  # noqa: E402
from resque_web.model import Dashboard  # noqa: E402
from resque_web.redis_server import RedisServer  # noqa: E402
from resque_web.web import create_app  # noqa: E402
from tests.support.roundtrips import count_redis  # noqa: E402

CLASSES = ("Archive", "Billing::Charge", "Reports::Nightly", "Mailer::Digest")
RARE = "Rare::Needle"  # one job, in the newest timestamp


@dataclass(frozen=True)
class State:
    name: str
    jobs: int
    per_stamp: int

    @property
    def stamps(self) -> int:
        return self.jobs // self.per_stamp


def build(client: redis.Redis, state: State) -> float:
    """Write the state as Ruby's ``delayed_push`` does; returns seconds taken."""
    started = time.perf_counter()
    keys = Keys()
    batch = Batch(client)
    for t in range(state.stamps):
        items = []
        for i in range(state.per_stamp):
            n = t * state.per_stamp + i
            name = RARE if t == state.stamps - 1 and i == 0 else CLASSES[n % len(CLASSES)]
            job = {"class": name, "args": [n, "tar", {"note": "ünïcode"}], "queue": "default"}
            items.append(jsonp.encode(job))
        push_delayed(batch, keys, epoch_at(t), items)
    pipe = batch.pipe
    for s in range(100):
        config = {"cron": f"{s % 60} * * * *", "class": "Archive", "queue": "low", "args": [s]}
        pipe.hset(keys.persistent_schedules, f"schedule_{s:03d}", jsonp.encode(config))
        pipe.hset(keys.delayed_last_enqueued_at, f"schedule_{s:03d}", "2026-12-03 20:29:40 UTC")
    pipe.set(keys.scheduler_master_lock(), "bench-host:1")
    batch.finish()
    return time.perf_counter() - started


Url = Callable[[State], str]

PAGES: list[tuple[str, Url]] = [
    ("/delayed (first page)", lambda s: "/delayed"),
    ("/delayed middle page", lambda s: f"/delayed?page={max(1, s.stamps // 40)}"),
    ("/delayed last page", lambda s: f"/delayed?page={-(-s.stamps // 20)}"),
    ("/delayed/<t> (10 jobs)", lambda s: f"/delayed/{epoch_at(s.stamps // 2)}"),
    ("/delayed?class=Archive (dense)", lambda s: "/delayed?class=Archive"),
    ("/delayed?class=Rare::Needle (newest)", lambda s: "/delayed?class=Rare::Needle"),
    ("/schedule (100 entries)", lambda s: "/schedule"),
    ("/api/v1/delayed", lambda s: "/api/v1/delayed"),
    ("/api/v1/delayed/<t>", lambda s: f"/api/v1/delayed/{epoch_at(s.stamps // 2)}"),
    ("/api/v1/schedule", lambda s: "/api/v1/schedule"),
    ("/delayed?count=1 (every job counted)", lambda s: "/delayed?count=1"),
]


def measure_pair(targets: dict[str, tuple[Any, str]], repeat: int) -> dict[str, Row]:
    """Each state's client and URL, requested in turn ``repeat`` times."""
    notes, trips = {}, {}
    for name, (client, url) in targets.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        notes[name] = "partial" if b"partial" in response.data else ""
        with count_redis() as tally:
            client.get(url)
        trips[name] = tally.round_trips
    laps: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(repeat):
        for name, (client, url) in targets.items():
            laps[name].append(lap(partial(client.get, url)))
    return {name: Row.of(times, trips[name], notes[name]) for name, times in laps.items()}


def time_data_layer(server: RedisServer, state: State, repeat: int) -> dict[str, Row]:
    """The /metrics totals (every job counted) and a Queue now + Delete of one job."""
    client = redis.Redis(port=server.port, decode_responses=True)
    dash = Dashboard(Resque(client))
    rows: dict[str, Row] = {}
    totals = []
    laps = laps_of(lambda: totals.append(dash.delayed.totals(budget=30)), max(3, repeat // 4))
    assert totals[-1].jobs == state.jobs and totals[-1].complete, totals[-1]
    rows["Delayed.totals() (/metrics)"] = Row.of(laps)
    epoch = epoch_at(state.stamps // 2)
    keys = Keys()
    laps = []
    for _ in range(repeat):
        job = dash.delayed.timestamp(epoch, 1, 1).items[0]
        started = time.perf_counter()
        assert dash.delayed.queue_job(epoch, job.index, job.digest).ok
        laps.append((time.perf_counter() - started) * 1000)
        # put it back where it was (head of the list), as delayed_push would at that time
        client.lpush(keys.delayed(epoch), job.job.raw)
        client.sadd(keys.timestamps(job.job.raw), keys.delayed_name(epoch))
    rows["queue one job now (identity-checked)"] = Row.of(laps)
    client.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = options(__doc__)
    parser.add_argument("--per-stamp", type=int, default=10)
    args = parser.parse_args(argv)
    states = [
        State("small", max(args.per_stamp, args.jobs // 1000), args.per_stamp),
        State("big", args.jobs, args.per_stamp),
    ]
    print(f"# Delayed and Schedule tabs, {machine()}")
    with RedisServer() as small_server, RedisServer() as big_server:
        servers = {"small": small_server, "big": big_server}
        clients = {}
        for state in states:
            server = servers[state.name]
            client = redis.Redis(port=server.port, decode_responses=True)
            took = build(client, state)
            memory = client.info("memory")["used_memory_human"]
            print(
                f"{state.name}: {state.jobs:,} delayed jobs over {state.stamps:,} timestamps, "
                f"built in {took:.1f} s, Redis {memory}"
            )
            clients[state.name] = create_app(
                {"REDIS_URL": server.url, "TESTING": True}
            ).test_client()
            client.close()
        # Small and big requests alternate, so load from elsewhere on the machine falls on both.
        results: dict[str, dict[str, Row]] = {"small": {}, "big": {}}
        for label, url in PAGES:
            pair = measure_pair({s.name: (clients[s.name], url(s)) for s in states}, args.repeat)
            for name, row in pair.items():
                results[name][label] = row
        for state in states:
            results[state.name].update(time_data_layer(servers[state.name], state, args.repeat))
    print_table(results["small"], results["big"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
