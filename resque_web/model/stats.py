"""Resque's headline numbers and Redis' own INFO."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ..client import Resque
from ..connection import mask_url
from ..keys import FAILED_QUEUE_SUFFIX
from .convert import as_int
from .failures import FailureListInfo, failure_lists
from .page import Page, clamp_page, clamp_per_page
from .queues import QueueSummary
from .scripts import SUMMARY, json_array


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

    def resque(self, count_working: bool = True) -> ResqueStats:
        """One round trip however many queues and workers: a Lua script counts them.
        Without ``count_working`` the busy workers are not counted (``working`` is -1): a
        page that reads who is busy anyway counts them there, in the same pass."""
        return self._read(with_sizes=False, count_working=count_working)[0]

    def with_queue_sizes(self) -> tuple[ResqueStats, list[tuple[str, int]]]:
        """The numbers and every queue's (name, size), sorted by name, from the same script
        pass (it reads each queue's length for the total anyway): what ``/stats.txt``
        prints, in one round trip."""
        found = self.summary()
        return found.numbers, [(name, size) for name, size, _ in found.sizes]

    def summary(self, count_working: bool = True) -> Summary:
        """The numbers, every queue's size and the failure lists, in one round trip."""
        numbers, replies = self._read(with_sizes=True, count_working=count_working)
        names, sizes, failed = (json_array(replies[2]), *replies[3:5]) if replies[2:] else ([],) * 3
        rows = [
            (name, as_int(size), as_int(failed[i]) if failed else None)
            for i, (name, size) in enumerate(zip(names, sizes))
        ]
        rows.sort(key=itemgetter(0))  # names are unique
        lists = failure_lists(replies[0], replies[1], self.keys.queue_of_failed_list)
        return Summary(numbers, rows, lists)

    def _read(self, with_sizes: bool, count_working: bool = True) -> tuple[ResqueStats, list[Any]]:
        keys = self.keys
        replies = self._summary(
            keys=[keys.queues, keys.workers, keys.failed_queues, keys.failed, keys.processed,
                  keys.failed_count],
            args=[keys.queue(""), keys.worker(""), keys.prefix, "1" if with_sizes else "0",
                  "1" if count_working else "0", FAILED_QUEUE_SUFFIX],
        )  # fmt: skip
        queues, pending, workers, working, listed, processed, failed = replies[:7]
        numbers = ResqueStats(
            pending=as_int(pending),
            processed=as_int(processed),
            failed=as_int(failed),
            queues=as_int(queues),
            workers=as_int(workers),
            working=int(working),
            failed_listed=as_int(listed),
        )
        return numbers, replies[7:]

    def redis_info(self) -> dict[str, Any]:
        return dict(self.redis.info())

    def server(self) -> str:
        """``redis://host:port/db`` of this connection, password masked."""
        kwargs = self.redis.connection_pool.connection_kwargs
        if "path" in kwargs:
            return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
        host = kwargs.get("host", "localhost")
        url = f"redis://{host}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
        return mask_url(url)
