"""``resque-web worker --count N``: real processes. Each worker registers on its own; a worker
killed with SIGKILL is replaced and its in-flight job recorded as a DirtyExit failure by the
supervisor; signals reach every worker; --pidfile; one log line per start and exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis

from resque_web import Resque
from resque_web.keys import Keys
from resque_web.worker.pool import MAX_BACKOFF, PidFile, backoff
from tests.support.worker import HOST, ROOT, environment, wait_until

K = Keys()


class RunningPool:
    def __init__(self, url: str, count: int, *args: str, record: Path | None = None) -> None:
        cmd = [sys.executable, "-m", "resque_web.worker", "--redis", url, "-r", "tests.jobs",
               "--count", str(count), "--interval", "0.05", *args]  # fmt: skip
        self._stderr = tempfile.TemporaryFile(mode="w+t")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, env=environment(record), stderr=self._stderr, text=True
        )

    def log(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def wait(self, timeout: float = 20) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()


@pytest.fixture
def pools():
    started: list[RunningPool] = []

    def start(*args: object, **kwargs: object) -> RunningPool:
        pool = RunningPool(*args, **kwargs)  # type: ignore[arg-type]
        started.append(pool)
        return pool

    yield start
    for pool in started:
        pool.stop()


def workers(r: redis.Redis) -> dict[int, str]:
    """pid -> id of every registered worker."""
    return {int(wid.split(":")[1]): wid for wid in r.smembers(K.workers)}


def test_count_workers_each_registered_replaced_when_killed_with_its_job_failed(
    redis_url: str, r: redis.Redis, pools, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pool.pid"
    pool = pools(redis_url, 3, "--queues", "slow", "--no-fork", "--pidfile", str(pidfile))
    first = wait_until(lambda: len(workers(r)) == 3 and workers(r), 20, "3 workers")
    assert int(pidfile.read_text()) == pool.process.pid
    assert all(wid == f"{HOST}:{pid}:slow" for pid, wid in first.items())
    assert pool.process.pid not in first  # each worker is a process of its own
    Resque(r).enqueue_to("slow", "Sleep", 30, "never-finishes")
    busy = wait_until(lambda: [p for p, w in workers(r).items() if r.exists(K.worker(w))], 10)
    victim = busy[0]
    victim_id = first[victim]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: victim not in workers(r) and len(workers(r)) == 3, 20, "a replacement")
    replacement = set(workers(r)) - set(first)
    assert len(replacement) == 1
    failure = json.loads(r.lindex(K.failed, 0))
    assert failure["exception"] == "Resque::DirtyExit"
    assert failure["error"] == "Job still being processed"
    assert failure["worker"] == victim_id and failure["queue"] == "slow"
    assert failure["payload"] == {"class": "Sleep", "args": [30, "never-finishes"]}
    for key in (K.worker(victim_id), K.worker_started(victim_id)):
        assert not r.exists(key)
    assert not r.hexists(K.heartbeats, victim_id)
    log = pool.log()
    assert log.count("pool: started worker") == 4
    assert f"(pid {victim} SIGKILL (signal 9)) exited after" in log
    assert f"pool: unregistered {victim_id}" in log
    pool.signal(signal.SIGQUIT)
    assert pool.wait() == 0
    assert r.scard(K.workers) == 0 and not pidfile.exists()
    assert "pool: SIGQUIT received; telling every worker to finish their jobs" in pool.log()
    assert pool.log().count("exited after") == 4


def test_quit_lets_every_worker_finish_its_job(
    redis_url: str, r: redis.Redis, pools, tmp_path: Path
) -> None:
    record = tmp_path / "rec"
    pool = pools(redis_url, 2, "--queues", "slow", record=record)
    wait_until(lambda: len(workers(r)) == 2, 20, "2 workers")
    for n in range(2):
        Resque(r).enqueue_to("slow", "Sleep", 1, f"job-{n}")
    wait_until(lambda: record.exists() and record.read_text().count("start") == 2, 10)
    pool.signal(signal.SIGQUIT)
    assert pool.wait() == 0
    lines = sorted(record.read_text().splitlines())
    assert lines == ["job-0", "job-1", "start job-0", "start job-1"]
    assert r.get(K.processed) == "2" and r.llen(K.failed) == 0


def test_usr2_and_cont_pause_and_resume_every_worker(
    redis_url: str, r: redis.Redis, pools, tmp_path: Path
) -> None:
    record = tmp_path / "rec"
    pool = pools(redis_url, 2, "--queues", "q", "--no-fork", record=record)
    wait_until(lambda: len(workers(r)) == 2, 20, "2 workers")
    pool.signal(signal.SIGUSR2)
    wait_until(lambda: pool.log().count("USR2 received") >= 2, 10, "both workers paused")
    Resque(r).enqueue_to("q", "Record", "while-paused")
    time.sleep(0.5)
    assert r.llen(K.queue("q")) == 1
    pool.signal(signal.SIGCONT)
    wait_until(lambda: record.exists() and "while-paused" in record.read_text(), 10)
    pool.signal(signal.SIGTERM)
    assert pool.wait() == 0 and r.scard(K.workers) == 0


def test_burst_pool_ends_when_the_queues_are_empty(
    redis_url: str, r: redis.Redis, pools, tmp_path: Path
) -> None:
    record = tmp_path / "rec"
    for n in range(6):
        Resque(r).enqueue_to("q", "Record", f"r{n}")
    pool = pools(redis_url, 3, "--queues", "q", "--burst", "--no-fork", record=record)
    assert pool.wait() == 0
    tags = sorted(line.split()[0] for line in record.read_text().splitlines())
    assert tags == [f"r{n}" for n in range(6)]
    assert "restarting" not in pool.log()


def test_a_worker_that_keeps_dying_is_restarted_with_backoff(
    redis_url: str, r: redis.Redis, pools
) -> None:
    for _ in range(4):
        Resque(r).enqueue_to("q", "KillSelf")
    pool = pools(redis_url, 2, "--queues", "q", "--no-fork")
    wait_until(lambda: "in 2s (2 quick exits in a row)" in pool.log(), 20, "the backoff")
    assert "in 1s (1 quick exits in a row)" in pool.log()
    assert r.llen(K.failed) >= 3  # each killed worker's job, recorded by the supervisor


def test_backoff_doubles_up_to_a_limit() -> None:
    assert [backoff(n) for n in range(5)] == [0, 1, 2, 4, 8]
    assert backoff(50) == MAX_BACKOFF


def test_pidfile_refuses_a_live_process(tmp_path: Path, redis_url: str) -> None:
    path = tmp_path / "p.pid"
    path.write_text(f"{os.getppid()}\n")  # alive: our parent
    with pytest.raises(RuntimeError, match="which is running"):
        PidFile(path).write()
    done = subprocess.run(
        [sys.executable, "-m", "resque_web.worker", "--redis", redis_url, "-q", "q",
         "--pidfile", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "which is running" in done.stderr
    path.write_text("999999999\n")  # stale: taken over, then removed
    holder = PidFile(path)
    holder.write()
    assert path.read_text() == f"{os.getpid()}\n"
    holder.remove()
    assert not path.exists()
