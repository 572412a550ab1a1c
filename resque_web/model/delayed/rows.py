"""What the Delayed tab's reads answer: a delayed job, a timestamp row, the totals, a
search's result; and the two ways a read or an action says no."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ...failure.record import digest as record_digest
from ...job import Job


class TimestampNotFound(LookupError):
    """No delayed jobs at that time: the epoch is not scheduled and its list is empty."""


class NotQueueable(ValueError):
    """A job the scheduler itself could not enqueue (no class, no queue, not an object)."""


def epoch_of(member: str) -> int | None:
    """The epoch a ``delayed_queue_schedule`` member names (None for anything else)."""
    try:
        return int(member)
    except ValueError:
        return None


def epoch_time(epoch: int | None) -> datetime | None:
    """The UTC time of epoch seconds (None for none, or one Python cannot represent)."""
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class DelayedJob:
    """One item of ``delayed:<epoch>`` at list position ``index``."""

    epoch: int
    index: int
    job: Job

    @property
    def at(self) -> datetime | None:
        return epoch_time(self.epoch)

    @property
    def digest(self) -> str:
        return record_digest(self.job.raw)

    @property
    def queue(self) -> str | None:
        data = self.job.payload
        queue = data.get("queue") if isinstance(data, dict) else None
        return queue if isinstance(queue, str) else None


@dataclass(frozen=True)
class DelayedTimestamp:
    """A row of the Delayed tab: an epoch, how many jobs it holds and the first of them.
    ``size`` is -1 when ``delayed:<epoch>`` holds another Redis type."""

    member: str
    size: int
    first: Job | None

    @property
    def epoch(self) -> int | None:
        return epoch_of(self.member)

    @property
    def at(self) -> datetime | None:
        return epoch_time(self.epoch)


@dataclass(frozen=True)
class DelayedSummary:
    """The totals over the whole schedule: ``jobs`` is counted over the ``counted`` oldest
    timestamps (all of them unless there are more than a page counts)."""

    timestamps: int
    due: int  # timestamps at or before now: the scheduler has yet to move them
    oldest: int | None
    jobs: int
    counted: int
    now: float

    @property
    def jobs_exact(self) -> bool:
        return self.counted >= self.timestamps

    @property
    def oldest_at(self) -> datetime | None:
        return epoch_time(self.oldest)

    @property
    def lag(self) -> float:
        """Seconds the oldest due timestamp is overdue (0 when nothing is due): how far the
        scheduler is behind."""
        if self.oldest is None or self.oldest > self.now:
            return 0.0
        return self.now - self.oldest


@dataclass(frozen=True)
class DelayedTotals:
    """The ``/metrics`` numbers: every delayed job counted (``complete`` False when the
    count ran out of time), the timestamps, and the scheduler's lag."""

    jobs: int
    timestamps: int
    oldest: int | None
    lag: float
    complete: bool


@dataclass(frozen=True)
class DelayedSearch:
    """Jobs whose class (case-insensitive) and arguments text hold what was asked, oldest
    first; ``complete`` is False when the search stopped (out of time) after ``read`` items."""

    rows: list[DelayedJob]
    complete: bool
    read: int
    more: bool = False  # it stopped at the rows asked for: there may be more matches
