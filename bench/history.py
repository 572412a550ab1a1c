"""History graphs at full retention and 1,000 queues: what a sample, the JSON and the page
cost, as ratios to /stats/resque (the summary every sample reads) in the same run.

    .venv/bin/python bench/history.py [--rounds 20]

Starts its own redis-server on a free loopback port and stops it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from resque_web.keys import Keys
from resque_web.model import History
from resque_web.model.history import RESOLUTIONS, Sample
from resque_web.redis_server import RedisServer
from resque_web.web import create_app

QUEUES = 1000


def fill(r: redis.Redis, now: float) -> None:
    """1,000 queues (1-50 jobs) and every bucket of both windows sampled."""
    keys = Keys()
    pipe = r.pipeline(transaction=False)
    for q in range(QUEUES):
        pipe.sadd(keys.queues, f"queue-{q:04d}")
        pipe.rpush(keys.queue(f"queue-{q:04d}"), *["{}"] * (1 + q % 50))
    for res in RESOLUTIONS.values():
        last = int(now) // res.step * res.step
        for i in range(res.keep):
            bucket = last - i * res.step
            deepest = [(f"queue-{(i + k) % QUEUES:04d}", 1000 - k) for k in range(10)]
            sample = Sample(1_000_000 + i * 50, 1000 + i, 20_000 + i, deepest)
            pipe.hset(keys.history(res.name), str(bucket), sample.encode())
            pipe.zadd(keys.history_index(res.name), {str(bucket): bucket})
    pipe.execute()


def timed(fn: Callable[[], object], rounds: int) -> float:
    fn()  # warm
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    server = RedisServer().start()
    try:
        r = redis.Redis.from_url(server.url)
        fill(r, time.time())
        app = create_app({"REDIS_URL": server.url, "TESTING": True})
        client = app.test_client()
        history = History(app.blueprints["resque_web"].resque)
        keys = Keys()

        def fresh_sample() -> None:  # both buckets free: the summary plus one script call
            r.delete(keys.history("minute"), keys.history("hour"))
            history.sample()

        def get(url: str) -> Callable[[], object]:
            return lambda: client.get(url).status_code == 200 or sys.exit(f"{url} failed")

        base = timed(get("/stats/resque"), rounds)
        rows = {
            "GET /stats/resque (baseline)": base,
            "History.series('minute')": timed(lambda: history.series("minute"), rounds),
            "GET /api/v1/history?resolution=minute": timed(
                get("/api/v1/history?resolution=minute"), rounds
            ),
            "GET /api/v1/history?resolution=hour": timed(
                get("/api/v1/history?resolution=hour"), rounds
            ),
            "GET /stats/history (1,440 rows)": timed(get("/stats/history"), rounds),
            "GET /stats/history?resolution=hour": timed(
                get("/stats/history?resolution=hour"), rounds
            ),
            "History.sample(), buckets taken": timed(history.sample, rounds),
        }
        size = len(client.get("/stats/history").data)
        json_size = len(client.get("/api/v1/history?resolution=minute").data)
        memory = {res: r.memory_usage(keys.history(res)) for res in RESOLUTIONS}
        rows["History.sample(), buckets free"] = timed(fresh_sample, rounds)
        print(f"{QUEUES} queues, full retention, median of {rounds}")
        for name, ms in rows.items():
            print(f"{name:42s} {ms:8.2f} ms  {ms / base:6.2f}x")
        print(f"/stats/history page bytes: {size:,}")
        print(f"/api/v1/history?resolution=minute bytes: {json_size:,}")
        print(f"history hash memory (full retention): {memory}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
