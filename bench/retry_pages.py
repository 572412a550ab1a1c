"""Time the Retry tab, and what the retry counts add to the Failed page, on a SMALL and a
BIG state.

BIG: 1,000,000 delayed jobs over 100,000 timestamps (ten each, with their ``timestamps:``
sets, as Ruby's ``delayed_push`` writes), every 100th one a retry (its attempt key and a
``failure-<key>`` record, as resque-retry writes: 10,000 retries spread over the whole
schedule), and 100,000 failures in ``failed`` of which every 10th still has an attempt key.
SMALL has the same shapes at 1/1000. The Retry page reads delayed items oldest first until
it has its rows, at most 2,000 (then it says "partial"), so its cost should not grow with
the state; the Failed page's retry counts are one pipelined GET per row shown.

    .venv/bin/python bench/retry_pages.py [--repeat 20] [--jobs 1000000]

Both states live in private redis-servers on random loopback ports; requests go through
Flask's test client in this process. For each row: median and p95 latency in ms, and Redis
round trips per request.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the round-trip counter in tests/support

from bench.delayed_state import Batch, epoch_at, push_delayed  # noqa: E402
from bench.tab_timing import Row, laps_of, machine, options, print_table  # noqa: E402
from resque_web import Resque  # noqa: E402
from resque_web import payload as jsonp  # noqa: E402
from resque_web.failure import build_record  # noqa: E402
from resque_web.keys import Keys  # noqa: E402
from resque_web.model import Dashboard  # noqa: E402
from resque_web.redis_server import RedisServer  # noqa: E402
from resque_web.retry import retry_identifier  # noqa: E402
from resque_web.web import create_app  # noqa: E402
from tests.support.roundtrips import count_redis  # noqa: E402

PER_STAMP = 10
RETRY_EVERY = 100
FAILED_RETRYING_EVERY = 10
K = Keys()


@dataclass(frozen=True)
class State:
    name: str
    jobs: int

    @property
    def stamps(self) -> int:
        return self.jobs // PER_STAMP

    @property
    def failures(self) -> int:
        return self.jobs // 10


def build(client: redis.Redis, state: State) -> float:
    started = time.perf_counter()
    batch = Batch(client)
    pipe = batch.pipe
    error = build_record(OSError("upstream down"), "bench:1:flaky", "flaky", {}, ["a.rb:1"])
    for t in range(state.stamps):
        items = []
        for i in range(PER_STAMP):
            n = t * PER_STAMP + i
            retry = n % RETRY_EVERY == 0
            name = "Flaky" if retry else "Archive"
            items.append(jsonp.encode({"class": name, "args": [n, "x"], "queue": "flaky"}))
            if retry:
                retry_name = K.retry_name(name, retry_identifier([n, "x"]))
                pipe.set(K.retry_attempts(retry_name), n % 3)
                record = {**error, "payload": {"class": name, "args": [n, "x"]}}
                pipe.set(K.retry_failure(retry_name), jsonp.encode(record), ex=86_400)
                batch.queued(2)
        push_delayed(batch, K, epoch_at(t), items)
    for n in range(state.failures):
        payload = {"class": "Flaky", "args": [n, "f"]}
        pipe.rpush(K.failed, jsonp.encode({**error, "payload": payload}))
        if n % FAILED_RETRYING_EVERY == 0:
            pipe.set(K.retry_attempts(K.retry_name("Flaky", retry_identifier([n, "f"]))), 1)
        batch.queued(2)
    batch.finish()
    return time.perf_counter() - started


Url = Callable[[State], str]

PAGES: list[tuple[str, Url]] = [
    ("/retry (first 20)", lambda s: "/retry"),
    ("/retry?page=10 (rows 181-200)", lambda s: "/retry?page=10"),
    ("/retry?page=100 (past the budget)", lambda s: "/retry?page=100"),
    ("/retry/<t> (10 jobs, 1 retry)", lambda s: f"/retry/{epoch_at(s.stamps // 2)}"),
    ("/api/v1/retry", lambda s: "/api/v1/retry"),
    ("/failed (20 rows, counts shown)", lambda s: "/failed"),
    ("/overview (tab shown, cached)", lambda s: "/overview"),
]


def measure(client: object, url: str, repeat: int) -> Row:
    get = partial(client.get, url)  # type: ignore[attr-defined]
    response = get()
    assert response.status_code == 200, (url, response.status_code)
    with count_redis() as tally:
        get()
    note = "partial" if b'class="badge badge-muted partial"' in response.data else ""
    return Row.of(laps_of(get, repeat), tally.round_trips, note)


def time_failed_counts(server: RedisServer, repeat: int) -> dict[str, Row]:
    """The Failed page's extra read against its own page read, in the data layer."""
    client = redis.Redis(port=server.port, decode_responses=True)
    dash = Dashboard(Resque(client))
    page = dash.failures.page(None, 1, 20, True)
    runs: dict[str, Callable[[], object]] = {
        "Failures.page(20 rows) (baseline)": partial(dash.failures.page, None, 1, 20, True),
        "Retries.attempts_for(20 rows)": partial(dash.retries.attempts_for, page.items),
        "Retries.in_use() (tab refresh)": dash.retries.in_use,
    }
    rows = {label: Row.of(laps_of(run, repeat)) for label, run in runs.items()}
    client.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    args = options(__doc__).parse_args(argv)
    states = [State("small", max(1000, args.jobs // 1000)), State("big", args.jobs)]
    results: dict[str, dict[str, Row]] = {}
    print(f"# Retry tab, {machine()}")
    for state in states:
        with RedisServer() as server:
            client = redis.Redis(port=server.port, decode_responses=True)
            took = build(client, state)
            print(
                f"{state.name}: {state.jobs:,} delayed jobs ({state.jobs // RETRY_EVERY:,} "
                f"retries), {state.failures:,} failures, built in {took:.1f} s, "
                f"Redis {client.info('memory')['used_memory_human']}"
            )
            http = create_app({"REDIS_URL": server.url, "TESTING": True}).test_client()
            # The first request indexes the failures in the background: let it finish, so
            # no row below is timed against it.
            while b"data-counting" in http.get("/failed").data:
                time.sleep(0.1)
            results[state.name] = {
                label: measure(http, url(state), args.repeat) for label, url in PAGES
            }
            results[state.name].update(time_failed_counts(server, args.repeat))
            client.close()
    print_table(results["small"], results["big"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
