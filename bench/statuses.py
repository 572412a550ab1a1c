"""Time the Statuses tab, a status page and the statuses JSON with 100 and 100,000 statuses.

A page reads its own rows (ZREVRANGE of its positions, one MGET), so its cost should not
grow with ``_statuses``; a filtered view reads at most FIND_BUDGET statuses per request; a
status page and the JSON an app polls read one key. Each figure is reported as big/small
from the same run, with the Redis round trips per request. Clearing is timed last (its
work is proportional to what it clears, in 500-status atomic steps).

    .venv/bin/python bench/statuses.py [--repeat 30] [--big 100000]

Everything runs in-process through Flask's test client against two private redis-servers
on loopback.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import redis
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests/support's round-trip counter

from resque_web import Resque  # noqa: E402
from resque_web.keys import Keys  # noqa: E402
from resque_web.redis_server import RedisServer  # noqa: E402
from resque_web.status import StatusStore  # noqa: E402
from resque_web.web import create_app  # noqa: E402
from tests.support.roundtrips import count_redis  # noqa: E402

KEYS = Keys()
T0 = 1796329780  # statuses are dated before it (a clear leaves newer ones)


def uuid_of(i: int) -> str:
    return f"{i:032x}"


def fill(client: redis.Redis, n: int) -> None:
    """``n`` statuses one second apart: 1 in 100 failed, 1 in 1,000 working, the rest
    completed, shaped as resque-status writes them."""
    for start in range(0, n, 5000):
        pipe = client.pipeline(transaction=False)
        for i in range(start, min(n, start + 5000)):
            state = "failed" if i % 100 == 7 else "working" if i % 1000 == 3 else "completed"
            value = {
                "time": T0 - n + i,
                "status": state,
                "uuid": uuid_of(i),
                "options": {"photo": i},
                "name": f'Thumb({{"photo"=>{i}}})',
                "num": 5,
                "total": 10,
                "message": f"resized 5 of 10 ({state})",
            }
            pipe.set(KEYS.status(uuid_of(i)), json.dumps(value, separators=(",", ":")))
            pipe.zadd(KEYS.statuses, {uuid_of(i): T0 - n + i})
        pipe.execute()


def measure(app: Flask, url: str, repeat: int) -> tuple[float, float, int]:
    """Median and p95 milliseconds, and round trips, of GET ``url``."""
    client = app.test_client()
    response = client.get(url)  # warm: scripts loaded, tab cache filled
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    with count_redis() as tally:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], tally.round_trips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args(argv)
    with RedisServer() as small_server, RedisServer() as big_server:
        apps = {}
        for label, server, n in (
            ("small", small_server, args.small),
            ("big", big_server, args.big),
        ):
            client = redis.Redis.from_url(server.url)
            began = time.perf_counter()
            fill(client, n)
            print(f"{label}: {n:,} statuses written in {time.perf_counter() - began:.1f} s")
            apps[label] = create_app({"REDIS_URL": server.url, "SECRET_KEY": "bench"})
        sizes = {"small": args.small, "big": args.big}
        targets = {
            "/statuses (newest page)": lambda n: "/statuses",
            "/statuses, middle page": lambda n: f"/statuses?page={max(1, n // 100)}",
            "/statuses?state=failed": lambda n: "/statuses?state=failed",
            "/statuses?state=killed (no match)": lambda n: "/statuses?state=killed",
            "/statuses/<uuid>": lambda n: f"/statuses/{uuid_of(n // 2)}",
            "/api/v1/statuses/<uuid>": lambda n: f"/api/v1/statuses/{uuid_of(n // 2)}",
            "/api/v1/statuses": lambda n: "/api/v1/statuses",
            "/overview (tab shown, cached)": lambda n: "/overview",
        }
        head = f"{'small ms (p95)':>16} {'big ms (p95)':>16} {'big/small':>9} {'RT s/b':>7}"
        print(f"\n{'URL':36} {head}")
        for label, url in targets.items():
            (s_med, s_p95, s_rt), (b_med, b_p95, b_rt) = (
                measure(apps[k], url(sizes[k]), args.repeat) for k in ("small", "big")
            )
            print(
                f"{label:36} {s_med:8.2f} ({s_p95:5.2f}) {b_med:8.2f} ({b_p95:5.2f}) "
                f"{b_med / s_med:9.2f} {s_rt:>3}/{b_rt:<3}"
            )
        store = StatusStore(Resque(redis.Redis.from_url(big_server.url, decode_responses=True)))
        began = time.perf_counter()
        cleared = store.clear("failed")
        took = time.perf_counter() - began
        print(f"\nclear('failed') on {args.big:,}: {cleared:,} removed in {took:.2f} s")
        began = time.perf_counter()
        cleared = store.clear("all")
        took = time.perf_counter() - began
        print(
            f"clear('all') on {args.big - args.big // 100:,}: {cleared:,} removed in {took:.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
