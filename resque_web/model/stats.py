"""Resque's headline numbers and Redis' own INFO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..client import Resque
from ..connection import mask_url
from .convert import as_int
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
        return self._read(count_working)[0]

    def with_queue_sizes(self) -> tuple[ResqueStats, list[tuple[str, int]]]:
        """The numbers and every queue's (name, size), sorted by name, from the same reads
        (they read each queue's length for the total anyway): what ``/stats.txt`` prints."""
        numbers, sizes = self._read(count_working=True)
        return numbers, sorted(sizes.items())

    def _read(self, count_working: bool) -> tuple[ResqueStats, dict[str, int]]:
        keys = self.keys
        (workers, working, listed, processed, failed,
         qcursor, queues, fcursor, lists) = self._summary(
            keys=[keys.queues, keys.workers, keys.failed_queues, keys.failed, keys.processed,
                  keys.failed_count],
            args=[keys.queue(""), keys.worker(""), keys.prefix, "1" if count_working else "0",
                  SET_CHUNK_SIZE],
        )  # fmt: skip
        sizes = set_lengths(self._chunk, keys.queues, [(keys.queue(""), "")], qcursor, queues)
        failed_lists = set_lengths(
            self._chunk, keys.failed_queues, [(keys.prefix, "")], fcursor, lists
        )
        numbers = ResqueStats(
            pending=sum(n for (n,) in sizes.values()),
            processed=as_int(processed),
            failed=as_int(failed),
            queues=len(sizes),
            workers=as_int(workers),
            working=int(working),
            failed_listed=as_int(listed) + sum(n for (n,) in failed_lists.values()),
        )
        return numbers, {name: n for name, (n,) in sizes.items()}

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
