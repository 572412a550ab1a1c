"""A deployment's start: K dashboard processes index one failure list at once, nothing saved.

    .venv/bin/python bench/index_start.py [--processes 4] [--failures 100000] [--repeat 3]
        [--baseline DIR]

Starts a private redis-server, writes ``--failures`` records in Resque 3.0's format (the
BIG state's failures: bench/build_state.py), then, per run and per code tree:

- ``read``: one process LRANGEs the whole list, 2,000 at a time, with the dashboard's own
  client (decoding UTF-8), just before and just after the K processes (the mean): the
  unit the ratios are given in;
- ``start``: with no saved index (and no build lease) in Redis, K fresh processes (as
  gunicorn -w K starts them) are released at the same moment and each brings its index
  up to date with ``FailureIndex(...).current(None)``: each one's wall time until ready,
  whether it built the index or loaded another's save, and the CPU all K spent
  (``time.process_time`` in each, every thread included, from the start signal on).

``--baseline DIR`` measures a second copy of the code too (``DIR`` holds its
``resque_web`` package, e.g. ``git archive <commit> resque_web templates static | tar -x
-C DIR``), interleaved with this tree's runs, so before and after see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

READ = r"""
import json, sys, time
from resque_web.connection import connect
from resque_web.keys import Keys

client, keys = connect(sys.argv[1]), Keys("resque")
n = client.llen(keys.failed)
start, cpu = time.perf_counter(), time.process_time()
for first in range(0, n, 2000):
    client.lrange(keys.failed, first, first + 1999)
print(json.dumps({"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}))
"""

START = r"""
import json, sys, time
import redis
from resque_web.connection import connect
from resque_web.keys import Keys
from resque_web.model.failure_index import FailureIndex

client, keys = connect(sys.argv[1]), Keys("resque")
client.ping()  # connected before the start signal, as a worker that booted
loaded = []
load = FailureIndex._load


def spied(self):
    found = load(self)
    loaded.append(found)
    return found


FailureIndex._load = spied
print("ready", flush=True)
sys.stdin.readline()  # every process starts now
start, cpu = time.perf_counter(), time.process_time()
index = FailureIndex(client, keys.failed, None, keys)
index.current(None)
print(json.dumps({
    "wall": time.perf_counter() - start,
    "cpu": time.process_time() - cpu,
    "loaded": any(loaded),
    "n": index.n,
    "hiredis": redis.utils.HIREDIS_AVAILABLE,
}))
"""


def child_env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def read(url: str, tree: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", READ, url],
        env=child_env(tree),
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return json.loads(done.stdout)


def start_together(url: str, tree: Path, processes: int) -> list[dict[str, object]]:
    """K processes, each connected and waiting, released at once; what each reports."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", START, url],
            env=child_env(tree),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=tree,
        )
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        found = []
        for child in children:
            out, _ = child.communicate(timeout=600)
            if child.returncode:
                raise RuntimeError(f"a process failed ({child.returncode})")
            found.append(json.loads(out))
        return found
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--failures", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a directory holding older resque_web")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import redis

    from bench.build_state import build, failures_only, load, machine
    from resque_web.keys import Keys
    from resque_web.redis_server import RedisServer

    scale = failures_only(args.failures)
    trees = [("after", ROOT)] + ([("before", args.baseline.resolve())] if args.baseline else [])
    keys = Keys("resque")
    with RedisServer() as server:
        client = redis.Redis.from_url(server.url)
        built = build(client, scale, quiet=True)
        print(
            f"# {machine()}; "
            f"{args.failures:,} failures built in {built.seconds:.1f}s; "
            f"{args.processes} processes started together; {args.repeat} runs per code"
        )
        rows: list[tuple[str, int, dict[str, float], Report]] = []
        for run in range(1, args.repeat + 1):  # interleaved, so both see the same load
            for label, tree in trees:
                client.delete(
                    keys.failure_index(keys.failed), keys.failure_index_build(keys.failed)
                )
                before = read(server.url, tree)
                found = start_together(server.url, tree, args.processes)
                after = read(server.url, tree)
                unit = {"wall": (before["wall"] + after["wall"]) / 2}
                assert all(f["n"] == args.failures for f in found), found
                rows.append((label, run, unit, found))
        print(f"# {load()} at the end")
    print(EXPLAIN)
    print(
        "| code | run | read ms | ready ms, each process (b = built, l = loaded) "
        "| all ready ms | all ready / read | CPU of all ms | CPU / read | builds |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(_row(*row))
    for label, _ in trees:
        ready = [_slowest(found) / unit["wall"] for code, _, unit, found in rows if code == label]
        cpu = [_cpu(found) / unit["wall"] for code, _, unit, found in rows if code == label]
        print(
            f"{label}: median all ready / read {statistics.median(ready):.2f}, "
            f"CPU of all / read {statistics.median(cpu):.2f}"
        )
    return 0


EXPLAIN = """
read: one process LRANGEs the whole list, 2,000 at a time, with the dashboard's client (the
  mean of one read just before and one just after the K processes);
ready: from the start signal until FailureIndex(...).current(None) returned in that process
  (the builder's includes writing the save); all ready: the slowest of them;
CPU of all: time.process_time() of the K processes from the start signal, summed;
builds: processes that read the list and indexed it themselves (the others loaded a save).
"""


Report = list[dict[str, object]]


def _slowest(found: Report) -> float:
    return max(float(f["wall"]) for f in found)  # type: ignore[arg-type]


def _cpu(found: Report) -> float:
    return sum(float(f["cpu"]) for f in found)  # type: ignore[arg-type]


def _row(label: str, run: int, unit: dict[str, float], found: Report) -> str:
    read, slowest, cpu = unit["wall"], _slowest(found), _cpu(found)
    walls = sorted((float(f["wall"]), "l" if f["loaded"] else "b") for f in found)  # type: ignore[arg-type]
    each = ", ".join(f"{w * 1000:,.0f} {how}" for w, how in walls)
    builds = sum(not f["loaded"] for f in found)
    return (
        f"| {label} | {run} | {read * 1000:,.0f} | {each} | {slowest * 1000:,.0f} "
        f"| {slowest / read:.2f} | {cpu * 1000:,.0f} | {cpu / read:.2f} | {builds} |"
    )


if __name__ == "__main__":
    sys.exit(main())
