"""Retry jobs for the worker tests (``--require tests.retry_jobs``), named as the Ruby jobs
of the shared fixture and of the hand captures in ``tests/test_retry_bytes.py``.

Each perform appends ``<tag> <attempt>`` to ``$RESQUE_TEST_RECORD`` (see :mod:`tests.jobs`).
"""

from __future__ import annotations

import os
import signal

from resque_web import ExponentialBackoff, Retry, job
from tests.jobs import record


class RubyIOError(OSError):
    """Ruby's ``IOError``, as the captured failure records name it."""

    ruby_name = "IOError"


@job("Flaky")
class Flaky(Retry):
    """The fixture's Flaky: 3 retries, 600 s apart, always failing."""

    queue = "flaky"
    retry_limit = 3
    retry_delay = 600

    @classmethod
    def perform(cls, *args: object) -> None:
        record("flaky", cls.retry_attempt)
        raise RubyIOError(f"upstream down ({args!r})")


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


@job("Hopeless")
class Hopeless(Retry):
    """The fixture's Hopeless: one retry at once, then it gives up."""

    queue = "retry"
    retry_limit = 1

    @classmethod
    def perform(cls, *args: object) -> None:
        record("hopeless", cls.retry_attempt)
        raise ValueError("never works")


@job("Fatal")
class Fatal(Retry):
    """A fatal exception is never retried."""

    queue = "retry"
    retry_delay = 30
    fatal_exceptions = (ValueError,)

    @classmethod
    def perform(cls, *args: object) -> None:
        record("fatal", cls.retry_attempt)
        raise ValueError("bad")


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
