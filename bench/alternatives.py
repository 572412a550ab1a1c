"""What the fixes for the slow pages would buy: today's data-layer calls against prototypes
of cheaper ways to get the same numbers, on the BIG state.

``pages.py`` says which pages grow and by how much; this says what each suggested fix is
worth before anyone writes it. Prototypes live here only (the data layer is not touched).

    .venv/bin/python bench/alternatives.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.build_state import BIG, Built  # noqa: E402
from bench.pages import build_elsewhere  # noqa: E402
from resque_web import Resque, times  # noqa: E402
from resque_web import payload as jsonp  # noqa: E402
from resque_web.keys import Keys  # noqa: E402
from resque_web.model import Dashboard  # noqa: E402
from resque_web.model.failure_index import FailureIndex  # noqa: E402
from resque_web.redis_server import RedisServer  # noqa: E402

# Queue names and sizes in one command instead of SMEMBERS + one LLEN per queue.
# (Resque never runs on Redis Cluster, so touching keys named from ARGV is fine.)
QUEUE_SIZES = """
local names = redis.call('SMEMBERS', KEYS[1])
local out = {}
for i, name in ipairs(names) do
  out[2 * i - 1] = name
  out[2 * i] = redis.call('LLEN', ARGV[1] .. name)
end
return out
"""
PENDING_TOTAL = """
local total = 0
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  total = total + redis.call('LLEN', ARGV[1] .. name)
end
return total
"""


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def fast_parse(text: str) -> datetime:
    """Resque's ``started`` (``2026-11-27 17:05:08 +0000``) and heartbeat (ISO 8601) formats
    through ``fromisoformat`` (C) instead of ``strptime`` tried format by format."""
    if len(text) == 25 and text[19] == " ":
        text = f"{text[:10]}T{text[11:19]}{text[20:23]}:{text[23:]}"
    return datetime.fromisoformat(text)


def compare(
    client: redis.Redis, built: Built, repeat: int
) -> list[tuple[str, str, float, str, float]]:
    """(what, today, ms, prototype, ms) rows."""
    keys = Keys(built.namespace)
    d = Dashboard(Resque(client, built.namespace))
    ids = d.workers.ids()
    sizes = client.register_script(QUEUE_SIZES)
    pending = client.register_script(PENDING_TOTAL)
    rows = []

    def row(what: str, today: str, a: Callable[[], Any], proto: str, b: Callable[[], Any]) -> None:
        rows.append((what, today, median_ms(a, repeat), proto, median_ms(b, repeat)))
        print(f"# {what}: done", file=sys.stderr, flush=True)

    row(
        "queue names + sizes (/queues, /overview, /api/v1/queues)",
        "queues.all(): SMEMBERS + 1,000 LLEN pipelined",
        d.queues.all,
        "one EVAL returning names and sizes",
        lambda: sizes(keys=[keys.queues], args=[keys.queue("")]),
    )

    def stats_proto() -> tuple[int, int, int, int]:
        pipe = client.pipeline(transaction=False)
        pipe.scard(keys.queues)
        pipe.smembers(keys.workers)
        pipe.get(keys.processed)
        pipe.get(keys.failed_count)
        n_queues, workers, _, _ = pipe.execute()
        total = pending(keys=[keys.queues], args=[keys.queue("")])
        working = client.exists(*[keys.worker(w) for w in workers]) if workers else 0
        return int(total), int(n_queues), len(workers), int(working)

    row(
        "headline numbers (/stats/resque, /api/v1/stats, /stats.txt)",
        "stats.resque(): 1,000 LLEN + MGET of 1,000 worker payloads",
        d.stats.resque,
        "EVAL summing LLENs + EXISTS over worker keys (counts only)",
        stats_proto,
    )
    pipe = client.pipeline(transaction=False)
    pipe.mget([keys.worker_started(i) for i in ids])
    pipe.hmget(keys.heartbeats, ids)
    started, beats = pipe.execute()
    stamps = [s for s in started + beats if s]
    assert all(fast_parse(s) == times.parse(s) for s in stamps)
    row(
        f"parse {len(stamps):,} worker timestamps (every workers.all())",
        "times.parse (strptime, format by format)",
        lambda: [times.parse(s) for s in stamps],
        "datetime.fromisoformat fast path",
        lambda: [fast_parse(s) for s in stamps],
    )

    def working_proto() -> list[Any]:
        jobs = client.mget([keys.worker(i) for i in ids])
        return d.workers._load([i for i, job in zip(ids, jobs) if job])

    row(
        "busy workers (/working)",
        "workers.working(): load all 1,000, keep the busy",
        d.workers.working,
        "MGET worker:<id> first, load only the busy 200",
        working_proto,
    )
    row(
        "worker list (/workers/all, /api/v1/workers)",
        "workers.all(): all 1,000",
        d.workers.all,
        "one page of 100 ids (SMEMBERS, sort, load 100)",
        lambda: d.workers._load(sorted(client.smembers(keys.workers))[:100]),
    )

    def cold_index() -> None:
        FailureIndex(client, keys.failed).current(None)

    raws: list[str] = []
    for start in range(0, built.scale.failures, 2000):
        raws += client.lrange(keys.failed, start, start + 1999)
    payloads = [json.loads(r)["payload"] for r in raws]
    # Keep the collector from walking these 100k inputs in every part below (it would bill
    # each part for objects the real index build never keeps).
    gc.freeze()
    rows.append(
        (
            f"failure index, cold ({len(raws):,} records)",
            "FailureIndex.current(None) on a new index",
            median_ms(cold_index, max(1, repeat // 5)),
            "",
            0.0,
        )
    )

    def each(fn: Callable[[Any], Any], items: list[Any]) -> Callable[[], None]:
        def run() -> None:
            for item in items:
                fn(item)

        return run

    parts = [
        (
            "LRANGE 2,000 at a time",
            lambda: [client.lrange(keys.failed, s, s + 1999) for s in range(0, len(raws), 2000)],
        ),
        ("json.loads every record", each(json.loads, raws)),
        ("sha1 every record", each(lambda r: hashlib.sha1(r.encode()).hexdigest(), raws)),
        ("jsonp.encode(payload): Job() re-encodes it", each(jsonp.encode, payloads)),
    ]
    for label, fn in parts:
        rows.append(("", f"part of it: {label}", median_ms(fn, 3), "", 0.0))
    gc.unfreeze()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    with RedisServer() as server:
        built = build_elsewhere(server.url, BIG)
        client = redis.Redis.from_url(server.url, decode_responses=True)
        print("| what (BIG state) | today | ms | prototype | ms | speed-up |")
        print("|---|---|---:|---|---:|---:|")
        for what, today, a, proto, b in compare(client, built, args.repeat):
            gain = f"{a / b:.1f}x" if b else ""
            shown_b = f"{b:.1f}" if b else ""
            print(f"| {what} | {today} | {a:.1f} | {proto} | {shown_b} | {gain} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
