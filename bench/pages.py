"""Time every dashboard page and JSON endpoint on a SMALL and a BIG Resque state.

The scale issue asks which pages get slower as Redis grows. A page whose Redis work is
bounded (a page of 20 rows, a pipeline of counters) should cost about the same at 1,000 and
at 1,000,000 jobs; a ratio big/small well above 1 means the page reads something that grows
with the state. For each URL we report median and p95 latency, Redis round trips and
commands per request (client side), and Redis server time per request by command
(``INFO commandstats``), so a slow row names the work that grows.

    .venv/bin/python bench/pages.py [--repeat 20] [--budget 30] [--markdown]

Everything runs in-process through Flask's test client against two private redis-servers
on loopback; the states are built in a child process so this process's RSS is the
dashboard's own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redis
import redis.utils
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # The repo root, for `bench.build_state` and the round-trip counter in tests/support.
    sys.path.insert(0, str(ROOT))

from bench.build_state import BIG, SMALL, Built, Scale, append_failures, build  # noqa: E402
from resque_web import payload as jsonp  # noqa: E402
from resque_web import times  # noqa: E402
from resque_web.failure import FailureList, digest  # noqa: E402
from resque_web.keys import Keys  # noqa: E402
from resque_web.model import Dashboard, FailureFilter  # noqa: E402
from resque_web.redis_server import RedisServer  # noqa: E402
from resque_web.web import create_app  # noqa: E402
from tests.support.roundtrips import count_redis  # noqa: E402

FLAG_RATIO = 2.0
QUEUE_PER_PAGE = 20
FAILED_PER_PAGE = 20  # the dashboard's default page size
KEY_PER_PAGE = 50  # the key browser's fixed page size


@dataclass(frozen=True)
class Target:
    """One row of the table: a label, and the URL to request on a given state."""

    label: str
    url: Callable[[Built], str]
    mq: bool = False  # request it from the multi-queue namespace's dashboard


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _middle(total: int, per_page: int) -> int:
    return max(1, _pages(total, per_page) // 2)


def _path(text: str) -> str:
    """A worker id, class or queue name inside a URL (unicode and ``*`` included)."""
    return quote(text, safe=":,")


TARGETS: list[Target] = [
    Target("/overview", lambda b: "/overview"),
    Target("/working", lambda b: "/working"),
    Target("/working/<busy id>", lambda b: f"/working/{_path(b.busy_workers[0])}"),
    Target("/workers", lambda b: "/workers"),
    Target("/workers/all", lambda b: "/workers/all"),
    Target("/workers/<id>", lambda b: f"/workers/{_path(b.busy_workers[0])}"),
    Target("/workers/<host>", lambda b: f"/workers/{_path(b.busy_workers[0].split(':')[0])}"),
    Target("/queues", lambda b: "/queues"),
    Target("/queues/default?page=1", lambda b: "/queues/default?page=1"),
    Target(
        "/queues/default middle page",
        lambda b: (
            f"/queues/default?page={_middle(b.scale.default_jobs, QUEUE_PER_PAGE)}"
            f"&per_page={QUEUE_PER_PAGE}"
        ),
    ),
    Target(
        "/queues/default last page",
        lambda b: (
            f"/queues/default?page={_pages(b.scale.default_jobs, QUEUE_PER_PAGE)}"
            f"&per_page={QUEUE_PER_PAGE}"
        ),
    ),
    Target("/queues/default?order=newest", lambda b: "/queues/default?order=newest"),
    Target("/failed (page 1)", lambda b: "/failed"),
    Target(
        "/failed middle page",
        lambda b: f"/failed?page={_middle(b.scale.failures, FAILED_PER_PAGE)}",
    ),
    Target(
        "/failed last page",
        lambda b: f"/failed?page={_pages(b.scale.failures, FAILED_PER_PAGE)}",
    ),
    Target("/failed?class=<class>", lambda b: f"/failed?class={_path(b.common_class)}"),
    Target("/failed?exception=<exc>", lambda b: f"/failed?exception={_path(b.common_exception)}"),
    Target("/failed (resque_mq)", lambda b: "/failed", mq=True),
    Target(
        "/failed/<queue> (resque_mq)",
        lambda b: f"/failed/{_path(b.mq_failed_queues[0])}",
        mq=True,
    ),
    Target("/stats/resque", lambda b: "/stats/resque"),
    Target("/stats/redis", lambda b: "/stats/redis"),
    Target("/stats/keys", lambda b: "/stats/keys"),
    Target(
        "/stats/keys/queue:default middle",
        lambda b: f"/stats/keys/queue:default?page={_middle(b.scale.default_jobs, KEY_PER_PAGE)}",
    ),
    Target("/stats.txt", lambda b: "/stats.txt"),
    Target("/api/v1/stats", lambda b: "/api/v1/stats"),
    Target("/api/v1/queues", lambda b: "/api/v1/queues"),
    Target("/api/v1/queues/default", lambda b: "/api/v1/queues/default"),
    Target("/api/v1/workers", lambda b: "/api/v1/workers"),
    Target("/api/v1/failed", lambda b: "/api/v1/failed"),
    # The same pages showing as many rows on both states (SMALL has 10 workers, 2 busy, 5
    # per host, 10 queues): what the state's size alone costs, rendering aside.
    Target("/workers/all?per_page=10 (same rows)", lambda b: "/workers/all?per_page=10"),
    Target("/working?per_page=2 (same rows)", lambda b: "/working?per_page=2"),
    Target(
        "/workers/<host>?per_page=5 (same rows)",
        lambda b: f"/workers/{_path(b.busy_workers[0].split(':')[0])}?per_page=5",
    ),
    Target("/queues?per_page=10 (same rows)", lambda b: "/queues?per_page=10"),
    Target("/api/v1/workers?per_page=10 (same rows)", lambda b: "/api/v1/workers?per_page=10"),
    Target("/api/v1/queues?per_page=10 (same rows)", lambda b: "/api/v1/queues?per_page=10"),
]


@dataclass
class Measurement:
    """One URL on one state."""

    url: str
    status: int
    times_ms: list[float]
    round_trips: int
    commands: int
    bytes_out: int
    server_us: float  # Redis server time per request (commandstats)
    server_top: list[tuple[str, float]] = field(default_factory=list)  # (command, µs/request)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        if len(self.times_ms) < 2:
            return self.times_ms[0]
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[-1]


# Building the states in a child process ---------------------------------------------------
def _build_child(url: str, scale: Scale, conn: multiprocessing.connection.Connection) -> None:
    client = redis.Redis.from_url(url)
    client.flushdb()
    conn.send(build(client, scale))
    conn.close()


def build_elsewhere(url: str, scale: Scale) -> Built:
    """Build in a forked child: the generator's garbage never inflates this process's RSS."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_build_child, args=(url, scale, send))
    child.start()
    send.close()
    built: Built = receive.recv()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building {scale.name} failed (exit code {child.exitcode})")
    return built


# Measuring -------------------------------------------------------------------------------
def _commandstats(client: redis.Redis) -> dict[str, tuple[int, int]]:
    """{command: (calls, usec)} since the last CONFIG RESETSTAT."""
    out = {}
    for name, stats in client.info("commandstats").items():
        command = name.removeprefix("cmdstat_")
        out[command] = (int(stats["calls"]), int(stats["usec"]))
    return out


def measure(app: Flask, admin: redis.Redis, url: str, repeat: int, budget: float) -> Measurement:
    """Warm up (until the failure index has caught up: the first views are timed apart, in
    :func:`print_failure_index`), count Redis work on one request, then time up to
    ``repeat`` requests (at least 3, at most ``budget`` seconds) with server-side command
    stats."""
    client = app.test_client()
    response = client.get(url)
    while b"data-counting" in response.data:
        time.sleep(0.1)
        response = client.get(url)
    status = response.status_code
    with count_redis() as tally:
        response = client.get(url)
    bytes_out = len(response.get_data())
    admin.config_resetstat()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat and (len(times) < 3 or time.perf_counter() - started < budget):
        t0 = time.perf_counter()
        client.get(url).get_data()
        times.append((time.perf_counter() - t0) * 1000)
    stats = _commandstats(admin)
    stats.pop("info", None)
    stats.pop("config|resetstat", None)
    usec = {cmd: us / len(times) for cmd, (_, us) in stats.items()}
    top = sorted(usec.items(), key=lambda kv: -kv[1])[:3]
    return Measurement(
        url,
        status,
        times,
        tally.round_trips,
        len(tally.commands),
        bytes_out,
        sum(usec.values()),
        top,
    )


def vm_rss_mb() -> tuple[float, float]:
    """(current VmRSS, peak VmHWM) of this process in MiB."""
    found: dict[str, float] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) / 1024
    if not found:  # not Linux: the peak is all we get
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak
    return found["VmRSS"], found["VmHWM"]


@dataclass
class State:
    label: str
    server: RedisServer
    built: Built
    apps: dict[bool, Flask]  # mq? -> app
    admin: redis.Redis


def open_state(server: RedisServer, scale: Scale) -> State:
    t0 = time.perf_counter()
    built = build_elsewhere(server.url, scale)
    print(f"# built {scale.name} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    apps = {
        mq: create_app(
            {
                "REDIS_URL": server.url,
                "RESQUE_NAMESPACE": built.mq_namespace if mq else built.namespace,
                "TESTING": True,
            }
        )
        for mq in (False, True)
    }
    for app in apps.values():
        # Each app's first request starts indexing its failures in the background: let
        # that finish, so no row below is timed against it (print_failure_index times it).
        client = app.test_client()
        while b"data-counting" in client.get("/failed").data:
            time.sleep(0.1)
    return State(scale.name, server, built, apps, redis.Redis.from_url(server.url))


def run(
    states: dict[str, State], repeat: int, budget: float, only: str | None
) -> Iterator[tuple[Target, dict[str, Measurement]]]:
    for target in TARGETS:
        if only and only not in target.label:
            continue
        row: dict[str, Measurement] = {}
        for name, state in states.items():
            url = target.url(state.built)
            row[name] = measure(state.apps[target.mq], state.admin, url, repeat, budget)
        yield target, row


# The data layer alone ---------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """A data-layer call a page makes; timing it alone splits Redis+decoding from rendering."""

    label: str
    run: Callable[[Dashboard, Built], Any]


CALLS: list[Call] = [
    Call("queues.all()", lambda d, b: d.queues.all()),
    Call(
        "queues.page(default, middle)",
        lambda d, b: d.queues.page("default", _middle(b.scale.default_jobs, QUEUE_PER_PAGE)),
    ),
    Call("workers.ids()", lambda d, b: d.workers.ids()),
    Call("workers.hosts()", lambda d, b: d.workers.hosts()),
    Call("workers.all()", lambda d, b: d.workers.all()),
    Call("workers.working()", lambda d, b: d.workers.working()),
    Call("stats.resque()", lambda d, b: d.stats.resque()),
    Call("failures.lists()", lambda d, b: d.failures.lists()),
    Call("failures.facets() (warm index)", lambda d, b: d.failures.facets()),
    Call("failures.page(1)", lambda d, b: d.failures.page(None, 1)),
    Call(
        "failures.page(class=...)",
        lambda d, b: d.failures.page(None, 1, filter=FailureFilter(job_class=b.common_class)),
    ),
    Call("keyspace.scan(0, 50)", lambda d, b: d.keyspace.scan(0, 50)),
]


def time_call(call: Call, dash: Dashboard, built: Built, repeat: int) -> tuple[float, int, int]:
    """(median ms, round trips, commands) of one data-layer call."""
    call.run(dash, built)
    with count_redis() as tally:
        call.run(dash, built)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call.run(dash, built)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), tally.round_trips, len(tally.commands)


# The failure index: first views, and views after the list changes --------------------------
_COLD = """
import json, sys, time
from resque_web.web import create_app
url, namespace, path, filtered = sys.argv[1:5]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
client = create_app({"REDIS_URL": url, "RESQUE_NAMESPACE": namespace}).test_client()
client.get("/failed/nowhere")  # templates, pool; starts indexing `failed` in the background
client.get("/failed/groups?exception=nothing")  # the failure templates, compiled
start = time.perf_counter()
before = rss()
def timed(path):
    t0 = time.perf_counter()
    response = client.get(path)
    return (time.perf_counter() - t0) * 1000, b"data-counting" in response.data
first, first_counting = timed(path)
filtered_ms, filtered_counting = timed(filtered)
while timed(path)[1]:
    time.sleep(0.05)
ready = (time.perf_counter() - start) * 1000
second, _ = timed(path)
print(json.dumps({"first": first, "first_counting": first_counting, "filtered": filtered_ms,
                  "filtered_counting": filtered_counting, "ready": ready, "second": second,
                  "rss_before": before, "rss_after": rss()}))
"""


def cold_view(url: str, namespace: str, path: str, filtered: str) -> dict[str, Any]:
    """A fresh process (a new gunicorn worker, a restart) opening ``path`` and ``filtered``
    while its failure index is built, then ``path`` again once it is."""
    done = subprocess.run(
        [sys.executable, "-c", _COLD, url, namespace, path, filtered],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _time_once(app: Flask, path: str) -> float:
    client = app.test_client()
    t0 = time.perf_counter()
    client.get(path).get_data()
    return (time.perf_counter() - t0) * 1000


def _middle_failure(state: State) -> tuple[str, int, str]:
    key = Keys(state.built.namespace).failed
    index = int(state.admin.llen(key)) // 2
    return key, index, state.admin.lindex(key, index).decode()


def _append(state: State) -> None:
    append_failures(state.admin, state.built, 100)


def _retry_in_place(state: State) -> None:
    # Resque::Failure::Redis.requeue: the record re-encoded with retried_at set, LSET back.
    key, index, raw = _middle_failure(state)
    record = json.loads(raw)
    record["retried_at"] = times.failed_at()
    state.admin.lset(key, index, jsonp.encode(record))


def _remove_middle(state: State) -> None:
    # Resque::Failure::Redis.remove: LSET a sentinel over the record, then LREM it.
    key, index, _ = _middle_failure(state)
    state.admin.lset(key, index, "")
    state.admin.lrem(key, 1, "")


def _dashboard_remove(state: State) -> None:
    # Our own remove: logged, so every process's index drops the position instead of rebuilding.
    key, index, raw = _middle_failure(state)
    failures = FailureList(state.admin, Keys(state.built.namespace), key)
    assert failures.remove(index, digest(raw)).ok


SCENARIOS: list[tuple[str, Callable[[State], None]]] = [
    ("/failed after 100 new failures (RPUSH)", _append),
    ("/failed after a retry rewrote one (LSET)", _retry_in_place),
    ("/failed after the dashboard removed one (logged)", _dashboard_remove),
    ("/failed after one was removed (LSET+LREM)", _remove_middle),
]


# Printing --------------------------------------------------------------------------------
HEADER = (
    "| page | small med / p95 ms | big med / p95 ms | big/small | round trips s/b "
    "| commands s/b | big Redis µs/req (top commands) | |"
)
RULE = "|---|---:|---:|---:|---:|---:|---|---|"


def table_row(target: Target, row: dict[str, Measurement]) -> str:
    small, big = row["small"], row["big"]
    ratio = big.median / small.median if small.median else float("inf")
    flags = []
    if ratio > FLAG_RATIO:
        flags.append(f"**> {FLAG_RATIO:g}x**")
    if big.round_trips != small.round_trips:
        flags.append("round trips grow")
    for m, name in ((small, "small"), (big, "big")):
        if m.status != 200:
            flags.append(f"HTTP {m.status} on {name}")
    top = ", ".join(f"{cmd} {us:,.0f}" for cmd, us in big.server_top if us >= 1)
    return (
        f"| {target.label} | {small.median:.1f} / {small.p95:.1f} | {big.median:.1f} / "
        f"{big.p95:.1f} | {ratio:.1f} | {small.round_trips} / {big.round_trips} | "
        f"{small.commands} / {big.commands} | {big.server_us:,.0f} ({top}) | {' '.join(flags)} |"
    )


def machine() -> str:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{pages / 2**30:.1f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


def _ratio(big: float, small: float) -> str:
    return f"{big / small:.1f}" if small else "-"


def print_pages(
    states: dict[str, State], repeat: int, budget: float, only: str | None
) -> list[tuple[Target, dict[str, Measurement]]]:
    print(HEADER)
    print(RULE, flush=True)
    rows = []
    for target, row in run(states, repeat, budget, only):
        rows.append((target, row))
        print(table_row(target, row), flush=True)
    return rows


def print_data_layer(states: dict[str, State], repeat: int, only: str | None) -> None:
    print("Data layer alone (median ms; what a page spends beyond this is rendering):")
    print()
    print("| call | small ms | big ms | big/small | round trips s/b | commands s/b |")
    print("|---|---:|---:|---:|---:|---:|")
    # The apps' own clients: a process keeps one failure index per connection pool, and
    # these calls should find the one the pages above already built.
    dashboards = {
        name: Dashboard(st.apps[False].blueprints["resque_web"].resque)  # type: ignore[attr-defined]
        for name, st in states.items()
    }
    for call in CALLS:
        if only and only not in call.label:
            continue
        small = time_call(call, dashboards["small"], states["small"].built, repeat)
        big = time_call(call, dashboards["big"], states["big"].built, repeat)
        print(
            f"| {call.label} | {small[0]:.2f} | {big[0]:.2f} | {_ratio(big[0], small[0])} | "
            f"{small[1]} / {big[1]} | {small[2]} / {big[2]} |",
            flush=True,
        )


def _index_row(label: str, small: float, big: float) -> None:
    print(f"| {label} | {small:.1f} | {big:.1f} | {_ratio(big, small)} |", flush=True)


def print_failure_index(states: dict[str, State], tries: int = 3) -> None:
    """First views (fresh process: the index is built) and views after the list changed,
    median of ``tries`` each. Changes the states: run it last."""
    print(
        "Failure index: the first request after a process start or a change "
        f"(ms, median of {tries}):"
    )
    print()
    print("| view | small ms | big ms | big/small |")
    print("|---|---:|---:|---:|")
    for label, mq in (("/failed", False), ("/failed/<queue> (resque_mq)", True)):
        runs: dict[str, list[dict[str, Any]]] = {}
        for name, st in states.items():
            b = st.built
            path = f"/failed/{_path(b.mq_failed_queues[0])}" if mq else "/failed"
            filtered = f"{path}?class={_path(b.common_class)}"
            namespace = b.mq_namespace if mq else b.namespace
            runs[name] = [cold_view(st.server.url, namespace, path, filtered) for _ in range(tries)]

        every = [r for rs in runs.values() for r in rs]
        for key, text in (
            ("first", "fresh process: first request"),
            ("filtered", "fresh process: first ?class= request"),
            ("ready", "fresh process: counts ready after"),
            ("second", "fresh process: request with the counts"),
        ):
            small = statistics.median(float(r[key]) for r in runs["small"])
            big = statistics.median(float(r[key]) for r in runs["big"])
            flag = f"{key}_counting"
            if flag in every[0]:
                text += f" (counting in {sum(bool(r[flag]) for r in every)} of {len(every)})"
            _index_row(f"{label}, {text}", small, big)
        grown = {
            n: statistics.median(r["rss_after"] - r["rss_before"] for r in runs[n]) for n in runs
        }
        print(
            f"| {label}, fresh process: RSS growth (MiB) | {grown['small']:.1f} | "
            f"{grown['big']:.1f} | |"
        )
    for label, change in SCENARIOS:
        after: dict[str, list[float]] = {}
        following: dict[str, list[float]] = {}
        for name, st in states.items():
            app = st.apps[False]
            for _ in range(tries):
                _time_once(app, "/failed")  # the index is current before the change
                change(st)
                after.setdefault(name, []).append(_time_once(app, "/failed"))
                following.setdefault(name, []).append(_time_once(app, "/failed"))
        _index_row(label, statistics.median(after["small"]), statistics.median(after["big"]))
        _index_row(
            f"{label}: next request",
            statistics.median(following["small"]),
            statistics.median(following["big"]),
        )


def revision() -> str:
    """The code measured: others change the web layer while benchmarks run, so say which."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "resque_web", "templates").splitlines()
    hiredis = "with hiredis" if redis.utils.HIREDIS_AVAILABLE else "without hiredis"
    return (
        f"git {git('rev-parse', '--short', 'HEAD') or '?'}"
        f"{f' + {len(dirty)} uncommitted files in resque_web/, templates/' if dirty else ''}, "
        f"redis-py {redis.__version__} {hiredis}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per URL")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds per URL before fewer repeats"
    )
    parser.add_argument("--only", help="only the rows whose label contains this")
    args = parser.parse_args(argv)

    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')} on {machine()}")
    print(f"# code: {revision()}")
    with RedisServer() as small_server, RedisServer() as big_server:
        rss_start, _ = vm_rss_mb()
        states = {"small": open_state(small_server, SMALL), "big": open_state(big_server, BIG)}
        for state in states.values():
            info = state.admin.info("memory")
            print(
                f"# {state.label}: {state.admin.dbsize():,} keys, "
                f"Redis used_memory {info['used_memory_human']}, "
                f"built in {state.built.seconds:.1f}s"
            )
        print(
            f"# flagged: median big/small > {FLAG_RATIO:g}; in-process (Flask test client), "
            f"{args.repeat} requests per URL after one warm-up (at most {args.budget:g}s per "
            "URL); Redis µs/req from INFO commandstats"
        )
        print()
        rows = print_pages(states, args.repeat, args.budget, args.only)
        rss, peak = vm_rss_mb()
        print()
        print(
            f"# dashboard process RSS: {rss_start:.0f} MiB before, {rss:.0f} MiB after paging "
            f"through both states (peak {peak:.0f} MiB)"
        )
        slow = [t.label for t, r in rows if r["big"].median > FLAG_RATIO * r["small"].median]
        print(f"# ratio > {FLAG_RATIO:g}: {', '.join(slow) or 'none'}")
        sizes = ", ".join(
            f"{t.label} {r['big'].bytes_out / 1024:,.0f} KiB"
            for t, r in rows
            if r["big"].bytes_out > 200_000
        )
        if sizes:
            print(f"# big responses over 200 KB: {sizes}")
        print()
        print_data_layer(states, args.repeat, args.only)
        print()
        if not args.only or "failed" in args.only:
            print_failure_index(states)
    return 0


if __name__ == "__main__":
    sys.exit(main())
