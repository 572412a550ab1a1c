"""The failure index's cold start against the time redis-py needs just to read the list.

    .venv/bin/python bench/cold_index.py [--failures 100000] [--repeat 3] [--baseline DIR]

Starts a private redis-server, writes ``--failures`` records in Resque 3.0's format (the
BIG state's failures: bench/build_state.py), then, in fresh child processes, one after the
other so they share the machine's load alike:

- ``read``: LRANGE the whole list, 2,000 at a time, with the dashboard's own client
  (decoding UTF-8): the floor any index that reads the records stands on (``read raw``:
  the same without decoding), measured just before and just after the cold build in the
  same process, so the ratio of the two sees one machine load;
- ``ready``: a process's first index of the list with nothing saved (what the first
  dashboard process after a deployment pays, in a background thread), until a page that
  waits for it gets its answer; ``saved``: until the snapshot is written too;
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
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, statistics, sys, time
if sys.argv[2] == "no":
    sys.modules["hiredis"] = None
import redis
from resque_web.connection import connect
from resque_web.keys import Keys
from resque_web.model.failure_index import FailureIndex

url, keys = sys.argv[1], Keys("resque")


def catch_up(index, wait=None):  # older code (a --baseline) spells it refresh()
    if hasattr(index, "current"):
        return index.current(wait)
    return index.refresh()


def read(client):
    start = time.perf_counter()
    for first in range(0, n, 2000):
        client.lrange(keys.failed, first, first + 1999)
    return time.perf_counter() - start


client = connect(url)
raw = redis.Redis.from_url(url)  # no decoding: the bytes as stored
n = client.llen(keys.failed)
out = {"hiredis": redis.utils.HIREDIS_AVAILABLE}
saved = keys.web("failure-index:failed")
client.delete(saved)
reads, raw_reads = [read(client)], [read(raw)]
# A process's first index, nothing saved: "ready" when a page waiting for it gets its
# answer (a page waits with a budget: current(wait) returns once the index answers),
# "saved" once the snapshot for the other processes is written too.
index = FailureIndex(client, keys.failed, None, keys)
start = time.perf_counter()
cpu = time.process_time()
catch_up(index, 600.0)
out["ready"] = time.perf_counter() - start
out["ready cpu"] = time.process_time() - cpu
catch_up(index)  # waits for the lock, which the save holds
out["saved"] = time.perf_counter() - start
reads.append(read(client))
raw_reads.append(read(raw))
out["read"] = statistics.mean(reads)
out["read raw"] = statistics.mean(raw_reads)
if client.exists(saved):
    start = time.perf_counter()
    index = FailureIndex(client, keys.failed, None, keys)
    catch_up(index)
    out["saved index"] = time.perf_counter() - start
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
    # The same among the newest failures (what people remove first): the newer code keeps
    # the prefix up to its last intact checkpoint and reads only what follows.
    client.lset(keys.failed, -100, "tombstone")
    client.lrem(keys.failed, 1, "tombstone")
    start = time.perf_counter()
    catch_up(index)
    out["unlogged newest removal"] = time.perf_counter() - start
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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="a directory holding older resque_web")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import redis

    from bench.build_state import build, failures_only, load, machine
    from resque_web.redis_server import RedisServer

    scale = failures_only(args.failures)
    trees = [("after", ROOT)] + ([("before", args.baseline.resolve())] if args.baseline else [])
    with RedisServer() as server:
        built = build(redis.Redis.from_url(server.url), scale, quiet=True)
        print(
            f"# {machine()}; "
            f"{args.failures:,} failures built in {built.seconds:.1f}s; {args.repeat} runs per row"
        )
        runs: dict[tuple[str, bool], list[dict[str, float]]] = {}
        for _ in range(args.repeat):  # rows interleaved, so each sees the same load
            for label, tree in trees:
                for hiredis in (False, True):
                    runs.setdefault((label, hiredis), []).append(measure(server.url, tree, hiredis))
        print(f"# {load()} at the end")
    print(EXPLAIN)
    print(
        "| code | hiredis | read ms | read raw ms | ready ms | ready/read median (min) "
        "| ready/read raw | ready CPU ms | saved ms | saved/read | saved index ms "
        "| logged removal ms | unlogged removal in the middle ms | unlogged removal near "
        "the end ms |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (label, _asked), found in runs.items():
        print(_row(label, found))
    return 0


EXPLAIN = """
read: LRANGE of the whole list, 2,000 at a time, with the dashboard's client (decoding UTF-8),
  the mean of one read just before and one just after the cold build, in the same process;
read raw: the same with redis-py not decoding (bytes);
ready: a process's first index with nothing saved, until a page waiting for it gets its answer
  (FailureIndex.current(wait)): every record read and indexed; with the older code this includes
  saving the snapshot, which the newer code does after answering;
saved: until the snapshot other processes load is written too;
unlogged removal: one failure removed as Ruby's resque-web does (LSET a tombstone, LREM),
  in the middle of the list, then 100 from its end: the next catch-up of a process's index;
ratios: per run (a read and a build in one process), median over runs and the smallest.
"""


def _row(label: str, found: list[dict[str, float]]) -> str:
    def median(name: str) -> float | None:
        values = [r[name] for r in found if name in r]
        return statistics.median(values) if values else None

    ratios = [r["ready"] / r["read"] for r in found]
    raw_ratios = [r["ready"] / r["read raw"] for r in found]
    read, ready, saved = median("read"), median("ready"), median("saved")
    shared, logged, unlogged, newest = (
        median("saved index"),
        median("logged removal"),
        median("unlogged removal"),
        median("unlogged newest removal"),
    )
    assert read is not None and ready is not None and saved is not None

    def ms(value: float | None, digits: int = 0) -> str:
        return "-" if value is None else f"{value * 1000:,.{digits}f}"

    return (
        f"| {label} | {'yes' if found[0]['hiredis'] else 'no'} | {ms(read)} "
        f"| {ms(median('read raw'))} | {ms(ready)} "
        f"| {statistics.median(ratios):.2f} ({min(ratios):.2f}) "
        f"| {statistics.median(raw_ratios):.2f} | {ms(median('ready cpu'))} | {ms(saved)} "
        f"| {saved / read:.2f} | {ms(shared)} | {ms(logged, 1)} | {ms(unlogged)} "
        f"| {ms(newest, 1)} |"
    )


if __name__ == "__main__":
    sys.exit(main())
