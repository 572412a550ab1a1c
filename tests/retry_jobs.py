"""Retry jobs for the worker tests (``--require tests.retry_jobs``).

The first group mirrors, name for name, the Ruby jobs whose Redis state
``tests/test_retry_bytes.py`` pins (the shared fixture's Flaky/Backoff/Hopeless and a hand
capture): same queues, settings, exception names and messages, so one worker run can be
compared key by key with what resque-retry wrote. Each perform appends
``<tag> <attempt>`` to ``$RESQUE_TEST_RECORD`` (see :mod:`tests.jobs`).
"""

from __future__ import annotations

import os
import signal

from resque_web import ExponentialBackoff, Retry, job
from resque_web.retry import ruby_inspect
from tests.jobs import record


class RubyIOError(OSError):
    ruby_name = "IOError"


class RubyArgumentError(ValueError):
    ruby_name = "ArgumentError"


class RubyTimeout(TimeoutError):
    ruby_name = "Timeout::Error"


# As captured from Ruby ------------------------------------------------------------------
@job("Flaky")
class Flaky(Retry):
    queue = "flaky"
    retry_limit = 3
    retry_delay = 600

    @classmethod
    def perform(cls, *args: object) -> None:
        record("flaky", cls.retry_attempt)
        raise RubyIOError(f"upstream down ({ruby_inspect(list(args))})")


@job("Expiring")
class Expiring(Retry):
    queue = "flaky"
    retry_delay = 10
    expire_retry_key_after = 3600

    @classmethod
    def perform(cls, *args: object) -> None:
        raise RubyIOError("x")


@job("Mapped")
class Mapped(Retry):
    queue = "flaky"
    retry_exceptions = {RubyIOError: (3, 7), RuntimeError: 5}

    @classmethod
    def perform(cls, kind: str) -> None:
        raise (RubyIOError if kind == "io" else RuntimeError)(f"boom {kind}")


@job("Fatal")
class Fatal(Retry):
    queue = "flaky"
    retry_delay = 30
    fatal_exceptions = (RubyArgumentError,)

    @classmethod
    def perform(cls, *args: object) -> None:
        record("fatal", cls.retry_attempt)
        raise RubyArgumentError("bad")


@job("Hopeless")
class Hopeless(Retry):
    """One retry at once (delay 0), then it gives up."""

    queue = "flaky"
    retry_limit = 1

    @classmethod
    def perform(cls, *args: object) -> None:
        record("hopeless", cls.retry_attempt)
        raise RubyArgumentError("never works")


@job("Killer")
class Killer(Retry):
    """Dies by SIGKILL on its first attempt (Resque::DirtyExit), works on its retry."""

    queue = "killer"
    retry_delay = 45

    @classmethod
    def perform(cls, tag: str) -> None:
        record(tag, cls.retry_attempt)
        if cls.retry_attempt == 0:
            os.kill(os.getpid(), signal.SIGKILL)


@job("Backoff")
class Backoff(ExponentialBackoff):
    queue = "flaky"
    backoff_strategy = (0, 60, 600, 3600)

    @classmethod
    def perform(cls, *args: object) -> None:
        raise RubyTimeout("slow upstream")


@job("Elsewhere")
class Elsewhere(Retry):
    queue = "flaky"
    retry_delay = 20
    retry_queue = "retries"

    @classmethod
    def perform(cls, *args: object) -> None:
        raise RuntimeError("x")


@job("Hashy")
class Hashy(Retry):
    queue = "flaky"
    retry_delay = 5

    @classmethod
    def perform(cls, *args: object) -> None:
        raise RuntimeError("hash")


# Python only ----------------------------------------------------------------------------
@job("FailTwice")
class FailTwice(Retry):
    """Fails on its first two attempts, then works."""

    queue = "retry"
    retry_limit = 3
    retry_delay = 2

    @classmethod
    def perform(cls, tag: str) -> None:
        record(tag, cls.retry_attempt)
        if cls.retry_attempt < 2:
            raise TimeoutError(f"attempt {cls.retry_attempt} timed out")


@job("BackoffTwice")
class BackoffTwice(ExponentialBackoff):
    """Fails twice with growing delays (1 s, then 3 s), then works."""

    queue = "retry"
    backoff_strategy = (1, 3, 9)

    @classmethod
    def perform(cls, tag: str) -> None:
        record(tag, cls.retry_attempt)
        if cls.retry_attempt < 2:
            raise ConnectionError("refused")


@job("Instance")
class Instance(Retry):
    """A job whose perform is a plain method (one instance per job): the hooks still work."""

    queue = "retry"
    retry_limit = 2
    retry_delay = 0

    def perform(self, tag: str) -> None:
        record(tag, self.retry_attempt)
        raise KeyError(tag)
