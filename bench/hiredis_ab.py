"""redis-py with and without hiredis: big-state pages, the failure index, and the worker.

    .venv/bin/python bench/hiredis_ab.py [--redis URL] [--repeat 15] [--jobs 3000]

Each measurement runs in a child process, once with hiredis importable and once with
``sys.modules["hiredis"] = None`` set before redis-py is imported (redis-py then parses
replies in Python), alternately, in the same run. Without ``--redis`` it starts a private
redis-server and writes the BIG state (bench/build_state.py) first. Needs hiredis
installed (``pip install hiredis``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/overview",
    "/queues",
    "/working",
    "/workers/all",
    "/failed",
    "/failed?class=Search::DispatchEventJob",
    "/stats.txt",
    "/api/v1/workers",
    "/api/v1/failed?per_page=100",
]

PAGES_CHILD = r"""
import json, statistics, sys, time
if sys.argv[2] == "no":
    sys.modules["hiredis"] = None
from resque_web.web import create_app
client = create_app({"REDIS_URL": sys.argv[1], "TESTING": True}).test_client()
repeat, pages = int(sys.argv[3]), json.loads(sys.argv[4])
deadline = time.monotonic() + 120
while b'"counting":null' not in client.get("/api/v1/failed").data:  # the index, warm
    assert time.monotonic() < deadline, "the failure index never caught up"
    time.sleep(0.5)
out = {}
for page in pages:
    client.get(page)
    took = []
    for _ in range(repeat):
        began = time.perf_counter()
        assert client.get(page).status_code == 200, page
        took.append(time.perf_counter() - began)
    out[page] = statistics.median(took) * 1000
print(json.dumps(out))
"""

WORKER_CHILD = r"""
import runpy, sys
if sys.argv.pop(1) == "no":
    sys.modules["hiredis"] = None
sys.argv[0] = "resque-web worker"
runpy.run_module("resque_web.worker", run_name="__main__")
"""


def child(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def worker_rate(url: str, hiredis: bool, jobs: int, fork: bool) -> float:
    import redis

    from resque_web import Resque

    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    Resque(client).enqueue_many("BenchNoop", ([i] for i in range(jobs)), queue="bench")
    began = time.perf_counter()
    child(
        WORKER_CHILD, "yes" if hiredis else "no", "--redis", url, "--queues", "bench",
        "--burst", "--require", str(ROOT / "bench" / "worker_throughput.py"),
        "--fork" if fork else "--no-fork",
    )  # fmt: skip
    return jobs / (time.perf_counter() - began)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", help="a Redis holding the BIG state already (db 0)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=3000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from resque_web.redis_server import RedisServer

    with contextlib.ExitStack() as stack:
        url = args.redis
        if url is None:
            import redis

            from bench.build_state import BIG, build

            url = stack.enter_context(RedisServer()).url
            build(redis.Redis.from_url(url), BIG, quiet=True)
        print(
            f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
            f"{os.cpu_count()} CPUs, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; median of {args.repeat}"
        )
        runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
        for _ in range(2):
            for hiredis in (False, True):
                found = child(PAGES_CHILD, url, "yes" if hiredis else "no", str(args.repeat),
                              json.dumps(PAGES))  # fmt: skip
                runs[hiredis].append(json.loads(found))
        print("| page (BIG state) | without hiredis ms | with hiredis ms | speed-up |")
        print("|---|---:|---:|---:|")
        for page in PAGES:
            without = statistics.median(r[page] for r in runs[False])
            with_ = statistics.median(r[page] for r in runs[True])
            print(f"| {page} | {without:.1f} | {with_:.1f} | {without / with_:.2f}x |")
        worker_db = url.rsplit("/", 1)[0] + "/9"
        for fork in (False, True):
            rates = {h: [worker_rate(worker_db, h, args.jobs, fork) for _ in range(2)]
                     for h in (False, True)}  # fmt: skip
            without, with_ = (statistics.median(rates[h]) for h in (False, True))
            mode = "fork per job" if fork else "no fork"
            print(f"| worker, {mode} (jobs/s) | {without:.0f} | {with_:.0f} | "
                  f"{with_ / without:.2f}x |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
