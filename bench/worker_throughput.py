"""Worker throughput: trivial jobs through ``resque-web worker --burst``, and bulk enqueue.

    .venv/bin/python bench/worker_throughput.py [--jobs 10000] [--bulk 1000000]
        [--rounds 1] [--baseline /tmp/forkbase]

On a private redis-server: enqueue ``--jobs`` trivial jobs with ``enqueue_many``, run the
worker as ``resque-web worker --burst`` does (``python -m resque_web worker``, a subprocess),
without and with a fork per job, and print jobs/s (wall time of the whole process, and with
the start-up/shut-down cost of an empty run taken off). Then the bare fork rate of this
machine, measured in the same run: a fresh ``python -c`` process that has imported only
redis-py (a plain Python program that talks to Redis) forks a child that calls
``os._exit(0)`` at once and waits for it with ``waitpid``, 300 times: what a fork costs a
plain Python program on this machine, the yardstick. The fork-per-job run sits between two bare
measurements and is compared with their mean, so a change of load during the run shows.

``--baseline DIR`` (repeatable) also runs the fork-per-job worker from another copy of the
package (e.g. ``git archive main resque_web | tar -x -C /tmp/forkbase``), in the same round,
for a before/after in one run. ``--rounds N`` repeats the fork measurements N times.
Then it times ``enqueue_many`` of ``--bulk`` jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis

from resque_web import Resque
from resque_web.redis_server import RedisServer

QUEUE = "bench"
HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
JOB_MODULE = HERE.parent / "noop_job.py"  # the trivial job, in a module that imports little
JOB = "BenchNoop"
BARE_FORKS = 300

# The bare fork, in a process of its own that has imported redis-py and nothing else.
BARE = f"""
import json, os, sys, time
import redis
def anon_kb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0
began = time.perf_counter()
for _ in range({BARE_FORKS}):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
rate = {BARE_FORKS} / (time.perf_counter() - began)
print(json.dumps({{"rate": rate, "modules": len(sys.modules), "anon_kb": anon_kb()}}))
"""


def run_worker(url: str, fork: bool, tree: Path) -> tuple[float, float]:
    """Wall seconds for one burst-mode worker process (the package in ``tree``), start to
    exit, and the CPU seconds it (and its children) used."""
    command = [
        sys.executable,
        "-m",
        "resque_web",
        "worker",
        "--redis",
        url,
        "--queues",
        QUEUE,
        "--burst",
        "--require",
        str(JOB_MODULE),
        "--fork" if fork else "--no-fork",
    ]
    cpu_before = _children_cpu()
    began = time.perf_counter()
    # cwd: `python -m` puts it first on sys.path, so it decides which copy is imported.
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"worker failed ({done.returncode}):\n{done.stderr}")
    return took, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker_rate(
    client: redis.Redis, resque: Resque, url: str, jobs: int, fork: bool, tree: Path, label: str
) -> float:
    client.flushall()
    overhead, _ = run_worker(url, fork, tree)  # an empty queue: start, prune, register, exit
    resque.enqueue_many(JOB, ([i] for i in range(jobs)), queue=QUEUE)
    took, cpu = run_worker(url, fork, tree)
    processed = int(client.get(resque.keys.processed) or 0)
    failed = int(client.get(resque.keys.failed_count) or 0)
    if processed != jobs or failed or resque.size(QUEUE):
        sys.exit(f"expected {jobs} processed, got {processed} ({failed} failed)")
    print(
        f"{label:24s} {jobs / took:7.0f} jobs/s "
        f"({jobs} jobs in {took:.2f}s; {jobs / max(took - overhead, 1e-9):.0f} jobs/s "
        f"without the {overhead:.2f}s start-up and shut-down; "
        f"worker CPU {cpu / jobs * 1e6:.0f} us/job)"
    )
    return jobs / took


def bare_fork_rate() -> float:
    """Forks per second of a fresh Python process with only redis-py imported (see BARE)."""
    done = subprocess.run(
        [sys.executable, "-c", BARE], capture_output=True, text=True, check=True, cwd="/"
    )
    found = json.loads(done.stdout)
    print(
        f"{'bare fork+exit+wait':24s} {found['rate']:7.0f} /s "
        f"(python -c 'import redis' + {BARE_FORKS} x fork, os._exit(0), waitpid: "
        f"{found['modules']} modules, {found['anon_kb'] / 1024:.1f} MB anonymous memory)"
    )
    return float(found["rate"])


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def enqueue_rate(client: redis.Redis, resque: Resque, count: int) -> None:
    client.flushall()
    began = time.perf_counter()
    resque.enqueue_many(JOB, ([i] for i in range(count)), queue=QUEUE)
    took = time.perf_counter() - began
    assert resque.size(QUEUE) == count
    print(f"{'enqueue_many':24s} {count / took:7.0f} jobs/s ({count} jobs in {took:.2f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--bulk", type=int, default=1_000_000)
    parser.add_argument(
        "--modes", default="no-fork,fork", help="which worker runs: no-fork, fork or both"
    )
    parser.add_argument("--rounds", type=int, default=1, help="fork measurements to repeat")
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="a directory holding another resque_web to compare (repeatable)",
    )
    options = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {load()}")
    with RedisServer() as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        resque = Resque(client)
        modes = options.modes.split(",")
        if "no-fork" in modes:
            worker_rate(client, resque, server.url, options.jobs, False, ROOT, "worker, no fork")
        ratios: dict[str, list[float]] = {}
        for _ in range(options.rounds if "fork" in modes else 0):
            before = bare_fork_rate()
            rates = {}
            for number, tree in enumerate(options.baseline):
                name = "baseline" if number == 0 else f"baseline{number + 1}"
                rates[name] = worker_rate(
                    client, resque, server.url, options.jobs, True, tree,
                    f"{name}, fork per job",
                )  # fmt: skip
            rates["this"] = worker_rate(
                client, resque, server.url, options.jobs, True, ROOT, "worker, fork per job"
            )
            bare = (before + bare_fork_rate()) / 2
            for name, rate in rates.items():
                ratios.setdefault(name, []).append(rate / bare)
            shown = ", ".join(f"{name} {rate / bare:.2f}" for name, rate in rates.items())
            print(f"fork per job / bare fork: {shown} ({load()})")
        if options.rounds > 1:
            for name, values in ratios.items():
                listed = " ".join(f"{v:.2f}" for v in values)
                print(f"{name}: median ratio {statistics.median(values):.2f} ({listed})")
        if options.bulk:
            enqueue_rate(client, resque, options.bulk)


if __name__ == "__main__":
    main()
