"""resque-retry in the worker, on a real redis-server: real worker processes (forking and
``--no-fork``) loading ``tests.retry_jobs``, the ``redis_retry_suppression`` failure backend,
and due retries moved by resque-scheduler's own steps (``next_item_for_timestamp`` and
``enqueue_from_config``) with a clock set ahead, so no test sleeps."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_web import Resque
from resque_web.keys import Keys
from resque_web.retry import retry_identifier
from tests.support.worker import run_burst

K = Keys()
SUPPRESS = ("--failure-backend", "redis_retry_suppression")
FORK_MODES = [pytest.param((), id="fork"), pytest.param(("--no-fork",), id="no-fork")]


def work(url: str, queue: str, *args: str, record: Path | None = None) -> None:
    done = run_burst(
        url, "--queues", queue, "-r", "tests.retry_jobs", *SUPPRESS, *args, record=record
    )
    assert done.returncode == 0, done.stderr


def performed(record: Path) -> list[tuple[str, int]]:
    if not record.exists():
        return []
    return [(tag, int(n)) for tag, n in (line.split() for line in record.read_text().splitlines())]


def delayed(r: redis.Redis) -> list[tuple[int, str]]:
    """Every delayed job as (epoch, stored item)."""
    return [
        (int(epoch), item)
        for epoch in r.zrange(K.delayed_schedule, 0, -1)
        for item in r.lrange(K.delayed(int(epoch)), 0, -1)
    ]


def move_due(resque: Resque, now: int) -> int:
    """What the scheduler does with due timestamps: take each item, enqueue it."""
    moved = 0
    while (epoch := resque.next_delayed_timestamp(now)) is not None:
        while (item := resque.next_item_for_timestamp(epoch)) is not None:
            resque.enqueue_from_config(item)
            moved += 1
    return moved


def retry_key(name: str, *args: Any) -> str:
    return K.retry_attempts(K.retry_name(name, retry_identifier(list(args))))


def one_retry(r: redis.Redis, before: float, after: float, delay: int) -> tuple[int, dict]:
    """The only delayed job, checked to be due ``delay`` seconds after it failed."""
    ((epoch, item),) = delayed(r)
    assert int(before) + delay <= epoch <= int(after) + delay
    return epoch, json.loads(item)


@pytest.mark.parametrize("mode", FORK_MODES)
def test_fails_twice_then_works_performed_three_times_with_the_delays(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path, mode: tuple[str, ...]
) -> None:
    record = tmp_path / "performed"
    resque.enqueue_to("retry", "FailTwice", "t")
    key = retry_key("FailTwice", "t")
    for attempt in (0, 1):
        before = time.time()
        work(redis_url, "retry", *mode, record=record)
        after = time.time()
        # retry_delay = 2: delayed 2 s after the failure, not enqueued, not in Failed.
        epoch, item = one_retry(r, before, after, 2)
        assert item == {"class": "FailTwice", "args": ["t"], "queue": "retry"}
        assert r.get(key) == str(attempt) and r.llen(K.failed) == 0
        assert r.llen(K.queue("retry")) == 0
        assert move_due(resque, epoch - 1) == 0  # not due a second early
        assert move_due(resque, epoch) == 1
    work(redis_url, "retry", *mode, record=record)
    assert performed(record) == [("t", 0), ("t", 1), ("t", 2)]
    assert not r.exists(key) and delayed(r) == [] and r.llen(K.failed) == 0
    # As resque-retry, success leaves the last error to its TTL (2 x the delay).
    assert 0 < r.ttl(K.retry_failure(K.strip(key))) <= 4
    assert r.get(K.failed_count) == "2"  # Resque counts every failed attempt


def test_exponential_backoff_waits_longer_each_time(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    record = tmp_path / "performed"
    resque.enqueue_to("retry", "BackoffTwice", "b")
    for delay in (1, 3):  # backoff_strategy[attempt]
        before = time.time()
        work(redis_url, "retry", record=record)
        epoch, _ = one_retry(r, before, time.time(), delay)
        failure = r.get(K.retry_failure(K.strip(retry_key("BackoffTwice", "b"))))
        assert json.loads(failure)["exception"] == "ConnectionError"
        ttl = r.ttl(K.retry_failure(K.strip(retry_key("BackoffTwice", "b"))))
        assert 2 * delay - 1 <= ttl <= 2 * delay
        move_due(resque, epoch)
    work(redis_url, "retry", record=record)
    assert performed(record) == [("b", 0), ("b", 1), ("b", 2)]
    assert not r.exists(retry_key("BackoffTwice", "b"))


@pytest.mark.parametrize("mode", FORK_MODES)
def test_past_the_limit_exactly_one_failure_record(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path, mode: tuple[str, ...]
) -> None:
    """Hopeless retries once at once (delay 0), then gives up: one record, no keys left."""
    record = tmp_path / "performed"
    resque.enqueue_to("flaky", "Hopeless", 1)
    work(redis_url, "flaky", *mode, record=record)
    assert performed(record) == [("hopeless", 0), ("hopeless", 1)]
    (failure,) = [json.loads(x) for x in r.lrange(K.failed, 0, -1)]
    assert failure["payload"] == {"class": "Hopeless", "args": [1]}
    assert failure["exception"] == "ArgumentError" and failure["error"] == "never works"
    assert not r.exists(retry_key("Hopeless", 1))
    assert not r.exists(K.retry_failure(K.strip(retry_key("Hopeless", 1))))
    assert delayed(r) == [] and r.llen(K.queue("flaky")) == 0


def test_a_plain_method_job_retries_too(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    record = tmp_path / "performed"
    resque.enqueue_to("retry", "Instance", "i")
    work(redis_url, "retry", record=record)
    assert performed(record) == [("i", 0), ("i", 1), ("i", 2)]
    assert r.llen(K.failed) == 1 and not r.exists(retry_key("Instance", "i"))


def test_fatal_exceptions_are_not_retried(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    record = tmp_path / "performed"
    resque.enqueue_to("flaky", "Fatal", 1)
    work(redis_url, "flaky", record=record)
    assert performed(record) == [("fatal", 0)]
    (failure,) = [json.loads(x) for x in r.lrange(K.failed, 0, -1)]
    assert failure["exception"] == "ArgumentError"
    assert delayed(r) == [] and not r.exists(retry_key("Fatal", 1))


def test_a_job_killed_by_a_signal_is_retried_by_the_same_rules(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    """The parent records Resque::DirtyExit; on_failure_retry runs there and reads the
    attempt from Redis (as Ruby's does): retried after retry_delay, no record in Failed."""
    record = tmp_path / "performed"
    resque.enqueue_to("killer", "Killer", "k")
    before = time.time()
    work(redis_url, "killer", record=record)
    epoch, item = one_retry(r, before, time.time(), 45)
    assert item == {"class": "Killer", "args": ["k"], "queue": "killer"}
    key = retry_key("Killer", "k")
    assert r.get(key) == "0" and r.llen(K.failed) == 0
    failure = json.loads(r.get(K.retry_failure(K.strip(key))))
    assert failure["exception"] == "Resque::DirtyExit" and failure["backtrace"] == []
    assert "SIGKILL" in failure["error"]
    assert 89 <= r.ttl(K.retry_failure(K.strip(key))) <= 90
    move_due(resque, epoch)
    work(redis_url, "killer", record=record)
    assert performed(record) == [("k", 0), ("k", 1)]
    assert not r.exists(key) and r.llen(K.failed) == 0


def test_without_the_suppression_backend_every_attempt_is_recorded(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    """With the plain backend, as in Ruby with Resque::Failure::Redis, each failed attempt
    is a record while the retries still happen."""
    resque.enqueue_to("flaky", "Hopeless", 2)
    done = run_burst(redis_url, "--queues", "flaky", "-r", "tests.retry_jobs")
    assert done.returncode == 0, done.stderr
    assert r.llen(K.failed) == 2 and not r.exists(retry_key("Hopeless", 2))
