"""The failure index's cold start against the time redis-py needs just to read the list.

    .venv/bin/python bench/cold_index.py [--failures 100000] [--repeat 3] [--baseline DIR]

Starts a private redis-server, writes ``--failures`` records in Resque 3.0's format (the
BIG state's failures: bench/build_state.py), then, in fresh child processes, one after the
other so they share the machine's load alike:

- ``read``: LRANGE the whole list, 2,000 at a time, with the dashboard's own client
  (decoding UTF-8): the floor any index that reads the records stands on;
- ``cold build``: a process's first index of the list with nothing saved (what the first
  dashboard process after a deployment pays, in a background thread);
- ``saved index``: a process's first index when another process saved one (every other
  gunicorn worker, and every restart within a week).

Each child runs with and without hiredis (``sys.modules["hiredis"] = None`` before redis-py
is imported). ``--baseline DIR`` measures a second copy of the code too (``DIR`` holds its
``resque_web`` package, e.g. ``git archive <commit> resque_web | tar -x -C DIR``), in the
same run, so before and after see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
if sys.argv[2] == "no":
    sys.modules["hiredis"] = None
import redis
from resque_web.connection import connect
from resque_web.keys import Keys
from resque_web.model.failure_index import FailureIndex

url, keys = sys.argv[1], Keys("resque")


def catch_up(index):  # older code (a --baseline) spells it refresh()
    return index.current(None) if hasattr(index, "current") else index.refresh()


client = connect(url)
n = client.llen(keys.failed)
out = {"hiredis": redis.utils.HIREDIS_AVAILABLE}
start = time.perf_counter()
for first in range(0, n, 2000):
    client.lrange(keys.failed, first, first + 1999)
out["read"] = time.perf_counter() - start
saved = keys.web("failure-index:failed")
client.delete(saved)
start = time.perf_counter()
catch_up(FailureIndex(client, keys.failed, None, keys))
out["cold build"] = time.perf_counter() - start
if client.exists(saved):
    start = time.perf_counter()
    index = FailureIndex(client, keys.failed, None, keys)
    catch_up(index)
    out["saved index"] = time.perf_counter() - start
    out["rebuilds"] = index.rebuilds
    # What following the change log buys: a removal made by a dashboard (logged) against
    # the same removal made by another tool (not logged: the index rebuilds).
    from resque_web.failure import FailureList, digest
    middle = n // 2
    listed = FailureList(client, keys, keys.failed)
    listed.remove(middle, digest(client.lindex(keys.failed, middle)))
    start = time.perf_counter()
    catch_up(index)
    out["logged removal"] = time.perf_counter() - start
    client.lset(keys.failed, middle, "tombstone")
    client.lrem(keys.failed, 1, "tombstone")
    start = time.perf_counter()
    catch_up(index)
    out["unlogged removal"] = time.perf_counter() - start
    out["rebuilds"] = index.rebuilds
print(json.dumps(out))
"""


def measure(url: str, tree: Path, hiredis: bool) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, "yes" if hiredis else "no"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a directory holding older resque_web")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import redis

    from bench.build_state import BIG, build
    from resque_web.redis_server import RedisServer

    scale = replace(BIG, default_jobs=10, queues=10, workers=10, busy=1, hosts=1)
    scale = replace(scale, failures=args.failures, mq_queues=1, mq_failures_per_queue=10)
    trees = [("after", ROOT)] + ([("before", args.baseline.resolve())] if args.baseline else [])
    with RedisServer() as server:
        built = build(redis.Redis.from_url(server.url), scale, quiet=True)
        print(
            f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
            f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
            f"{args.failures:,} failures built in {built.seconds:.1f}s; median of {args.repeat}"
        )
        runs: dict[tuple[str, bool], list[dict[str, float]]] = {}
        for _ in range(args.repeat):
            for label, tree in trees:
                for hiredis in (False, True):
                    runs.setdefault((label, hiredis), []).append(measure(server.url, tree, hiredis))
    print(
        "| code | hiredis | read ms | cold build ms | build/read | saved index ms | saved/read "
        "| logged removal ms | unlogged removal (rebuild) ms |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (label, _asked), found in runs.items():
        read = statistics.median(r["read"] for r in found)
        cold = statistics.median(r["cold build"] for r in found)
        saved = [r["saved index"] for r in found if "saved index" in r]
        shared = statistics.median(saved) if saved else None
        follow = [
            (r["logged removal"], r["unlogged removal"]) for r in found if "logged removal" in r
        ]
        logged = statistics.median(f[0] for f in follow) if follow else None
        unlogged = statistics.median(f[1] for f in follow) if follow else None
        print(
            f"| {label} | {'yes' if found[0]['hiredis'] else 'no'} | {read * 1000:,.0f} "
            f"| {cold * 1000:,.0f} "
            f"| {cold / read:.2f} | "
            + (f"{shared * 1000:,.0f} | {shared / read:.2f} |" if shared else "- | - |")
            + (f" {logged * 1000:,.1f} | {unlogged * 1000:,.0f} |" if follow else " - | - |")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
