"""resque-retry's settings, each as Ruby's ``Resque::Plugins::Retry`` reads it, on a real
redis-server. Jobs run in this process as the worker runs them (``Job.perform`` with the
hooks, then the ``redis_retry_suppression`` backend), bound with ``context.using``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_web import ExponentialBackoff, Job, JobRegistry, Resque, Retry
from resque_web.context import using
from resque_web.failure import backend_for
from resque_web.keys import Keys
from resque_web.registry import registry as default_registry
from resque_web.retry import (
    AmbiguousRetryStrategy,
    InvalidRetryDelayMultiplicand,
    retry_identifier,
)

K = Keys()
registry = JobRegistry()


@pytest.fixture
def rq(r: redis.Redis) -> Iterator[Resque]:
    resque = Resque(r, registry=registry)
    with using(resque):
        yield resque


def run(resque: Resque, name: str, *args: Any, queue: str = "q") -> bool:
    """One attempt as the worker makes it; True when the job worked."""
    payload = {"class": name, "args": list(args)}
    try:
        Job(queue, payload).perform(registry)
    except Exception as exc:
        backend_for(resque, "redis_retry_suppression").save(exc, "host:1:q", queue, payload)
        return False
    return True


def attempts(r: redis.Redis, name: str, *args: Any) -> str | None:
    return r.get(K.retry_attempts(K.retry_name(name, retry_identifier(list(args)))))


def delayed_items(r: redis.Redis) -> list[dict[str, Any]]:
    return [
        json.loads(item)
        for epoch in r.zrange(K.delayed_schedule, 0, -1)
        for item in r.lrange(K.delayed(int(epoch)), 0, -1)
    ]


class Transient(Exception):
    pass


class Narrow(Transient):
    pass


def test_defaults_are_resque_retrys() -> None:
    class Plain(Retry):
        pass

    class Mapped(Retry):
        retry_exceptions = {Transient: (1, 2, 3), KeyError: 5}

    class Backoff(ExponentialBackoff):
        pass

    assert Plain.effective_retry_limit() == 1 and Plain.retry_delay_for(KeyError) == 0
    assert Mapped.effective_retry_limit() == 3  # the longest list of delays
    assert Backoff.effective_retry_limit() == 6
    assert Backoff.backoff_strategy == (0, 60, 600, 3600, 10_800, 21_600)


def test_a_mapping_gives_the_closest_exceptions_delays_by_attempt() -> None:
    class Mapped(Retry):
        retry_exceptions = {Exception: 99, Transient: (1, 2), KeyError: 5}

    Mapped.retry_attempt = 0
    assert Mapped.retry_delay_for(Narrow) == 1  # Transient's, not Exception's
    assert Mapped.retry_delay_for(KeyError) == 5
    assert Mapped.retry_delay_for(ValueError) == 99
    Mapped.retry_attempt = 5
    assert Mapped.retry_delay_for(Transient) == 2  # the last delay repeats
    assert Mapped.retry_exception(Narrow("x")) and not Mapped.retry_exception(BaseException())


def test_exponential_backoff_delays_and_jitter() -> None:
    class Jittery(ExponentialBackoff):
        backoff_strategy = (10, 100)
        retry_delay_multiplicand_min = 0.5
        retry_delay_multiplicand_max = 1.5

    for attempt, base in ((0, 10), (1, 100), (7, 100)):
        Jittery.retry_attempt = attempt
        for _ in range(50):
            delay = Jittery.retry_delay_for(KeyError)
            assert isinstance(delay, int) and base * 0.5 <= delay <= base * 1.5


def test_misconfigured_classes_fail_when_defined() -> None:
    with pytest.raises(AmbiguousRetryStrategy, match="not both"):

        class Both(Retry):
            retry_exceptions = (KeyError,)
            fatal_exceptions = (ValueError,)

    with pytest.raises(InvalidRetryDelayMultiplicand):

        class Upside(ExponentialBackoff):
            retry_delay_multiplicand_min = 2.0
            retry_delay_multiplicand_max = 1.0


@registry.register("Ignoring")
class Ignoring(Retry):
    queue = "q"
    retry_limit = 1
    ignore_exceptions = (Transient,)
    raises: type[Exception] = Transient

    @classmethod
    def perform(cls, n: int) -> None:
        raise cls.raises("again")


def test_ignored_exceptions_do_not_count_an_attempt(r: redis.Redis, rq: Resque) -> None:
    for _ in range(3):  # an ignored exception retries past the limit of 1
        assert not run(rq, "Ignoring", 1)
        assert attempts(r, "Ignoring", 1) == "-1"
        assert rq.reserve("q") is not None
    Ignoring.raises = KeyError
    try:
        assert not run(rq, "Ignoring", 1)  # attempt 0: one retry left
        assert not run(rq, "Ignoring", 1)  # attempt 1: the limit
    finally:
        Ignoring.raises = Transient
    assert attempts(r, "Ignoring", 1) is None and r.llen(K.failed) == 1


@registry.register("Checked")
class Checked(Retry):
    queue = "q"
    retry_exceptions = (Transient,)
    retry_criteria_checks = (lambda exc, n: "retry me" in str(exc),)

    @classmethod
    def perform(cls, n: int) -> None:
        raise KeyError("retry me" if n else "fatal")


def test_criteria_checks_retry_what_the_exception_lists_would_not(
    r: redis.Redis, rq: Resque
) -> None:
    assert not run(rq, "Checked", 1)
    assert rq.size("q") == 1 and r.llen(K.failed) == 0
    assert not run(rq, "Checked", 0)
    assert r.llen(K.failed) == 1 and attempts(r, "Checked", 0) is None


@registry.register("Worker::Target")
class Target:
    queue = "targets"

    @staticmethod
    def perform(*args: Any) -> None:
        return None


@registry.register("Delegating")
class Delegating(Retry):
    queue = "q"
    retry_delay = 30
    retry_job_delegate = Target

    @classmethod
    def retry_args(cls, *args: Any) -> list[Any]:
        return [*args, "retried"]

    @classmethod
    def perform(cls, *args: Any) -> None:
        raise Transient("down")


def test_a_delegate_takes_over_with_new_args_and_the_failure_is_recorded(
    r: redis.Redis, rq: Resque
) -> None:
    """As in Ruby: the retry is the delegate's, the attempt key goes, so the backend
    records this failure."""
    assert not run(rq, "Delegating", 5)
    assert delayed_items(r) == [
        {"class": "Worker::Target", "args": [5, "retried"], "queue": "targets"}
    ]
    assert attempts(r, "Delegating", 5) is None and r.llen(K.failed) == 1


@registry.register("NoQueue")
class NoQueue(Retry):
    retry_delay = 5

    @classmethod
    def perform(cls, *args: Any) -> None:
        raise Transient("down")


def test_a_retry_that_cannot_be_enqueued_is_recorded_not_lost(
    r: redis.Redis, rq: Resque, caplog: pytest.LogCaptureFixture
) -> None:
    assert not run(rq, "NoQueue", 1)
    assert r.llen(K.failed) == 1 and attempts(r, "NoQueue", 1) is None
    assert delayed_items(r) == [] and "could not retry" in caplog.text


@registry.register("Forever")
class Forever(Retry):
    queue = "q"
    retry_limit = -1

    @classmethod
    def perform(cls, *args: Any) -> None:
        raise Transient("down")


@registry.register("Never")
class Never(Retry):
    queue = "q"
    retry_limit = 0

    @classmethod
    def perform(cls, *args: Any) -> None:
        raise Transient("down")


def test_limits_below_zero_retry_forever_and_zero_never(r: redis.Redis, rq: Resque) -> None:
    for n in range(5):
        assert not run(rq, "Forever")
        assert attempts(r, "Forever") == str(n) and rq.reserve("q") is not None
    assert r.llen(K.failed) == 0
    assert not run(rq, "Never")
    assert r.llen(K.failed) == 1 and rq.size("q") == 0


@registry.register("Own Key")
class OwnKey(Retry):
    queue = "q"
    retry_delay = 7
    expire_retry_key_after = 100

    @classmethod
    def retry_identifier(cls, account: str, *rest: Any) -> str:
        return f"acct {account}"

    @classmethod
    def perform(cls, *args: Any) -> None:
        raise Transient("down")


def test_own_identifier_whitespace_stripped_and_expiry(r: redis.Redis, rq: Resque) -> None:
    """``redis_retry_key`` strips whitespace from the whole key, class name included; the
    key lives ``retry_delay + expire_retry_key_after`` seconds."""
    assert not run(rq, "Own Key", "a1", {"big": "payload"})
    key = K.retry_attempts("resque-retry:OwnKey:accta1")
    assert r.get(key) == "0" and 105 <= r.ttl(key) <= 107
    failure = json.loads(r.get(K.retry_failure("resque-retry:OwnKey:accta1")))
    assert failure["payload"] == {"class": "Own Key", "args": ["a1", {"big": "payload"}]}
    assert 13 <= r.ttl(K.retry_failure("resque-retry:OwnKey:accta1")) <= 14


@registry.register("Works")
class Works(Retry):
    queue = "q"

    @classmethod
    def perform(cls, *args: Any) -> None:
        return None


def test_success_clears_the_attempts(r: redis.Redis, rq: Resque) -> None:
    r.set(K.retry_attempts(K.retry_name("Works", None)), 3)
    assert run(rq, "Works")
    assert r.get(K.retry_attempts(K.retry_name("Works", None))) is None


def test_other_jobs_are_recorded_as_by_the_redis_backend(r: redis.Redis, rq: Resque) -> None:
    backend = backend_for(rq, "redis_retry_suppression")
    backend.save(KeyError("x"), "h:1:q", "q", {"class": "Ruby::Only", "args": [1]})
    backend.save(KeyError("x"), "h:1:q", "q", "not even a payload")
    records = [json.loads(x) for x in r.lrange(K.failed, 0, -1)]
    assert [f["payload"] for f in records] == [
        {"class": "Ruby::Only", "args": [1]},
        "not even a payload",
    ]


README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readmes_example_retries_as_it_says(
    r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = README.read_text(encoding="utf-8").split("## Retries", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's Retries section lost its example"
    # Registered in a copy of the default registry, so other tests do not see it.
    monkeypatch.setattr(default_registry, "_by_name", dict(default_registry._by_name))
    scope: dict[str, Any] = {"__name__": "readme_retry_example"}
    exec(compile(match.group(1), "README.md", "exec"), scope)
    hook = scope["DeliverWebHook"]
    assert default_registry.resolve("DeliverWebHook") is hook
    assert hook.effective_retry_limit() == 4 and hook.retry_exception(TimeoutError())
    assert not hook.retry_exception(PermissionError())
    resque = Resque(r)
    with using(resque):
        hook.retry_attempt = 1
        assert 60 <= hook.retry_delay_for(TimeoutError) <= 72
        r.set(K.retry_attempts(K.retry_name("DeliverWebHook", retry_identifier(["u", 1]))), 0)
        assert Job("web_hooks", {"class": "DeliverWebHook", "args": ["u", 1]}).perform()
    assert r.keys("resque:resque-retry:*") == []
