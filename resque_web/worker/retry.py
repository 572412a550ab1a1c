"""Riding out Redis outages: retry with capped exponential backoff, and say so in the log.

Ruby's worker dies on the first Redis error and loses the job it holds. Ours keeps the job
in memory and keeps trying, so a restarting Redis costs time, not jobs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

T = TypeVar("T")

# Errors that mean "Redis is unreachable right now" (BusyLoadingError is a ConnectionError).
REDIS_DOWN: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError)

FIRST_DELAY = 0.1
MAX_DELAY = 5.0


class GaveUp(Exception):
    """Retrying stopped because the worker was told to stop."""


class Backoff:
    """0.1 s, 0.2 s, 0.4 s ... never more than ``cap``."""

    def __init__(self, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> None:
        self.first, self.cap = first, cap
        self.delay = first

    def next(self) -> float:
        delay = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return delay


def until_redis(
    action: Callable[[], T],
    what: str,
    log: logging.Logger,
    sleep: Callable[[float], None] = time.sleep,
    give_up: Callable[[], bool] | None = None,
    on_recovered: Callable[[], None] | None = None,
) -> T:
    """``action()``, retried while Redis is unreachable.

    ``give_up`` is asked before each wait; when it says yes, :class:`GaveUp` is raised.
    ``on_recovered`` runs once Redis answers again after an outage (e.g. to re-register).
    """
    backoff: Backoff | None = None
    started = 0.0
    while True:
        try:
            result = action()
        except REDIS_DOWN as exc:
            if backoff is None:
                backoff, started = Backoff(), time.monotonic()
            if give_up is not None and give_up():
                raise GaveUp(f"stopped retrying {what}: {exc}") from exc
            delay = backoff.next()
            log.error("Redis unavailable while %s (%s); retrying in %.1fs", what, exc, delay)
            sleep(delay)
            continue
        if backoff is not None:
            log.warning("Redis is back after %.1fs (%s)", time.monotonic() - started, what)
            if on_recovered is not None:
                try:
                    on_recovered()
                except REDIS_DOWN as exc:
                    log.error("Redis dropped again right after %s: %s", what, exc)
        return result
