"""Failures across the backend's lists: the single ``failed`` list and, with the multi-queue
backend, one ``<queue>_failed`` list per queue. Paging, filtering and every action go
through :class:`resque_web.failure.FailureList`, the one implementation."""

from __future__ import annotations

from dataclasses import dataclass

from .. import payload as jsonp
from .. import times
from ..client import Resque
from ..failure import ActionResult, FailedJob, FailureList
from .failure_index import NONE, FailureIndex, indexes
from .page import Page, clamp_page, clamp_per_page


@dataclass(frozen=True)
class FailureFilter:
    """Which failures a view (and its bulk actions) covers; empty fields match everything."""

    job_class: str | None = None
    exception: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.job_class or self.exception)

    def needles(self) -> list[str]:
        """Substrings every matching raw record must contain: a cheap test before decoding."""
        return [jsonp.encode(v) for v in (self.job_class, self.exception) if v and v != NONE]

    def matches(self, failure: FailedJob) -> bool:
        if self.exception and (failure.exception or NONE) != self.exception:
            return False
        if self.job_class and self.job_class not in (
            failure.display_class,
            failure.job.class_name,
        ):
            return False
        return True

    def __call__(self, failure: FailedJob) -> bool:
        if not all(n in failure.raw for n in self.needles()):
            return False
        return self.matches(failure)


@dataclass(frozen=True)
class FailureListInfo:
    name: str  # the list's bare key name: "failed" or "<queue>_failed"
    queue: str | None  # None for the single `failed` list
    count: int


class Failures:
    def __init__(self, resque: Resque, retry_removes: bool = False) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        self.retry_removes = retry_removes
        self._multi: bool | None = None

    @property
    def multi_queue(self) -> bool:
        """True when failures are kept per queue (``failed_queues`` names some lists)."""
        if self._multi is None:
            self._multi = bool(self.redis.scard(self.keys.failed_queues))
        return self._multi

    def list(self, queue: str | None = None) -> FailureList:
        if queue is None:
            return FailureList(self.redis, self.keys, self.keys.failed)
        return FailureList(
            self.redis,
            self.keys,
            self.keys.failed_queue(queue),
            queue=queue,
            retried_stamp=times.retried_at_multi_queue,
        )

    def lists(self) -> list[FailureListInfo]:
        """The ``failed`` list and every per-queue list, with counts (two round trips)."""
        names = sorted(self.redis.smembers(self.keys.failed_queues))
        self._multi = bool(names)
        pipe = self.redis.pipeline(transaction=False)
        pipe.llen(self.keys.failed)
        for name in names:
            pipe.llen(self.keys.failed_list(name))
        counts = pipe.execute()
        out = []
        if counts[0] or not names:
            out.append(FailureListInfo("failed", None, int(counts[0])))
        for name, count in zip(names, counts[1:]):
            out.append(FailureListInfo(name, self.keys.queue_of_failed_list(name), int(count)))
        return out

    def count(self, queue: str | None = None) -> int:
        return self.list(queue).count()

    def exists(self, queue: str) -> bool:
        name = self.keys.failed_queue_name(queue)
        return bool(self.redis.sismember(self.keys.failed_queues, name)) or bool(
            self.redis.exists(self.keys.failed_queue(queue))
        )

    def page(
        self,
        queue: str | None = None,
        page: int = 1,
        per_page: int = 20,
        newest_first: bool = True,
        filter: FailureFilter | None = None,
    ) -> Page[FailedJob]:
        per_page = clamp_per_page(per_page)
        failures = self.list(queue)
        if filter is not None and filter.active:
            return self._filtered_page(failures, page, per_page, newest_first, filter)
        number = max(1, page)
        total, rows = failures.slice((number - 1) * per_page, per_page, newest_first)
        clamped = clamp_page(number, per_page, total)
        if clamped != number:
            number = clamped
            total, rows = failures.slice((number - 1) * per_page, per_page, newest_first)
        return Page(rows, number, per_page, total, newest_first, [f.index for f in rows])

    def _filtered_page(
        self,
        failures: FailureList,
        page: int,
        per_page: int,
        newest_first: bool,
        where: FailureFilter,
    ) -> Page[FailedJob]:
        """Positions come from the list's index; only the page's rows are read, in one
        round trip, and each is checked again in case the list moved since."""
        positions = self.index(failures).positions(where.job_class, where.exception)
        total = len(positions)
        number = clamp_page(page, per_page, total)
        ordered = positions[::-1] if newest_first else positions
        wanted = ordered[(number - 1) * per_page : number * per_page]
        pipe = self.redis.pipeline(transaction=False)
        for position in wanted:
            pipe.lindex(failures.key, position)
        rows = [
            FailedJob(position, raw, failures.queue)
            for position, raw in zip(wanted, pipe.execute() if wanted else [])
            if raw is not None
        ]
        rows = [row for row in rows if where.matches(row)]
        return Page(rows, number, per_page, total, newest_first, [f.index for f in rows])

    def index(self, failures: FailureList) -> FailureIndex:
        return indexes.get(self.redis, failures.key, failures.queue)

    def facets(
        self, queue: str | None = None
    ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(class, count) and (exception, count) over the whole list, commonest first."""
        return self.index(self.list(queue)).counts()

    def classes(self, queue: str | None = None) -> list[tuple[str, int]]:
        return self.facets(queue)[0]

    def exceptions(self, queue: str | None = None) -> list[tuple[str, int]]:
        return self.facets(queue)[1]

    # Actions ------------------------------------------------------------------
    def retry(self, queue: str | None, index: int, digest: str) -> ActionResult:
        return self.list(queue).retry(index, digest, remove=self.retry_removes)

    def remove(self, queue: str | None, index: int, digest: str) -> ActionResult:
        return self.list(queue).remove(index, digest)

    def retry_all(
        self,
        queue: str | None = None,
        filter: FailureFilter | None = None,
    ) -> ActionResult:
        where = filter if filter is not None and filter.active else None
        return self.list(queue).retry_all(where, remove=self.retry_removes)

    def clear(
        self,
        queue: str | None = None,
        filter: FailureFilter | None = None,
    ) -> ActionResult:
        where = filter if filter is not None and filter.active else None
        return self.list(queue).remove_all(where)

    def clear_retried(self, queue: str | None = None) -> ActionResult:
        return self.list(queue).clear_retried()
