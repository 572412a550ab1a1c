"""The delayed queue the Delayed and Retry tab benches build (``bench/delayed_pages.py``,
``bench/retry_pages.py``), written as Ruby's ``delayed_push`` writes it, through pipelines
flushed every few thousand commands. Their timing rows are in ``bench/tab_timing.py``.

Keys are spelled only by :class:`resque_web.keys.Keys`.
"""

from __future__ import annotations

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
