"""The worker against a real redis-server: registration, the busy key, counters, queue order,
failures of every kind, hooks. Workers run as real processes (``python -m resque_web.worker``
or the ``resque-web worker`` console script) loading ``tests.jobs``."""

from __future__ import annotations

import json
import logging
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_web import Resque, times
from resque_web.keys import Keys
from resque_web.worker import FailureRecorder, Registration
from resque_web.worker.unregister import unregister_worker
from tests.support.dump import dump_keys
from tests.support.worker import HOST, RunningWorker, run_burst, wait_until

K = Keys()
FIXTURE = dump_keys()


def shape(value: str) -> re.Pattern[str]:
    """A regex for values formatted like ``value``: digits and signs may differ."""
    parts = [r"\d" if c.isdigit() else "[-+]" if c in "+-" else re.escape(c) for c in value]
    return re.compile("^" + "".join(parts) + "$")


def fixture_value(key: str) -> Any:
    return FIXTURE[key]["value"]


STARTED = shape(fixture_value("resque:worker:vm:11544:long-running,critical:started"))
HEARTBEAT = shape(dict(fixture_value("resque:workers:heartbeat"))["vm:11544:long-running,critical"])
RUN_AT = shape(json.loads(fixture_value("resque:worker:vm:11544:long-running,critical"))["run_at"])


def failures(r: redis.Redis, key: str = K.failed) -> list[dict[str, Any]]:
    return [json.loads(item) for item in r.lrange(key, 0, -1)]


def worker_keys_left(r: redis.Redis, wid: str) -> list[str]:
    keys = [K.worker(wid), K.worker_started(wid)]
    keys += [K.worker_stat("processed", wid), K.worker_stat("failed", wid)]
    left = [k for k in keys if r.exists(k)]
    if r.sismember(K.workers, wid):
        left.append(K.workers)
    if r.hexists(K.heartbeats, wid):
        left.append(K.heartbeats)
    return left


def test_registers_beats_counts_and_unregisters_as_resque(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    beat_every = ("--heartbeat-interval", "0.2")
    with RunningWorker(
        redis_url, "critical,default", *beat_every, record=tmp_path / "rec"
    ) as worker:
        wid = worker.id
        wait_until(lambda: r.sismember(K.workers, wid), what="registration")
        assert r.smembers(K.workers) == {wid}
        started = r.get(K.worker_started(wid))
        assert started and STARTED.match(started), started
        beat = r.hget(K.heartbeats, wid)
        assert beat and HEARTBEAT.match(beat), beat
        # The heartbeat is Redis' clock, not ours.
        assert abs(times.epoch(beat) - int(r.time()[0])) <= 2
        # Pruning ran first, under Ruby's lock: our id, heartbeat interval as expiry.
        assert r.get(K.prune_lock) == wid
        assert 0 < r.ttl(K.prune_lock) <= 60
        assert r.get(K.worker(wid)) is None  # idle
        r.hdel(K.heartbeats, wid)  # the thread beats again, every interval
        wait_until(lambda: r.hexists(K.heartbeats, wid), timeout=3, what="the next beat")

        resque.enqueue_to("default", "Record", "one")
        resque.enqueue_to("default", "Boom")
        wait_until(lambda: r.get(K.processed) == "2", what="two jobs")
        assert r.get(K.worker_stat("processed", wid)) == "2"
        assert r.get(K.failed_count) == "1"
        assert r.get(K.worker_stat("failed", wid)) == "1"
        assert r.get(K.worker(wid)) is None

        worker.signal(signal.SIGQUIT)
        status, err = worker.wait()
    assert status == 0, err
    assert f"*** Starting worker {wid}" in err
    assert worker_keys_left(r, wid) == []
    assert r.hlen(K.heartbeats) == 0
    # Global counters stay; the per-worker ones went with the worker, as in Ruby.
    assert (r.get(K.processed), r.get(K.failed_count)) == ("2", "1")


def test_busy_key_holds_the_job_in_rubys_format_while_it_runs(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    # Not Ruby's spelling: spaces and an escaped é. The worker key must hold Ruby's bytes.
    resque.push_raw("default", '{"class": "Sleep", "args": [0.6, "caf\\u00e9"]}')
    with RunningWorker(redis_url, "default", record=tmp_path / "rec") as worker:
        # The reserve script stores the popped bytes at once; the worker then rewrites the
        # key in Ruby's spelling before the job runs (a moment later): wait for that.
        busy = wait_until(
            lambda: (v := r.get(K.worker(worker.id))) and '"café"' in v and v,
            what="busy key in Ruby's spelling",
        )
        data = json.loads(busy)
        assert list(data) == ["queue", "run_at", "payload"]
        assert RUN_AT.match(data["run_at"]), data["run_at"]
        expected = (
            f'{{"queue":"default","run_at":"{data["run_at"]}",'
            '"payload":{"class":"Sleep","args":[0.6,"café"]}}'
        )
        assert busy == expected
        wait_until(lambda: r.get(K.processed) == "1", what="the job")
        assert r.get(K.worker(worker.id)) is None
        worker.signal(signal.SIGQUIT)
        assert worker.wait()[0] == 0


def test_burst_takes_queues_in_priority_order_then_exits(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    for queue in ("low", "default", "critical"):
        for n in range(2):
            resque.enqueue_to(queue, "Record", f"{queue}-{n}")
    record = tmp_path / "rec"
    done = run_burst(
        redis_url, "--queues", "critical,default,low", "--no-fork", "-v", record=record
    )
    assert done.returncode == 0, done.stderr
    tags = [line.split()[0] for line in record.read_text().splitlines()]
    assert tags == ["critical-0", "critical-1", "default-0", "default-1", "low-0", "low-1"]
    assert done.stderr.count("*** done: (Job{") == 6
    assert (r.get(K.processed), r.get(K.failed_count)) == ("6", None)
    assert r.smembers(K.workers) == set() and r.hlen(K.heartbeats) == 0


def test_star_takes_every_queue_in_byte_order_rereading_the_list(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    for queue in ("beta", "alpha", "Zulu", ".hidden", "gamma"):
        resque.enqueue_to(queue, "Record", queue)
    record = tmp_path / "rec"

    def tags() -> list[str]:
        return [line.split()[0] for line in record.read_text().splitlines()]

    # The console script, as an operator runs it; forking (the default).
    argv = [
        str(Path(sys.executable).with_name("resque-web")),
        "worker",
        "--redis",
        redis_url,
        "--queues",
        "*",
        "--require",
        "tests.jobs",
        "--interval",
        "0.05",
    ]
    with RunningWorker(redis_url, "*", argv=argv, record=record) as worker:
        wait_until(lambda: record.exists() and len(tags()) == 4, what="four jobs")
        # Byte order (upper case first); File.fnmatch("*") never matches a leading ".".
        assert tags() == ["Zulu", "alpha", "beta", "gamma"]
        assert resque.size(".hidden") == 1
        resque.enqueue_to("delta", "Record", "delta")  # a queue born after the start
        wait_until(lambda: len(tags()) == 5, what="the new queue's job")
        worker.signal(signal.SIGQUIT)
        status, err = worker.wait()
    assert status == 0, err
    assert f"Starting worker {HOST}:{worker.process.pid}:*" in err
    pids = {line.split()[1] for line in record.read_text().splitlines()}
    assert str(worker.process.pid) not in pids and len(pids) == 5  # a child per job


BAD_ITEMS = [
    ("Boom", '{"class":"Boom","args":[1]}', "KeyError", "'no such thing'"),
    ("unknown class", '{"class":"Ghost::Missing","args":[]}', "NameError", "Ghost::Missing"),
    ("not JSON", "{not json", "resque_web.errors.BadPayload", "not JSON"),
    ("args not a list", '{"class":"Noop","args":{"a":1}}', "resque_web.errors.BadPayload", "list"),
    ("no class", '{"args":[1]}', "resque_web.errors.BadPayload", "class"),
    ("not an object", "[1,2]", "resque_web.errors.BadPayload", "not an object"),
]


@pytest.mark.parametrize("mode", ["--fork", "--no-fork"])
def test_every_bad_job_becomes_a_failure_with_its_payload_kept(
    redis_url: str, r: redis.Redis, resque: Resque, mode: str
) -> None:
    for _, raw, _, _ in BAD_ITEMS:
        resque.push_raw("default", raw)
    resque.enqueue_to("default", "Noop")  # the worker goes on after all of them
    done = run_burst(redis_url, "--queues", "default", mode)
    assert done.returncode == 0, done.stderr
    records = failures(r)
    assert len(records) == len(BAD_ITEMS)
    for record, (what, raw, exception, words) in zip(records, BAD_ITEMS):
        assert list(record) == [
            "failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"
        ], what  # fmt: skip
        assert record["exception"] == exception, what
        assert words in record["error"], (what, record["error"])
        assert record["queue"] == "default"
        assert re.fullmatch(rf"{re.escape(HOST)}:\d+:default", record["worker"])
        try:
            assert record["payload"] == json.loads(raw), what
        except json.JSONDecodeError:
            assert record["payload"] == raw, what  # not JSON: the raw text, untouched
        assert f"failed: {exception}" in done.stderr
    assert r.get(K.failed_count) == str(len(BAD_ITEMS))
    assert r.get(K.processed) == str(len(BAD_ITEMS) + 1)
    assert resque.size("default") == 0


def test_hooks_run_in_resques_order_in_the_child(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    resque.enqueue_to("default", "Hooked", False)
    resque.enqueue_to("default", "Hooked", True)
    resque.enqueue_to("default", "Skipped")
    record = tmp_path / "rec"
    done = run_burst(redis_url, "--queues", "default", "-v", record=record)
    assert done.returncode == 0, done.stderr
    assert record.read_text().split("\n") == [
        "before", "around-in", "perform", "around-out", "after",
        "before", "around-in", "perform", "on_failure ValueError",
        "guard", "",
    ]  # fmt: skip
    (failure,) = failures(r)
    assert (failure["exception"], failure["error"]) == ("ValueError", "hooked job failed")
    assert "*** skipped: (Job{default} | Skipped | [])" in done.stderr
    assert (r.get(K.processed), r.get(K.failed_count)) == ("3", "1")


def test_fork_child_outcomes(redis_url: str, r: redis.Redis, resque: Resque) -> None:
    resque.enqueue_to("default", "KillSelf")
    resque.enqueue_to("default", "SysExit", 3)
    resque.enqueue_to("default", "ExitCode", 3)
    done = run_burst(redis_url, "--queues", "default")
    assert done.returncode == 0, done.stderr
    killed, exited = failures(r)
    # A child killed by a signal: Resque::DirtyExit, Ruby's wording, no backtrace...
    assert killed["exception"] == "Resque::DirtyExit"
    assert re.fullmatch(r"Child process received unhandled signal pid \d+ SIGKILL \(signal 9\)",
                        killed["error"])  # fmt: skip
    assert killed["backtrace"] == [] and killed["payload"] == {"class": "KillSelf", "args": []}
    # ... sys.exit() in a job is its failure (Ruby rescues SystemExit too) ...
    assert exited["exception"] == "SystemExit"
    # ... and a child that exits by itself records nothing, as in Ruby, but says so.
    assert "exited without reporting" in done.stderr and "exit 3" in done.stderr
    # Ruby counts none of the DirtyExit in stat:failed (the fixture: 112 counted, 120 stored).
    assert r.get(K.failed_count) == "1"
    assert r.get(K.processed) == "3"


FORKING_JOB = """
import os, signal
from resque_web import job

@job("ForkThenDie")
class ForkThenDie:
    @staticmethod
    def perform():
        if os.fork() == 0:
            return  # the grandchild gets back to the worker's code, which exits 0
        os.wait()
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_grandchilds_success_does_not_speak_for_the_child(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    """The child's own exit status decides: a process the job forked that gets back to the
    worker's code and exits with success does not hide the child's death by a signal."""
    jobs = tmp_path / "forking_jobs.py"
    jobs.write_text(FORKING_JOB)
    resque.enqueue_to("default", "ForkThenDie")
    done = run_burst(redis_url, "--queues", "default", "-r", str(jobs))
    assert done.returncode == 0, done.stderr
    (killed,) = failures(r)
    assert killed["exception"] == "Resque::DirtyExit", killed
    assert "SIGKILL" in killed["error"]


def zombies(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kids(worker: RunningWorker) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == worker.process.pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_no_zombie_children_while_idle(redis_url: str, r: redis.Redis, resque: Resque) -> None:
    for n in range(3):
        resque.enqueue_to("default", "Noop", n)
    with RunningWorker(redis_url, "default") as worker:
        wait_until(lambda: r.get(K.processed) == "3", what="the jobs")
        # Nor of the fork server, a child of the worker, whose children perform the jobs.
        wait_until(
            lambda: not zombies(worker.process.pid) and not any(map(zombies, kids(worker))),
            what="no zombie children",
        )
        worker.signal(signal.SIGQUIT)
        assert worker.wait()[0] == 0


def test_multi_queue_failure_backend(redis_url: str, r: redis.Redis, resque: Resque) -> None:
    resque.enqueue_to("critical", "Boom")
    done = run_burst(
        redis_url, "--queues", "critical", "--no-fork", "--failure-backend", "redis_multi_queue"
    )
    assert done.returncode == 0, done.stderr
    assert r.smembers(K.failed_queues) == {"critical_failed"}
    (record,) = failures(r, K.failed_queue("critical"))
    assert record["queue"] == "critical" and record["exception"] == "KeyError"
    assert r.llen(K.failed) == 0


def test_env_settings_and_namespace(redis_url: str, r: redis.Redis, tmp_path: Path) -> None:
    mq = Resque(r, namespace="resque_mq")
    mq.enqueue_to("default", "Record", "from-env")
    record = tmp_path / "rec"
    done = run_burst(
        redis_url, record=record, QUEUE="default", RESQUE_NAMESPACE="resque_mq",
        FORK_PER_JOB="false",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "without forking" in done.stderr
    (line,) = record.read_text().splitlines()
    assert line.split()[0] == "from-env"
    assert r.get(Keys("resque_mq").processed) == "1" and r.get(K.processed) is None


def test_missing_queues_and_bad_require_are_usage_errors(redis_url: str) -> None:
    done = run_burst(redis_url)
    assert done.returncode == 2 and "--queues" in done.stderr
    done = run_burst(redis_url, "-q", "x", "-r", "tests.no_such_module")
    assert done.returncode == 2 and "cannot import tests.no_such_module" in done.stderr


def test_unregistering_records_the_job_still_held(r: redis.Redis, resque: Resque) -> None:
    """Ruby's unregister_worker: the job in worker:<id> fails with the exception that ended the
    worker (else DirtyExit "Job still being processed"); then every key of the worker goes."""
    wid = f"{HOST}:1:default"
    registration = Registration(r, K, wid)
    registration.register()
    registration.heartbeat()
    registration.set_busy('{"queue":"default","run_at":"x","payload":{"class":"A","args":[]}}')
    r.set(K.worker_stat("processed", wid), 3)
    recorder = FailureRecorder(resque, "redis", logging.getLogger("tests"))
    try:
        raise OSError("disk full")
    except OSError as exc:
        crash = exc
    unregister_worker(registration, recorder, logging.getLogger("tests"), crash)
    assert worker_keys_left(r, wid) == []
    (record,) = failures(r)
    assert (record["exception"], record["error"], record["worker"]) == ("OSError", "disk full", wid)
    assert record["payload"] == {"class": "A", "args": []} and record["backtrace"]
    assert r.get(K.failed_count) is None
