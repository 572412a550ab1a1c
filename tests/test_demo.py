"""``resque-web demo``: live data on a private Redis, workers that process and fail jobs."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from resque_web import Resque, redis_server
from resque_web.demo import Demo
from resque_web.model import Dashboard


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.parametrize("embedded", [False, True], ids=["redis-server", "fakeredis-server"])
def test_demo_shows_life(monkeypatch: pytest.MonkeyPatch, embedded: bool) -> None:
    if embedded:
        monkeypatch.setattr(redis_server, "available", lambda: False)
    said: list[str] = []
    demo = Demo(say=said.append)
    try:
        demo.start_redis()
        demo.seed(jobs=120, failures=15)
        d = Dashboard(Resque(redis.Redis.from_url(demo.url, decode_responses=True)))
        seeded = d.stats.resque()
        assert seeded.pending == 120 and seeded.failed_listed == 15
        demo.start_workers()
        demo.start_producer()
        wait_for(lambda: d.stats.resque().processed > seeded.processed + 5)
        wait_for(lambda: d.stats.resque().workers == 3)
        assert len(d.queues.all()) >= 4
    finally:
        demo.close()
    assert ("fakeredis" in said[0]) == embedded
    assert said[-1].startswith("demo stopped")
