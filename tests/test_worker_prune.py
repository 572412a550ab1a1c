"""Pruning dead workers by Resque 3.0's rules: stale heartbeats anywhere, dead pids on this
host (only for our queues, or any with ``*``), under the ``pruning_dead_workers_in_progress``
lock."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from resque_web import Resque, times
from resque_web.keys import Keys
from resque_web.worker import QueueSpec, Registration, is_worker_process, prune_dead_workers
from resque_web.worker.failures import FailureRecorder
from tests.support.worker import HOST, RunningWorker, run_burst, wait_until

K = Keys()
LOG = logging.getLogger("tests.prune")
ARCHIVE = {"class": "Archive", "args": [1000, "tar"]}


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture
def lookalikes() -> Iterator[dict[str, int]]:
    """Live processes whose command lines read as a Ruby worker and as ours, and one that is
    no worker at all."""
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    procs = {
        "ruby": subprocess.Popen([*sleeper, "resque-3.0.0: Waiting for critical"]),
        "python": subprocess.Popen([*sleeper, "resque-web", "worker"]),
        "other": subprocess.Popen([*sleeper, "something-else"]),
    }
    wait_until(lambda: all(is_worker_process(str(procs[k].pid)) for k in ("ruby", "python")))
    yield {name: proc.pid for name, proc in procs.items()}
    for proc in procs.values():
        proc.kill()
        proc.wait()


def fake_worker(
    r: redis.Redis, wid: str, beat_age: float | None = None, job: dict[str, Any] | None = None
) -> None:
    """Registered as Ruby registers, with counters; a heartbeat ``beat_age`` s old by Redis'
    clock (none if None); holding ``job`` if given."""
    r.sadd(K.workers, wid)
    r.set(K.worker_started(wid), times.started())
    r.set(K.worker_stat("processed", wid), 5)
    r.set(K.worker_stat("failed", wid), 1)
    if beat_age is not None:
        r.hset(K.heartbeats, wid, times.heartbeat(int(r.time()[0]) - beat_age))
    if job is not None:
        value = {"queue": "critical", "run_at": times.run_at(), "payload": job}
        r.set(K.worker(wid), json.dumps(value, separators=(",", ":")))


def gone(r: redis.Redis, wid: str) -> bool:
    keys = [K.worker(wid), K.worker_started(wid)]
    keys += [K.worker_stat("processed", wid), K.worker_stat("failed", wid)]
    return not (
        r.sismember(K.workers, wid) or r.hexists(K.heartbeats, wid) or any(map(r.exists, keys))
    )


def prune(r: redis.Redis, queues: str, **options: Any) -> list[str]:
    me = Registration(r, K, f"{HOST}:{os.getpid()}:{queues}")
    recorder = FailureRecorder(Resque(r), "redis", LOG)
    return prune_dead_workers(
        me, QueueSpec(queues.split(",")), recorder, LOG, lock_ttl=60, prune_interval=300, **options
    )


def test_stale_heartbeats_are_pruned_and_their_job_recorded(r: redis.Redis) -> None:
    fake_worker(r, "gone-host.example.com:4242:critical", beat_age=301, job=ARCHIVE)
    fake_worker(r, "edge-host:7:critical", beat_age=299)
    fake_worker(r, "quiet-host:8:critical")  # never beat: maybe another client; left alone
    pruned = prune(r, "critical")
    assert pruned == ["gone-host.example.com:4242:critical"]
    assert gone(r, "gone-host.example.com:4242:critical")
    assert r.sismember(K.workers, "edge-host:7:critical")
    assert r.sismember(K.workers, "quiet-host:8:critical")
    (failure,) = [json.loads(x) for x in r.lrange(K.failed, 0, -1)]
    assert failure["exception"] == "Resque::PruneDeadWorkerDirtyExit"
    assert failure["error"] == (
        "Worker gone-host.example.com:4242:critical did not gracefully exit while processing "
        "Archive"
    )
    assert failure["worker"] == "gone-host.example.com:4242:critical"
    assert (failure["queue"], failure["payload"], failure["backtrace"]) == ("critical", ARCHIVE, [])
    assert r.get(K.failed_count) is None  # Job#fail does not count
    # Ruby's lock: our id, expiring after one heartbeat interval.
    assert r.get(K.prune_lock) == f"{HOST}:{os.getpid()}:critical"
    assert 0 < r.ttl(K.prune_lock) <= 60


def test_nothing_is_pruned_while_another_worker_holds_the_lock(r: redis.Redis) -> None:
    r.set(K.prune_lock, "someone-else:1:*", ex=60)
    fake_worker(r, "gone-host:4242:critical", beat_age=3600)
    fake_worker(r, f"{HOST}:{dead_pid()}:critical")
    assert prune(r, "critical") == []
    assert r.scard(K.workers) == 2


def test_same_host_dead_pids_are_pruned_for_our_queues_only(
    r: redis.Redis, lookalikes: dict[str, int]
) -> None:
    dead = dead_pid()
    pruned_ids = [
        f"{HOST}:{dead}:critical,default",
        f"{HOST}:{dead + 100000}:default,critical",  # the same set, another order
        f"{HOST}:{lookalikes['other']}:critical,default",  # alive, but no worker: as Ruby
        f"{HOST}:notapid:critical,default",
    ]
    kept_ids = [
        f"{HOST}:{dead}:critical",  # other queues: maybe another language's worker
        f"other-host:{dead}:critical,default",  # another machine
        f"{HOST}:{lookalikes['ruby']}:critical,default",
        f"{HOST}:{lookalikes['python']}:critical,default",
    ]
    for wid in pruned_ids + kept_ids:
        fake_worker(r, wid, beat_age=10)
    r.set(K.worker(pruned_ids[0]), json.dumps({"queue": "default", "payload": ARCHIVE}))
    assert sorted(prune(r, "critical,default")) == sorted(pruned_ids)
    assert all(gone(r, wid) for wid in pruned_ids)
    assert r.smembers(K.workers) == set(kept_ids)
    (failure,) = [json.loads(x) for x in r.lrange(K.failed, 0, -1)]
    assert (failure["exception"], failure["error"]) == (
        "Resque::DirtyExit",
        "Job still being processed",
    )
    assert failure["worker"] == pruned_ids[0] and failure["payload"] == ARCHIVE


def test_a_star_worker_prunes_dead_pids_of_any_queues(r: redis.Redis) -> None:
    dead = dead_pid()
    for wid in (f"{HOST}:{dead}:critical", f"{HOST}:{dead}:a,b", f"elsewhere:{dead}:a"):
        fake_worker(r, wid)
    assert sorted(prune(r, "*")) == [f"{HOST}:{dead}:a,b", f"{HOST}:{dead}:critical"]
    assert r.smembers(K.workers) == {f"elsewhere:{dead}:a"}


def test_a_starting_worker_prunes_the_dead_and_spares_the_living(
    redis_url: str, r: redis.Redis
) -> None:
    with RunningWorker(redis_url, "critical") as alive:
        wait_until(lambda: r.sismember(K.workers, alive.id), what="the first worker")
        r.delete(K.prune_lock)  # it pruned at its start; let the next one prune too
        dead = f"{HOST}:{dead_pid()}:critical"
        stale = "gone-host.example.com:4242:critical"
        fake_worker(r, dead)
        fake_worker(r, stale, beat_age=600, job=ARCHIVE)
        done = run_burst(redis_url, "--queues", "critical")
        assert done.returncode == 0, done.stderr
        assert gone(r, dead) and gone(r, stale)
        assert f"Pruning dead worker: {stale}" in done.stderr
        assert r.smembers(K.workers) == {alive.id}  # a live `python -m resque_web.worker`
        alive.signal(signal.SIGQUIT)
        assert alive.wait()[0] == 0
    assert [json.loads(x)["exception"] for x in r.lrange(K.failed, 0, -1)] == [
        "Resque::PruneDeadWorkerDirtyExit"
    ]
