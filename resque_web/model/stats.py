"""Resque's headline numbers and Redis' own INFO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..client import Resque
from ..connection import mask_url
from ..keys import FAILED_QUEUE_SUFFIX
from .convert import as_int
from .failures import FailureListInfo, failure_lists
from .page import Page, clamp_page, clamp_per_page
from .queues import QueueSummary
from .scripts import SET_CHUNK, SET_CHUNK_SIZE, SUMMARY, set_lengths


@dataclass(frozen=True)
class ResqueStats:
    pending: int  # jobs in all registered queues
    processed: int  # stat:processed
    failed: int  # stat:failed (Resque's counter: not always the failures listed)
    queues: int
    workers: int
    working: int
    failed_listed: int  # failures actually stored in the failure list(s)


@dataclass(frozen=True)
class Summary:
    """What one pass over the queues tells: the numbers, every queue's (name, size, failed
    count or None) sorted by name, and the failure lists. A page built from it costs one
    round trip."""

    numbers: ResqueStats
    sizes: list[tuple[str, int, int | None]]
    failure_lists: list[FailureListInfo]

    def queue_page(self, page: int = 1, per_page: int = 50) -> Page[QueueSummary]:
        per_page = clamp_per_page(per_page)
        number = clamp_page(page, per_page, len(self.sizes))
        offset = (number - 1) * per_page
        rows = [QueueSummary(*row) for row in self.sizes[offset : offset + per_page]]
        indexes = list(range(offset, offset + len(rows)))
        return Page(rows, number, per_page, len(self.sizes), False, indexes)


class Stats:
    def __init__(self, resque: Resque) -> None:
        self.redis = resque.redis
        self.keys = resque.keys
        self._summary = self.redis.register_script(SUMMARY)
        self._chunk = self.redis.register_script(SET_CHUNK)

    def resque(self, count_working: bool = True) -> ResqueStats:
        """One round trip up to SET_CHUNK_SIZE queues and failure lists (a script counts
        them), then one per further chunk: no script call blocks Redis for long however
        many queues are registered. Without ``count_working`` the busy workers are not
        counted (``working`` is -1): a page that reads who is busy counts them there."""
        return self._read(count_working).numbers

    def with_queue_sizes(self) -> tuple[ResqueStats, list[tuple[str, int]]]:
        """The numbers and every queue's (name, size), sorted by name, from the same reads
        (they read each queue's length for the total anyway): what ``/stats.txt`` prints,
        in one round trip per SET_CHUNK_SIZE queues."""
        found = self.summary()
        return found.numbers, [(name, size) for name, size, _ in found.sizes]

    def summary(self, count_working: bool = True) -> Summary:
        """The numbers, every queue's size and the failure lists: one round trip while the
        queues and the failure lists each fit a chunk (SET_CHUNK_SIZE), one more per
        further chunk."""
        return self._read(count_working, with_failed=True)

    def _read(self, count_working: bool, with_failed: bool = False) -> Summary:
        keys = self.keys
        (workers, working, plain, processed, failed, multi,
         qcursor, queues, fcursor, lists) = self._summary(
            keys=[keys.queues, keys.workers, keys.failed_queues, keys.failed, keys.processed,
                  keys.failed_count],
            args=[keys.queue(""), keys.worker(""), keys.prefix, "1" if count_working else "0",
                  SET_CHUNK_SIZE, FAILED_QUEUE_SUFFIX if with_failed else ""],
        )  # fmt: skip
        lengths = [(keys.queue(""), "")]
        per_queue = with_failed and int(multi) == 1
        if per_queue:
            lengths.append((keys.prefix, FAILED_QUEUE_SUFFIX))
        sizes = set_lengths(self._chunk, keys.queues, lengths, qcursor, queues)
        failed_lists = set_lengths(
            self._chunk, keys.failed_queues, [(keys.prefix, "")], fcursor, lists
        )
        counts = {name: n for name, (n,) in failed_lists.items()}
        numbers = ResqueStats(
            pending=sum(n[0] for n in sizes.values()),
            processed=as_int(processed),
            failed=as_int(failed),
            queues=len(sizes),
            workers=as_int(workers),
            working=int(working),
            failed_listed=as_int(plain) + sum(counts.values()),
        )
        rows = sorted((name, n[0], n[1] if per_queue else None) for name, n in sizes.items())
        return Summary(numbers, rows, failure_lists(plain, counts, keys.queue_of_failed_list))

    def redis_info(self) -> dict[str, Any]:
        return dict(self.redis.info())

    def server(self) -> str:
        """``redis://host:port/db`` of this connection, password masked."""
        pool = self.redis.connection_pool
        kwargs = pool.connection_kwargs
        service = getattr(pool, "service_name", None)
        if service is not None:  # a Sentinel-managed pool: no fixed host
            return f"redis+sentinel service {service} (db {kwargs.get('db', 0)})"
        if "path" in kwargs:
            return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
        host = kwargs.get("host", "localhost")
        url = f"redis://{host}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
        return mask_url(url)
