"""Failure backends: where a worker records a failed job, as Ruby's ``Resque::Failure::*``.

- ``redis``: one list ``failed`` (``Resque::Failure::Redis``, the default);
- ``redis_multi_queue``: a list ``<queue>_failed`` per queue, named in the set
  ``failed_queues`` (``Resque::Failure::RedisMultiQueue``); its ``retried_at`` has no zone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import payload as jsonp
from .record import build_record

if TYPE_CHECKING:
    from ..client import Resque


class RedisBackend:
    """All failures in the single list ``failed``."""

    name = "redis"

    def __init__(self, resque: Resque) -> None:
        self.resque = resque

    def save(
        self,
        exc: BaseException,
        worker_id: str,
        queue: str,
        payload: Any,
        backtrace: list[str] | None = None,
    ) -> None:
        record = build_record(exc, worker_id, queue, payload, backtrace)
        self.save_record(record)

    def save_record(self, record: dict[str, Any]) -> None:
        self.resque.redis.rpush(self.resque.keys.failed, jsonp.encode(record, "failure"))


class RedisMultiQueueBackend(RedisBackend):
    """One list per queue, ``<queue>_failed``, registered in ``failed_queues``."""

    name = "redis_multi_queue"

    def save_record(self, record: dict[str, Any]) -> None:
        keys = self.resque.keys
        queue = str(record.get("queue") or "")
        pipe = self.resque.redis.pipeline(transaction=False)
        pipe.sadd(keys.failed_queues, keys.failed_queue_name(queue))
        pipe.rpush(keys.failed_queue(queue), jsonp.encode(record, "failure"))
        pipe.execute()


BACKENDS: dict[str, type[RedisBackend]] = {
    RedisBackend.name: RedisBackend,
    RedisMultiQueueBackend.name: RedisMultiQueueBackend,
}


def backend_for(resque: Resque, kind: str = "redis") -> RedisBackend:
    """The failure backend named ``kind`` (``redis`` or ``redis_multi_queue``)."""
    try:
        return BACKENDS[kind](resque)
    except KeyError:
        raise ValueError(
            f"unknown failure backend {kind!r}; choose one of {', '.join(sorted(BACKENDS))}"
        ) from None
