"""A bounded load test: gunicorn serving the dashboard while Resque's state churns.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 8] [--max-requests 300000]

Starts a private ``redis-server`` on loopback and seeds it (the Ruby fixture plus
``--jobs`` more), then runs, all on loopback:

- ``gunicorn -w 4 'resque_web.web:create_app()'`` on a free port (``REDIS_URL`` in its env);
- ``--resque-workers`` ``resque-web worker --queues '*' --require tests.jobs`` processes:
  they perform jobs, and fail the ones whose class raises or is unknown;
- a producer enqueuing more jobs (a third of them failing) as the workers drain them;
- an operator POSTing ``retry_all`` then ``clear_retried`` to ``/failed`` every 5 s;
- ``--clients`` threads GETting a weighted mix of pages and JSON endpoints.

It stops by itself after ``--seconds`` or ``--max-requests``, whichever comes first, and
cleans up every process it started. An error is a connection failure, a status other
than the expected one, or a traceback in gunicorn's log; it reports them with the request
count, throughput and latency percentiles (overall and per page), and exits 1 on any error.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import redis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support.dump and tests.jobs

from resque_web import Resque  # noqa: E402
from resque_web.redis_server import RedisServer, free_port  # noqa: E402
from tests.support.dump import load_dump  # noqa: E402

# (weight, path): what a team with the dashboard open (and a monitoring script) asks for.
PAGES = [
    (10, "/overview"),
    (6, "/queues"),
    (6, "/queues/default"),
    (3, "/queues/default?page=7&per_page=50"),
    (3, "/queues/load?order=newest"),
    (8, "/failed"),
    (4, "/failed?page=3"),
    (4, "/failed?class=Boom"),
    (3, "/failed?exception=resque_web.errors.UnknownJobClass"),
    (2, "/failed/groups"),
    (5, "/workers"),
    (3, "/workers/all"),
    (5, "/working"),
    (3, "/stats/resque"),
    (1, "/stats/redis"),
    (2, "/stats/keys"),
    (1, "/stats/keys/queue:default?page=3"),
    (4, "/stats.txt"),
    (6, "/api/v1/stats"),
    (3, "/api/v1/queues"),
    (3, "/api/v1/workers"),
    (3, "/api/v1/failed?per_page=50"),
    (1, "/static/css/resque-web.css"),
]
OPERATOR_EVERY = 5.0
COUNTERS = ("resque:stat:processed", "resque:stat:failed")


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0

    def add(self, name: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.count += 1
            self.latencies[name].append(seconds)
            if error:
                self.errors.append(error)


def request(port: int, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
    """One request on a fresh connection (gunicorn's sync workers close after each)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def timed(results: Results, port: int, method: str, path: str, expect: int, **kw: str) -> None:
    started = time.perf_counter()
    error = None
    try:
        status, body = request(port, method, path, kw.get("body"))
        if status != expect:
            error = f"{method} {path}: {status} {body[:160]!r}"
    except OSError as exc:
        error = f"{method} {path}: {type(exc).__name__}: {exc}"
    results.add(f"{method} {path.split('?')[0]}", time.perf_counter() - started, error)


def client(port: int, results: Results, stop: threading.Event, seed: int, cap: int) -> None:
    rng = random.Random(seed)
    weights, paths = zip(*PAGES)
    while not stop.is_set() and results.count < cap:
        path = rng.choices(paths, weights)[0]
        timed(results, port, "GET", path, 200)


def operator(port: int, results: Results, stop: threading.Event) -> None:
    """Retries every failure, then clears the retried ones, every OPERATOR_EVERY seconds."""
    while not stop.wait(OPERATOR_EVERY):
        for action in ("retry_all", "clear_retried"):
            timed(results, port, "POST", "/failed", 303, body=urlencode({"action": action}))


def producer(resque: Resque, stop: threading.Event) -> int:
    """Keeps the workers busy: 60 jobs every half second, a third of them failing."""
    made = 0
    while not stop.wait(0.5):
        for n in range(20):
            resque.enqueue_to("load", "Noop", made + n)
            resque.enqueue_to("load", "Boom", made + n)
            resque.enqueue_to("load", "Missing::Job", made + n)
        made += 60
    return made


def seed_jobs(resque: Resque, jobs: int) -> None:
    """``jobs`` more on queue ``load``: a third succeed, a third raise, a third unknown."""
    for n, name in enumerate(["Noop", "Boom", "Missing::Job"]):
        resque.enqueue_many(name, ([i, "load"] for i in range(n, jobs, 3)), queue="load")


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if request(port, "GET", "/api/v1/stats")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not answer on 127.0.0.1:{port} within {timeout} s")
        time.sleep(0.2)


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 10
) -> None:
    """Stop a process this script started, and its children (its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(wait)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(results: Results, seconds: float, extra: dict[str, object]) -> None:
    every = [v for values in results.latencies.values() for v in values]
    ms = 1000.0
    print(
        f"\n{results.count:,} requests in {seconds:.1f} s ({results.count / seconds:,.0f}/s), "
        f"{len(results.errors)} errors"
    )
    print(
        f"latency: p50 {percentile(every, 0.5) * ms:.1f} ms, p90 {percentile(every, 0.9) * ms:.1f} "
        f"ms, p99 {percentile(every, 0.99) * ms:.1f} ms, max {max(every, default=0) * ms:.1f} ms"
    )
    for key, value in extra.items():
        print(f"{key}: {value}")
    print(f"\n{'request':<42} {'n':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in sorted(results.latencies.items(), key=lambda kv: -len(kv[1])):
        print(
            f"{name:<42} {len(values):>7,} {statistics.median(values) * ms:>8.1f} "
            f"{percentile(values, 0.99) * ms:>8.1f} {max(values) * ms:>8.1f}"
        )
    for error in results.errors[:10]:
        print("ERROR", error)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--max-requests", type=int, default=300_000, help="stop after this many")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--resque-workers", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=20_000, help="jobs seeded besides the fixture")
    options = parser.parse_args()
    if not 0 < options.seconds <= 600:
        parser.error("--seconds must be in (0, 600]: this is a bounded test")

    started: list[subprocess.Popen[bytes]] = []
    logs = tempfile.TemporaryDirectory(prefix="resque-web-load-")
    with RedisServer() as server:
        client_redis = redis.Redis(port=server.port, decode_responses=True)
        load_dump(client_redis)
        resque = Resque(client_redis)
        seed_jobs(resque, options.jobs)
        port = free_port()
        env = {
            **os.environ,
            "REDIS_URL": server.url,
            "RESQUE_WEB_SECRET_KEY": "load-test",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("RESQUE_WEB_AUTH", None)
        gunicorn_log = Path(logs.name) / "gunicorn.log"
        try:
            started.append(
                subprocess.Popen(
                    [
                        sys.executable, "-m", "gunicorn",
                        "-w", str(options.gunicorn_workers),
                        "-b", f"127.0.0.1:{port}",
                        "--log-file", str(gunicorn_log),
                        "resque_web.web:create_app()",
                    ],
                    env=env, cwd=ROOT, start_new_session=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
            for n in range(options.resque_workers):
                started.append(
                    subprocess.Popen(
                        [
                            sys.executable, "-m", "resque_web", "worker",
                            "--queues", "*", "--require", "tests.jobs", "--interval", "0.2",
                        ],
                        env=env, cwd=ROOT, start_new_session=True,
                        stdout=subprocess.DEVNULL,
                        stderr=open(Path(logs.name) / f"worker{n}.log", "wb"),  # noqa: SIM115
                    )
                )  # fmt: skip
            wait_ready(port)
            before = [int(resque.redis.get(k) or 0) for k in COUNTERS]
            results = Results()
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=client, args=(port, results, stop, seed, options.max_requests)
                )
                for seed in range(options.clients)
            ]
            threads.append(threading.Thread(target=operator, args=(port, results, stop)))
            made: list[int] = []
            threads.append(threading.Thread(target=lambda: made.append(producer(resque, stop))))
            print(
                f"load: {options.clients} clients on gunicorn -w {options.gunicorn_workers} "
                f"(127.0.0.1:{port}), {options.resque_workers} Resque workers, "
                f"{options.seconds:.0f} s or {options.max_requests:,} requests"
            )
            t0 = time.perf_counter()
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + options.seconds
            while time.monotonic() < deadline and results.count < options.max_requests:
                time.sleep(0.2)
            stop.set()
            for thread in threads:
                thread.join(60)
            elapsed = time.perf_counter() - t0
        finally:
            for proc in reversed(started):
                stop_process(proc, signal.SIGQUIT if proc is not started[0] else signal.SIGTERM)
        log_text = gunicorn_log.read_text(errors="replace") if gunicorn_log.exists() else ""
        tracebacks = log_text.count("Traceback")
        processed, failed = (int(resque.redis.get(k) or 0) - b for k, b in zip(COUNTERS, before))
        extra = {
            "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}",
            "jobs the workers performed meanwhile": f"{processed:,} ({failed:,} of them failed)",
            "jobs enqueued meanwhile": f"{made[0] if made else 0:,}",
            "failures listed at the end": f"{resque.redis.llen('resque:failed'):,}",
            "tracebacks in gunicorn's log": tracebacks,
        }
        if tracebacks:
            results.errors.append(f"{tracebacks} traceback(s) in gunicorn's log")
        report(results, elapsed, extra)
    logs.cleanup()
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
