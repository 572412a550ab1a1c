"""The Delayed tab's page reads: the totals with a page of timestamps, one timestamp's
jobs, and every job counted (for ``/metrics``), each page one script call."""

from __future__ import annotations

import time

from ...client import Resque
from ...job import Job
from ..convert import as_int
from ..page import Page, clamp_per_page
from ..scheduler_scripts import COUNT, PAGE, TIMESTAMP_PAGE
from .rows import (
    DelayedJob,
    DelayedSummary,
    DelayedTimestamp,
    DelayedTotals,
    TimestampNotFound,
    epoch_of,
)

# Timestamps whose jobs a page counts in its one script (a tenth of a millisecond of Redis
# at 100): beyond, the page counts on request (``totals``), a chunk of timestamps per call.
PAGE_COUNT_LIMIT = 100
COUNT_CHUNK = 1000


class DelayedReads:
    """Reads of resque-scheduler's delayed queue, proportional to the page shown. The
    search and the actions build on it (:class:`resque_web.model.delayed.Delayed`)."""

    def __init__(self, resque: Resque) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        register = self.redis.register_script
        self._page = register(PAGE)
        self._count = register(COUNT)
        self._timestamp_page = register(TIMESTAMP_PAGE)

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
            epoch_of(oldest) if oldest else None,
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
