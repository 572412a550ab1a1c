"""Time a ``/metrics`` scrape on the SMALL and BIG Resque states, against ``/api/v1/stats``.

The issue asks for a scrape at the big state (1,000 queues, 1,000 workers) in at most 2
round trips and well under 50 ms. Each state also gets a resque-scheduler schedule (1,000
timestamps, 3 jobs each), so the delayed metrics are read too. For each URL: median and
p95 over ``--repeat`` requests through Flask's test client, round trips and commands of one
warm request (client side), and Redis server time per request (``INFO commandstats``);
``/api/v1/stats`` (one script over every queue and worker) is the baseline in the same run.

    .venv/bin/python bench/metrics.py [--repeat 200] [--small-only]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.build_state import BIG, SMALL, Scale, build  # noqa: E402
from bench.pages import _commandstats, machine, revision  # noqa: E402
from resque_web.client import Resque  # noqa: E402
from resque_web.keys import Keys  # noqa: E402
from resque_web.model.metrics import Metrics  # noqa: E402
from resque_web.redis_server import RedisServer  # noqa: E402
from resque_web.web import create_app  # noqa: E402
from tests.support.roundtrips import count_redis  # noqa: E402

URLS = ("/metrics", "/api/v1/stats")
DELAYED_TIMES = 1_000
DELAYED_PER_TIME = 3


def add_schedule(client: redis.Redis) -> None:
    """A delayed schedule as resque-scheduler writes it (zset of epochs, a list per epoch)."""
    keys = Keys()
    start = int(time.time()) - 60
    pipe = client.pipeline(transaction=False)
    for n in range(DELAYED_TIMES):
        at = start + n * 60
        pipe.zadd(keys.delayed_schedule, {str(at): at})
        pipe.rpush(keys.delayed(at), *[f'{{"class":"Later","args":[{n}],"queue":"q"}}'] * 3)
    pipe.execute()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_url(url: str, redis_url: str, admin: redis.Redis, repeat: int) -> str:
    client = create_app({"REDIS_URL": redis_url, "TESTING": True}).test_client()
    # The process's first request starts indexing the failures in a background thread;
    # time the scrape once that is done, as in a dashboard that has been up a while.
    while b"data-counting" in client.get("/failed").data:
        time.sleep(0.2)
    client.get(url)
    with count_redis() as tally:
        body = client.get(url).get_data()
    admin.config_resetstat()
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url).get_data()
        ms.append((time.perf_counter() - t0) * 1000)
    stats = _commandstats(admin)
    redis_us = sum(us for cmd, (_, us) in stats.items() if cmd.startswith("eval")) / repeat
    return (
        f"| {url} | {statistics.median(ms):.2f} | {percentile(ms, 0.95):.2f} | "
        f"{tally.round_trips} | {len(tally.commands)} | {redis_us / 1000:.2f} | "
        f"{len(body) / 1024:.0f} KiB |"
    )


def time_summary(redis_url: str, repeat: int) -> float:
    metrics = Metrics(Resque(redis_url))
    metrics.summary()
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        metrics.summary()
        ms.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ms)


def run(scale: Scale, repeat: int) -> None:
    with RedisServer() as server:
        admin = redis.Redis(port=server.port, decode_responses=True)
        started = time.perf_counter()
        build(admin, scale, quiet=True)
        add_schedule(admin)
        print(
            f"## {scale.name}: {scale.queues:,} queues, {scale.workers:,} workers "
            f"({scale.busy} busy), {scale.failures:,} failures, {DELAYED_TIMES:,} delayed "
            f"times; built in {time.perf_counter() - started:.0f} s"
        )
        print()
        print("| URL | median ms | p95 ms | round trips | commands | Redis ms/req | size |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for url in URLS:
            print(time_url(url, server.url, admin, repeat))
        print()
        print(f"data layer: Metrics.summary() median {time_summary(server.url, repeat):.2f} ms")
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--small-only", action="store_true")
    args = parser.parse_args(argv)
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')} on {machine()}; code {revision()}")
    print()
    for scale in (SMALL,) if args.small_only else (SMALL, BIG):
        run(scale, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
