"""Redis going away under a working worker: it waits, retries, and loses no job."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from resque_web import Resque
from resque_web.keys import Keys
from resque_web.redis_server import RedisServer
from tests.support.worker import RunningWorker, wait_until

K = Keys()


class Restartable:
    """A private redis-server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.server = RedisServer().start()
        self.port = self.server.port

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.close()

    def start(self) -> None:
        self.server = RedisServer(self.port).start()


@pytest.fixture
def private() -> Iterator[Restartable]:
    server = Restartable()
    yield server
    server.stop()


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("mode", ["--fork", "--no-fork"])
def test_a_failure_during_an_outage_is_recorded_when_redis_is_back(
    private: Restartable, tmp_path: Path, mode: str
) -> None:
    r = redis.Redis.from_url(private.url, decode_responses=True)
    Resque(r).enqueue_to("default", "FailAfter", 0.3)
    record = tmp_path / "rec"
    with RunningWorker(private.url, "default", mode, record=record) as worker:
        wait_until(lambda: "start fail-after" in lines(record), what="the job to start")
        private.stop()  # the job fails while Redis is away (and it comes back empty)
        time.sleep(1.0)
        assert worker.process.poll() is None
        private.start()
        r = redis.Redis.from_url(private.url, decode_responses=True)
        raw = wait_until(lambda: r.lrange(K.failed, 0, -1), timeout=15, what="the failure")
        (failure,) = [json.loads(x) for x in raw]
        assert failure["payload"] == {"class": "FailAfter", "args": [0.3]}
        assert (failure["exception"], failure["error"]) == ("RuntimeError", "failed after sleeping")
        wait_until(lambda: r.get(K.processed) == "1", what="the job counted")
        assert r.get(K.failed_count) == "1"
        # Registered again in the emptied Redis, and working.
        wait_until(lambda: r.sismember(K.workers, worker.id), what="re-registration")
        assert r.hexists(K.heartbeats, worker.id)
        Resque(r).enqueue_to("default", "Record", "after")
        wait_until(lambda: r.get(K.processed) == "2", what="a job after the outage")
        # An outage while idle: the worker polls on once Redis is back.
        private.stop()
        time.sleep(0.5)
        private.start()
        r = redis.Redis.from_url(private.url, decode_responses=True)
        Resque(r).enqueue_to("default", "Record", "after-idle-outage")
        wait_until(lambda: r.get(K.processed) == "1", timeout=15, what="a job after idling")
        worker.signal(signal.SIGQUIT)
        status, err = worker.wait()
    assert status == 0, err
    assert "Redis unavailable" in err and "Redis is back" in err
    assert [line.split()[0] for line in lines(record)] == [
        "start", "after", "after-idle-outage"
    ]  # fmt: skip
    assert r.smembers(K.workers) == set()


def test_term_while_redis_is_down_waits_between_retries(
    private: Restartable, tmp_path: Path
) -> None:
    """TERM with a job in hand and Redis gone: the worker keeps the job and retries with
    pauses (it once spun, writing gigabytes of log), then records it when Redis is back."""
    r = redis.Redis.from_url(private.url, decode_responses=True)
    Resque(r).enqueue_to("default", "Sleep", 30)
    record = tmp_path / "rec"
    with RunningWorker(private.url, "default", "--fork", record=record) as worker:
        wait_until(lambda: r.exists(K.worker(worker.id)), what="the job to start")
        private.stop()
        worker.signal(signal.SIGTERM)  # the child is TERMed: a failure to record, no Redis
        time.sleep(3.0)
        assert worker.process.poll() is None
        retries = worker.log().count("Redis unavailable")
        assert 1 <= retries <= 8, retries  # 0.1 s, 0.2 s, 0.4 s ... not thousands
        private.start()
        status, err = worker.wait(timeout=20)
    assert status == 0, err
    r = redis.Redis.from_url(private.url, decode_responses=True)
    (failure,) = [json.loads(x) for x in r.lrange(K.failed, 0, -1)]
    assert failure["payload"] == {"class": "Sleep", "args": [30]}
