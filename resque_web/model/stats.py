"""Resque's headline numbers and Redis' own INFO."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ..client import Resque
from ..connection import mask_url
from .convert import as_int
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
        numbers, replies = self._read(with_sizes=True)
        names, sizes = (json_array(r) for r in replies) if replies else ([], [])
        return numbers, sorted(zip(names, sizes), key=itemgetter(0))  # names are unique

    def _read(self, with_sizes: bool, count_working: bool = True) -> tuple[ResqueStats, list[Any]]:
        keys = self.keys
        replies = self._summary(
            keys=[keys.queues, keys.workers, keys.failed_queues, keys.failed, keys.processed,
                  keys.failed_count],
            args=[keys.queue(""), keys.worker(""), keys.prefix, "1" if with_sizes else "0",
                  "1" if count_working else "0"],
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
