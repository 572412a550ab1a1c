"""resque-scheduler's delayed jobs as the Delayed tab sees them: timestamps oldest first,
one timestamp's jobs, a bounded search, and the actions (Queue now, Delete, Clear).

resque-scheduler 5.0 keeps ``delayed_queue_schedule`` (a zset of epochs, score = member),
one list ``delayed:<epoch>`` of job JSON per epoch (``{"class","args","queue"}``), and a set
``timestamps:<job JSON>`` naming the lists that hold each job. A page reads one script's
answer: its rows and the totals, never the whole schedule. Actions name a job by epoch,
list position and the SHA-1 of the item the user saw, and are checked and applied in one
Lua step (:mod:`.delayed_scripts`), so a job the scheduler moved meanwhile is never hit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import payload as jsonp
from ..client import Resque
from ..failure import ActionResult
from ..failure.record import digest as record_digest
from ..job import Job
from ..scheduler.plan import PlanError, plan
from .convert import as_int
from .page import Page, clamp_per_page
from .scheduler_scripts import (
    CLEAR_CHUNK,
    COUNT,
    PAGE,
    QUEUE_CHUNK,
    SEARCH,
    TAKE_ONE,
    TIMESTAMP_PAGE,
)

# Timestamps whose jobs a page counts in its one script (a tenth of a millisecond of Redis
# at 100): beyond, the page counts on request (``totals``), a chunk of timestamps per call.
PAGE_COUNT_LIMIT = 100
COUNT_CHUNK = 1000
# A search reads this many items per script call (a couple of ms of Redis), until it has
# the rows the page shows or runs out of time; it then says the result is partial.
SEARCH_CHUNK = 2000
SEARCH_BUDGET = 2.0
# Queue now on a timestamp and Clear work in chunks of this many items (each one script
# call, so Redis is never blocked long) and stop after ACTION_BUDGET seconds, saying what
# is left.
ACTION_CHUNK = 500
ACTION_BUDGET = 10.0
STALE_RETRIES = 5


class TimestampNotFound(LookupError):
    """No delayed jobs at that time: the epoch is not scheduled and its list is empty."""


class NotQueueable(ValueError):
    """A job the scheduler itself could not enqueue (no class, no queue, not an object)."""


def queue_item(config: Any) -> tuple[str, str]:
    """(queue, queue item) for a delayed item or schedule entry, as resque-scheduler's
    ``enqueue_from_config`` builds it when the job's class is not loaded (the dashboard
    runs no job code, so no hooks): ``Resque::Job.create(queue, class, *params)``. Raises
    :class:`NotQueueable` when Ruby's scheduler could not enqueue it either."""
    try:
        done = plan(config, _no_code)
    except PlanError as exc:
        raise NotQueueable(str(exc)) from None
    if done.item is None:  # only a loaded class's hooks or ``scheduled`` say so
        raise NotQueueable(f"{done.class_name} is taken over by its own code")
    return done.queue, done.item


def _no_code(name: str) -> None:
    """The dashboard resolves no class name to code."""
    return None


def _epoch_of(member: str) -> int | None:
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
        return _epoch_of(self.member)

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


def _ascii_lower(text: str) -> str:
    """Lowercase ASCII only, as Lua's ``string.lower`` does in the C locale."""
    return text.translate({c: c + 32 for c in range(65, 91)})


def _json_text(text: str) -> str:
    """How ``text`` appears inside a JSON string as Ruby writes it (quotes and backslashes
    escaped, unicode raw)."""
    return jsonp.encode(text)[1:-1]


class Delayed:
    def __init__(self, resque: Resque) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        register = self.redis.register_script
        self._page = register(PAGE)
        self._count = register(COUNT)
        self._timestamp_page = register(TIMESTAMP_PAGE)
        self._take_one = register(TAKE_ONE)
        self._queue_chunk = register(QUEUE_CHUNK)
        self._clear_chunk = register(CLEAR_CHUNK)
        self._search = register(SEARCH)

    # Reading -------------------------------------------------------------------
    def overview(
        self,
        page: int = 1,
        per_page: int = 20,
        now: float | None = None,
        count_limit: int | None = None,
    ) -> tuple[DelayedSummary, Page[DelayedTimestamp]]:
        """The totals and a page of timestamps, oldest first: one round trip. Jobs are
        counted over the ``count_limit`` (PAGE_COUNT_LIMIT) oldest timestamps."""
        per_page = clamp_per_page(per_page)
        count_limit = PAGE_COUNT_LIMIT if count_limit is None else count_limit
        now = time.time() if now is None else now
        keys = self.keys
        total, due, oldest, number, members, sizes, firsts, jobs, counted = self._page(
            keys=[keys.delayed_schedule],
            args=[keys.delayed_prefix, max(1, page), per_page, count_limit, int(now)],
        )
        rows = [
            DelayedTimestamp(m, int(n), Job.from_raw("", f) if int(n) > 0 else None)
            for m, n, f in zip(members, sizes, firsts)
        ]
        summary = DelayedSummary(
            int(total),
            int(due),
            _epoch_of(oldest) if oldest else None,
            int(jobs),
            int(counted),
            now,
        )
        offset = (int(number) - 1) * per_page
        indexes = [offset + i for i in range(len(rows))]
        return summary, Page(rows, int(number), per_page, int(total), False, indexes)

    def timestamp(self, epoch: int, page: int = 1, per_page: int = 20) -> Page[DelayedJob]:
        """A page of the jobs due at ``epoch``, in list order (the order the scheduler
        enqueues them): one round trip."""
        per_page = clamp_per_page(per_page)
        keys = self.keys
        listed, size, number, raws = self._timestamp_page(
            keys=[keys.delayed(epoch), keys.delayed_schedule],
            args=[str(epoch), max(1, page), per_page],
        )
        if not int(listed) and int(size) <= 0:
            raise TimestampNotFound(epoch)
        offset = (int(number) - 1) * per_page
        rows = [DelayedJob(epoch, offset + i, Job.from_raw("", raw)) for i, raw in enumerate(raws)]
        return Page(rows, int(number), per_page, max(int(size), 0), False, [r.index for r in rows])

    def totals(self, budget: float = 5.0, now: float | None = None) -> DelayedTotals:
        """Every delayed job counted, a chunk of timestamps per script call (about 1 ms of
        Redis each: 100 calls at 100,000 timestamps), for ``/metrics``. Stops after
        ``budget`` seconds with ``complete`` False."""
        summary, _ = self.overview(1, 1, now, count_limit=0)
        keys = self.keys
        jobs, start, deadline = 0, 0, time.monotonic() + budget
        while start < summary.timestamps:
            jobs += as_int(
                self._count(
                    keys=[keys.delayed_schedule],
                    args=[keys.delayed_prefix, start, start + COUNT_CHUNK - 1],
                )
            )
            start += COUNT_CHUNK
            if time.monotonic() > deadline:
                break
        complete = start >= summary.timestamps
        return DelayedTotals(jobs, summary.timestamps, summary.oldest, summary.lag, complete)

    def search(
        self,
        class_text: str = "",
        args_text: str = "",
        want: int = 100,
        budget: float = SEARCH_BUDGET,
    ) -> DelayedSearch:
        """Delayed jobs whose class holds ``class_text`` (ignoring ASCII case) and whose
        arguments, as stored JSON, hold ``args_text``; oldest first, the first ``want`` of
        them. Redis reads the items (a chunk per call) and returns likely matches only;
        each is checked here on the decoded job."""
        class_needle = _ascii_lower(_json_text(class_text)) if class_text else ""
        keys = self.keys
        rank, position, read = 0, 0, 0
        rows: list[DelayedJob] = []
        deadline = time.monotonic() + budget
        matches = _matcher(class_text, args_text)
        while len(rows) < want:
            rank, position, got, found = self._search(
                keys=[keys.delayed_schedule],
                args=[
                    keys.delayed_prefix,
                    rank,
                    position,
                    SEARCH_CHUNK,
                    class_needle,
                    args_text,
                    want - len(rows),
                ],
            )
            rank, position, read = int(rank), int(position), read + int(got)
            for i in range(0, len(found), 3):
                epoch = _epoch_of(found[i])
                job = Job.from_raw("", found[i + 2])
                if epoch is not None and matches(job):
                    rows.append(DelayedJob(epoch, int(found[i + 1]), job))
            if rank < 0:
                return DelayedSearch(rows[:want], True, read)
            if len(rows) < want and time.monotonic() > deadline:
                return DelayedSearch(rows, False, read)
        return DelayedSearch(rows[:want], True, read, more=True)

    # Actions -------------------------------------------------------------------
    def find(self, epoch: int, index: int, digest: str) -> DelayedJob | None:
        """The job at ``index`` of ``delayed:<epoch>`` if it is still the one with this
        SHA-1, else None."""
        raw = self.redis.lindex(self.keys.delayed(epoch), index)
        if raw is None or record_digest(raw) != digest:
            return None
        return DelayedJob(epoch, index, Job.from_raw("", raw))

    def remove_job(self, epoch: int, index: int, digest: str) -> ActionResult:
        """Delete exactly the job the user saw (Ruby's ``remove_delayed_job_from_timestamp``
        removes every copy; this removes the one clicked)."""
        found = self.find(epoch, index, digest)
        if found is None or not self._take(found, "", ""):
            return _gone()
        return ActionResult(
            True, f"Deleted one delayed {found.job.display_class} job due at {_when(epoch)}.", 1
        )

    def queue_job(self, epoch: int, index: int, digest: str) -> ActionResult:
        """Enqueue one delayed job now: take it out of its list and push it onto its queue,
        in one step, as the scheduler would when it falls due."""
        found = self.find(epoch, index, digest)
        if found is None:
            return _gone()
        try:
            queue, item = queue_item(_payload(found.job))
        except NotQueueable as exc:
            return ActionResult(False, f"This job cannot be queued: {exc}. Nothing was changed.")
        if not self._take(found, queue, item):
            return _gone()
        return ActionResult(
            True,
            f"Queued one {found.job.display_class} job on {queue} (was due {_when(epoch)}).",
            1,
        )

    def _take(self, found: DelayedJob, queue: str, item: str) -> bool:
        keys = self.keys
        done = self._take_one(
            keys=[
                keys.delayed(found.epoch),
                keys.delayed_schedule,
                keys.queues,
                keys.queue(queue) if queue else keys.queues,
            ],
            args=[
                found.index,
                found.digest,
                _tombstone(),
                keys.timestamps_prefix,
                keys.delayed_name(found.epoch),
                str(found.epoch),
                queue,
                item,
            ],
        )
        return bool(int(done))

    def queue_timestamp(self, epoch: int, budget: float = ACTION_BUDGET) -> ActionResult:
        """Enqueue every job due at ``epoch`` now, a checked chunk per step; items the
        scheduler could not enqueue either (unreadable, no queue) stay where they are."""
        keys = self.keys
        key = keys.delayed(epoch)
        skip, moved, stale, kept = 0, 0, 0, 0
        reason = ""  # why the first item that stays could not be queued
        deadline = time.monotonic() + budget
        while True:
            raws = self.redis.lrange(key, skip, skip + ACTION_CHUNK - 1)
            if not raws:
                break
            args: list[Any] = [
                _tombstone(),
                keys.timestamps_prefix,
                keys.queue(""),
                keys.delayed_name(epoch),
                str(epoch),
                skip,
            ]
            stays, why = 0, ""
            for raw in raws:
                try:
                    queue, item = queue_item(_payload(Job.from_raw("", raw)))
                except NotQueueable as exc:
                    queue, item = "", ""
                    stays, why = stays + 1, why or str(exc)
                args += [record_digest(raw), queue, item]
            done = int(self._queue_chunk(keys=[key, keys.delayed_schedule, keys.queues], args=args))
            if done < 0:
                stale += 1  # the list changed under us (the scheduler took jobs): read again
                if stale > STALE_RETRIES:
                    break
                continue
            moved += done
            skip += stays
            kept, reason = kept + stays, reason or why
            if len(raws) < ACTION_CHUNK or time.monotonic() > deadline:
                break
        if not (moved or kept or stale):
            return ActionResult(
                False, f"No jobs are delayed to {_when(epoch)} any more; nothing was changed."
            )
        left = int(self.redis.llen(key))
        return _queued_message(epoch, moved, kept, reason, left)

    def clear(self, budget: float = ACTION_BUDGET) -> ActionResult:
        """Ruby's ``reset_delayed_queue`` (every delayed job and its ``timestamps:`` set), in
        bounded chunks; after ``budget`` seconds it stops and says how many are left."""
        keys = self.keys
        jobs, left, deadline = 0, 0, time.monotonic() + budget
        while True:
            deleted, _emptied, left = self._clear_chunk(
                keys=[keys.delayed_schedule],
                args=[keys.delayed_prefix, keys.timestamps_prefix, ACTION_CHUNK * 2],
            )
            jobs += int(deleted)
            left = int(left)
            if left == 0 or time.monotonic() > deadline:
                break
        message = f"Cleared {jobs:,} delayed job{'s' if jobs != 1 else ''}."
        if left:
            message += f" {left:,} timestamps are left (it ran out of time): clear again."
        return ActionResult(True, message, jobs)


def _matcher(class_text: str, args_text: str) -> Callable[[Job], bool]:
    needle = _ascii_lower(class_text)

    def matches(job: Job) -> bool:
        if needle:
            names = {job.class_name or "", job.display_class}
            if not any(needle in _ascii_lower(n) for n in names):
                return False
        if args_text:
            text = job.raw if job.error else jsonp.encode(job.args)
            return args_text in text
        return True

    return matches


def _payload(job: Job) -> Any:
    """What the scheduler would decode; an unreadable item says why it cannot be queued."""
    if job.error and not isinstance(job.payload, dict):
        raise NotQueueable(job.error)
    return job.payload


def _tombstone() -> str:
    return f"resque-web:tombstone:{uuid.uuid4().hex}"


def _when(epoch: int) -> str:
    at = epoch_time(epoch)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else str(epoch)


def _gone() -> ActionResult:
    return ActionResult(
        False,
        "That delayed job is no longer there (the scheduler enqueued it, or it was deleted "
        "or changed); nothing was changed.",
    )


def _queued_message(epoch: int, moved: int, kept: int, reason: str, left: int) -> ActionResult:
    parts = [f"Queued {moved:,} job{'s' if moved != 1 else ''} due at {_when(epoch)}."]
    if kept:
        parts.append(f"{kept:,} could not be queued and stay delayed (the first: {reason}).")
    if left > kept:
        parts.append(f"{left - kept:,} more are still at that time: queue them again.")
    return ActionResult(moved > 0 or not kept, " ".join(parts), moved)
