"""What the Delayed and Retry tab benches share (``bench/delayed_pages.py``,
``bench/retry_pages.py``): a delayed queue written as Ruby's ``delayed_push`` writes it,
through pipelines flushed every few thousand commands, and one timed row per page.

Keys are spelled only by :class:`resque_web.keys.Keys`.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from resque_web.keys import Keys

T0 = 1_900_000_000  # the first timestamp: far ahead, so nothing is due
STEP = 60  # seconds between timestamps
FLUSH_EVERY = 20_000  # commands per pipeline flush: round trips vanish, buffers stay small


class Batch:
    """A pipeline that sends what is queued every ``FLUSH_EVERY`` commands."""

    def __init__(self, client: redis.Redis) -> None:
        self.pipe = client.pipeline(transaction=False)
        self.pending = 0

    def queued(self, commands: int) -> None:
        self.pending += commands
        if self.pending >= FLUSH_EVERY:
            self.pipe.execute()
            self.pending = 0

    def finish(self) -> None:
        self.pipe.execute()
        self.pending = 0


def epoch_at(stamp: int) -> int:
    """The epoch of the ``stamp``-th timestamp of a built state."""
    return T0 + stamp * STEP


def push_delayed(batch: Batch, keys: Keys, epoch: int, items: list[str]) -> None:
    """One timestamp's jobs as resque-scheduler's ``delayed_push`` writes them: RPUSH onto
    ``delayed:<epoch>``, each item's ``timestamps:<item>`` set, the epoch in the schedule."""
    pipe = batch.pipe
    pipe.rpush(keys.delayed(epoch), *items)
    for item in items:
        pipe.sadd(keys.timestamps(item), keys.delayed_name(epoch))
    pipe.zadd(keys.delayed_schedule, {str(epoch): epoch})
    batch.queued(len(items) + 2)


@dataclass
class Row:
    """One timed line: median and p95 in ms, Redis round trips per request (-1: not a
    request), and a note ("partial")."""

    median: float
    p95: float
    round_trips: int
    note: str = ""

    @classmethod
    def of(cls, laps: list[float], round_trips: int = -1, note: str = "") -> Row:
        laps = sorted(laps)
        p95 = laps[max(0, int(len(laps) * 0.95) - 1)]
        return cls(statistics.median(laps), p95, round_trips, note)


def lap(run: Callable[[], Any]) -> float:
    """How long ``run()`` took, in ms."""
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def laps_of(run: Callable[[], Any], repeat: int) -> list[float]:
    """``run`` timed ``repeat`` times, in ms."""
    return [lap(run) for _ in range(repeat)]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        redis_version = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=False
        ).stdout.split()[2]
    except (OSError, IndexError):
        redis_version = "?"
    return f"Python {platform.python_version()}, {cpu}, redis-server {redis_version}"
