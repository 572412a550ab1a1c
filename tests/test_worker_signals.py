"""Signals, as Resque answers them: QUIT finishes the job, TERM/INT stop it (TERM to the child,
KILL after RESQUE_TERM_TIMEOUT), USR1 stops only the job, USR2/CONT pause and resume."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_web import Resque
from resque_web.keys import Keys
from tests.support.worker import RunningWorker, wait_until

K = Keys()


def failures(r: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(item) for item in r.lrange(K.failed, 0, -1)]


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_quit_finishes_the_job_then_exits(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    resque.enqueue_to("default", "Sleep", 0.5, "first")
    resque.enqueue_to("default", "Record", "second")
    record = tmp_path / "rec"
    with RunningWorker(redis_url, "default", record=record) as worker:
        wait_until(lambda: "start first" in lines(record), what="the job to start")
        worker.signal(signal.SIGQUIT)
        status, err = worker.wait()
    assert status == 0, err
    assert lines(record) == ["start first", "first"]
    assert failures(r) == [] and r.get(K.processed) == "1"
    assert resque.size("default") == 1  # the next job was not taken
    assert r.smembers(K.workers) == set() and r.get(K.worker(worker.id)) is None


@pytest.mark.parametrize("mode, sig", [("--fork", signal.SIGTERM), ("--no-fork", signal.SIGINT)])
def test_term_and_int_stop_the_job_now_and_record_it(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path, mode: str, sig: int
) -> None:
    resque.enqueue_to("default", "Sleep", 30, "long")
    record = tmp_path / "rec"
    with RunningWorker(redis_url, "default", mode, record=record) as worker:
        wait_until(lambda: "start long" in lines(record), what="the job to start")
        began = time.monotonic()
        worker.signal(sig)
        status, err = worker.wait()
    assert time.monotonic() - began < 3
    assert status == 0, err
    assert "long" not in lines(record)  # interrupted
    (failure,) = failures(r)
    name = signal.Signals(sig).name
    assert (failure["exception"], failure["error"]) == ("Resque::TermException", name)
    assert failure["payload"] == {"class": "Sleep", "args": [30, "long"]}
    assert r.get(K.failed_count) == "1" and r.get(K.processed) == "1"
    assert r.smembers(K.workers) == set()


def test_a_child_that_ignores_term_is_killed_after_the_timeout(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    resque.enqueue_to("default", "IgnoreTerm", 30)
    record = tmp_path / "rec"
    with RunningWorker(redis_url, "default", record=record, RESQUE_TERM_TIMEOUT="0.5") as worker:
        wait_until(lambda: "start ignore-term" in lines(record), what="the job to start")
        began = time.monotonic()
        worker.signal(signal.SIGTERM)
        status, err = worker.wait()
    assert 0.4 < time.monotonic() - began < 4
    assert status == 0, err
    (failure,) = failures(r)
    assert failure["exception"] == "Resque::DirtyExit"
    assert re.fullmatch(r"Child process received unhandled signal pid \d+ SIGKILL \(signal 9\)",
                        failure["error"])  # fmt: skip
    assert r.get(K.failed_count) is None  # as in Ruby, a killed child is not counted
    assert r.get(K.processed) == "1"


def test_usr1_stops_the_job_and_the_worker_goes_on(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    resque.enqueue_to("default", "Sleep", 30, "long")
    resque.enqueue_to("default", "Record", "next")
    record = tmp_path / "rec"
    with RunningWorker(redis_url, "default", record=record) as worker:
        wait_until(lambda: "start long" in lines(record), what="the job to start")
        worker.signal(signal.SIGUSR1)
        wait_until(lambda: len(lines(record)) == 2, what="the next job")
        assert lines(record)[1].startswith("next ")
        assert worker.process.poll() is None
        (failure,) = failures(r)
        assert failure["exception"] == "Resque::TermException"
        worker.signal(signal.SIGQUIT)
        assert worker.wait()[0] == 0


def test_usr2_pauses_cont_resumes_and_so_does_the_pause_key(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    record = tmp_path / "rec"
    with RunningWorker(redis_url, "default", "--no-fork", record=record) as worker:
        wait_until(lambda: r.sismember(K.workers, worker.id), what="registration")
        worker.signal(signal.SIGUSR2)
        wait_until(lambda: "USR2 received" in worker.log(), what="the pause")
        resque.enqueue_to("default", "Record", "during-signal-pause")
        time.sleep(0.4)
        assert resque.size("default") == 1 and lines(record) == []
        worker.signal(signal.SIGCONT)
        wait_until(lambda: len(lines(record)) == 1, what="the job after CONT")

        r.set(K.pause_all_workers, " TRUE\n")  # Ruby: .to_s.strip.downcase == "true"
        resque.enqueue_to("default", "Record", "during-key-pause")
        time.sleep(0.4)
        assert resque.size("default") == 1
        r.delete(K.pause_all_workers)
        wait_until(lambda: len(lines(record)) == 2, what="the job after the key went")
        worker.signal(signal.SIGQUIT)
        status, err = worker.wait()
    assert status == 0, err
    assert "USR2 received" in err and "CONT received" in err
    assert "pause-all-workers set" in err and "pause-all-workers gone" in err
