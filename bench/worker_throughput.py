"""Worker throughput: trivial jobs through ``resque-web worker --burst``, and bulk enqueue.

    .venv/bin/python bench/worker_throughput.py [--jobs 10000] [--bulk 1000000]

On a private redis-server: enqueue ``--jobs`` trivial jobs with ``enqueue_many``, run the
worker as a subprocess in burst mode, without and with a fork per job, and print jobs/s
(wall time of the whole process, and with the start-up/shut-down cost of an empty run taken
off); then how fast this machine can fork at all, and time ``enqueue_many`` of ``--bulk``
jobs.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import redis

from resque_web import Resque, job
from resque_web.redis_server import RedisServer

QUEUE = "bench"
HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent


@job("BenchNoop")
class BenchNoop:
    """The trivial job: the cost measured is the worker's, not the job's."""

    @staticmethod
    def perform(n: int) -> None:
        return None


def run_worker(url: str, fork: bool) -> tuple[float, float]:
    """Wall seconds for one burst-mode worker process, start to exit, and the CPU seconds it
    (and its children) used."""
    command = [
        sys.executable,
        "-m",
        "resque_web.worker",
        "--redis",
        url,
        "--queues",
        QUEUE,
        "--burst",
        "--require",
        str(HERE),
        "--fork" if fork else "--no-fork",
    ]
    cpu_before = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"worker failed ({done.returncode}):\n{done.stderr}")
    return took, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker_rate(client: redis.Redis, resque: Resque, url: str, jobs: int, fork: bool) -> float:
    client.flushall()
    overhead, _ = run_worker(url, fork)  # an empty queue: start-up, prune, register, unregister
    resque.enqueue_many(BenchNoop, ([i] for i in range(jobs)), queue=QUEUE)
    took, cpu = run_worker(url, fork)
    processed = int(client.get(resque.keys.processed) or 0)
    failed = int(client.get(resque.keys.failed_count) or 0)
    if processed != jobs or failed or resque.size(QUEUE):
        sys.exit(f"expected {jobs} processed, got {processed} ({failed} failed)")
    mode = "fork per job" if fork else "no fork     "
    print(
        f"worker, {mode}: {jobs / took:8.0f} jobs/s "
        f"({jobs} jobs in {took:.2f}s; {jobs / max(took - overhead, 1e-9):.0f} jobs/s "
        f"without the {overhead:.2f}s start-up and shut-down; "
        f"worker CPU {cpu / jobs * 1e6:.0f} us/job)"
    )
    return jobs / took


def fork_ceiling(count: int = 300) -> float:
    """Bare fork + _exit + waitpid in a process with the same libraries loaded: a worker that
    waits for each child's exit, as Ruby's and ours do, cannot fork per job faster than
    this on this machine."""
    import resque_web.worker  # noqa: F401 - the worker's imports, for a like-sized process

    began = time.perf_counter()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    rate = count / (time.perf_counter() - began)
    print(f"bare fork+exit+wait:   {rate:8.0f} /s (the ceiling)")
    return rate


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def enqueue_rate(client: redis.Redis, resque: Resque, count: int) -> None:
    client.flushall()
    began = time.perf_counter()
    resque.enqueue_many(BenchNoop, ([i] for i in range(count)), queue=QUEUE)
    took = time.perf_counter() - began
    assert resque.size(QUEUE) == count
    print(f"enqueue_many:          {count / took:8.0f} jobs/s ({count} jobs in {took:.2f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--bulk", type=int, default=1_000_000)
    parser.add_argument(
        "--modes", default="no-fork,fork", help="which worker runs: no-fork, fork or both"
    )
    options = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {load()}")
    with RedisServer() as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        resque = Resque(client)
        modes = options.modes.split(",")
        if "no-fork" in modes:
            worker_rate(client, resque, server.url, options.jobs, fork=False)
        if "fork" in modes:
            forked = worker_rate(client, resque, server.url, options.jobs, fork=True)
            ceiling = fork_ceiling()
            print(f"fork per job / bare fork: {forked / ceiling:.2f} ({load()})")
        if options.bulk:
            enqueue_rate(client, resque, options.bulk)


if __name__ == "__main__":
    main()
