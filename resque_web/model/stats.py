"""Resque's headline numbers and Redis' own INFO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..client import Resque
from ..connection import mask_url
from .convert import as_int


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

    def resque(self) -> ResqueStats:
        """Two round trips: names first, then every size and counter in one pipeline."""
        keys = self.keys
        pipe = self.redis.pipeline(transaction=False)
        pipe.smembers(keys.queues)
        pipe.smembers(keys.workers)
        pipe.smembers(keys.failed_queues)
        queues, workers, failed_lists = pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(keys.processed)
        pipe.get(keys.failed_count)
        pipe.llen(keys.failed)
        for name in failed_lists:
            pipe.llen(keys.failed_list(name))
        for name in queues:
            pipe.llen(keys.queue(name))
        if workers:
            pipe.mget([keys.worker(w) for w in workers])
        replies = pipe.execute()
        processed, failed, *rest = replies
        listed = sum(int(n) for n in rest[: 1 + len(failed_lists)])
        sizes = rest[1 + len(failed_lists) : 1 + len(failed_lists) + len(queues)]
        busy = rest[-1] if workers else []
        return ResqueStats(
            pending=sum(int(n) for n in sizes),
            processed=as_int(processed),
            failed=as_int(failed),
            queues=len(queues),
            workers=len(workers),
            working=sum(1 for job in busy if job),
            failed_listed=listed,
        )

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
