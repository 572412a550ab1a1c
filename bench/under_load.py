"""Pages under concurrent load on the BIG state: gunicorn -w 2 --threads 4, 8 clients.

    .venv/bin/python bench/under_load.py [--seconds 10] [--redis URL] [--baseline DIR]
        [--pages /failed,/overview] [--rounds 3]

Each page is asked by ``--clients`` threads at once, for ``--seconds``, one page at a time
(so a slow page does not slow the others' figures): requests per second, median and p99
latency, and the response's size. Without ``--redis`` it starts a private redis-server and
writes the BIG state (bench/build_state.py) first. ``--baseline DIR`` serves a second copy
of the code (``DIR`` holds its ``resque_web``, ``templates`` and ``static``) in the same
run, page by page alternately, so before and after see the same machine. On a shared
(noisy) machine, ``--rounds N`` repeats each page's after/before pair N times, alternating,
and reports each figure's median over the rounds; ``--pages`` limits the run to some pages.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import percentile, request, wait_ready  # noqa: E402
from resque_web.redis_server import RedisServer, free_port  # noqa: E402

PAGES = [
    "/overview",
    "/queues",
    "/failed",
    "/failed?class=Search::DispatchEventJob",
    "/working",
    "/workers/all",
    "/stats/resque",
    "/api/v1/failed",
]


@contextlib.contextmanager
def gunicorn(tree: Path, redis_url: str) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "REDIS_URL": redis_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b",
         f"127.0.0.1:{port}", "resque_web.web:create_app()"],
        env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_ready(port)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def hammer(port: int, path: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, body = request(port, "GET", path)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                sizes.append(len(body) if status == 200 else -1)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - begun
    return {
        "rps": len(latencies) / took,
        "p50": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "kb": statistics.median(sizes) / 1024,
        "errors": sum(1 for s in sizes if s < 0),
    }


def warm(port: int) -> None:
    """Every page once, then wait for both workers' failure indexes (the first request of
    each process starts it in the background)."""
    for path in PAGES * 4:
        request(port, "GET", path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        bodies = [request(port, "GET", "/api/v1/failed")[1] for _ in range(6)]
        if all(b'"counting":null' in body for body in bodies):
            return
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--redis", help="a Redis holding the BIG state already")
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--pages", help="comma-separated paths (default: all of PAGES)")
    parser.add_argument("--rounds", type=int, default=1, help="after/before pairs per page")
    args = parser.parse_args()
    pages = args.pages.split(",") if args.pages else PAGES
    trees = [("after", ROOT)] + ([("before", args.baseline.resolve())] if args.baseline else [])
    with contextlib.ExitStack() as stack:
        url = args.redis
        if url is None:
            import redis

            from bench.build_state import BIG, build

            url = stack.enter_context(RedisServer()).url
            build(redis.Redis.from_url(url), BIG, quiet=True)
        ports = {label: stack.enter_context(gunicorn(tree, url)) for label, tree in trees}
        for port in ports.values():
            warm(port)
        print(
            f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
            f"{os.cpu_count()} CPUs, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; gunicorn -w 2 --threads 4, "
            f"{args.clients} clients, {args.seconds:.0f} s per page and code"
            + (f", median of {args.rounds} alternating rounds" if args.rounds > 1 else "")
        )
        print("| page | code | req/s | p50 ms | p99 ms | KB | errors |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for path in pages:
            runs: dict[str, list[dict[str, float]]] = {label: [] for label in ports}
            for _ in range(args.rounds):
                for label, port in ports.items():
                    runs[label].append(hammer(port, path, args.clients, args.seconds))
            for label, found_runs in runs.items():
                found = {k: statistics.median(r[k] for r in found_runs) for k in found_runs[0]}
                found["errors"] = sum(r["errors"] for r in found_runs)
                print(
                    f"| {path} | {label} | {found['rps']:.0f} | {found['p50']:.0f} | "
                    f"{found['p99']:.0f} | {found['kb']:.0f} | {found['errors']:.0f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
