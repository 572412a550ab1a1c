"""Failure backends: where a worker records a failed job, as Ruby's ``Resque::Failure::*``.

- ``redis``: one list ``failed`` (``Resque::Failure::Redis``, the default);
- ``redis_multi_queue``: a list ``<queue>_failed`` per queue, named in the set
  ``failed_queues`` (``Resque::Failure::RedisMultiQueue``); its ``retried_at`` has no zone;
- ``redis_retry_suppression``: resque-retry's ``MultipleWithRetrySuppression`` over
  ``redis``: a job that will be retried leaves no record, only its last error in
  ``failure-<retry key>`` for a while; the record is written once it gives up.
"""

from __future__ import annotations

import contextlib
import math
from typing import TYPE_CHECKING, Any

from .. import payload as jsonp
from .. import times
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
        """Record one failed job (Ruby's ``Resque::Failure::*#save``): the record is built
        alike for every backend; where it goes is :meth:`keep`'s."""
        self.keep(build_record(exc, worker_id, queue, payload, backtrace), exc)

    def keep(self, record: dict[str, Any], exc: BaseException) -> None:
        """Append the record to ``failed``."""
        self.resque.redis.rpush(self.resque.keys.failed, self.encode(record))

    @staticmethod
    def encode(record: dict[str, Any]) -> str:
        return jsonp.encode(record, "failure")


class RedisMultiQueueBackend(RedisBackend):
    """One list per queue, ``<queue>_failed``, registered in ``failed_queues``."""

    name = "redis_multi_queue"

    def keep(self, record: dict[str, Any], exc: BaseException) -> None:
        keys = self.resque.keys
        queue = str(record.get("queue") or "")
        pipe = self.resque.redis.pipeline(transaction=False)
        pipe.sadd(keys.failed_queues, keys.failed_queue_name(queue))
        pipe.rpush(keys.failed_queue(queue), self.encode(record))
        pipe.execute()


class RedisRetrySuppressionBackend(RedisBackend):
    """resque-retry's ``MultipleWithRetrySuppression`` with ``Resque::Failure::Redis``.

    Run after the job's ``on_failure`` hooks, as in Ruby: when the job's attempt key still
    exists, its ``on_failure_retry`` has scheduled a retry, so no record is written; with
    a delay, the error is kept in ``failure-<retry key>`` for twice the delay (Ruby's bytes:
    ``failed_at`` without a zone). Otherwise (not a retry job, or it gave up) the record
    goes to ``failed`` and the kept error is deleted.
    """

    name = "redis_retry_suppression"

    def keep(self, record: dict[str, Any], exc: BaseException) -> None:
        found = self._retry_job(record["payload"])
        if found is None:
            super().keep(record, exc)
            return
        job_class, args = found
        keys, redis = self.resque.keys, self.resque.redis
        retry_name = job_class.redis_retry_key(*args)
        if not redis.exists(keys.retry_attempts(retry_name)):
            pipe = redis.pipeline(transaction=False)
            pipe.delete(keys.retry_failure(retry_name))
            pipe.rpush(keys.failed, self.encode(record))
            pipe.execute()
            return
        delay = job_class.retry_delay_for(type(exc), *args)
        if delay > 0:
            record["failed_at"] = times.retry_failed_at()
            ttl = max(1, math.ceil(2 * delay))
            redis.set(keys.retry_failure(retry_name), self.encode(record), ex=ttl)

    def _retry_job(self, payload: Any) -> tuple[Any, list[Any]] | None:
        """The payload's job class and args when the class retries (resque-retry's
        ``retryable?``: it has ``redis_retry_key``); None for any other job."""
        if not isinstance(payload, dict) or not isinstance(payload.get("class"), str):
            return None
        args = payload.get("args")
        with contextlib.suppress(Exception):
            job_class = self.resque.registry.resolve(payload["class"])
            if callable(getattr(job_class, "redis_retry_key", None)):
                return job_class, list(args) if isinstance(args, list) else []
        return None


BACKENDS: dict[str, type[RedisBackend]] = {
    RedisBackend.name: RedisBackend,
    RedisMultiQueueBackend.name: RedisMultiQueueBackend,
    RedisRetrySuppressionBackend.name: RedisRetrySuppressionBackend,
}


def backend_for(resque: Resque, kind: str = "redis") -> RedisBackend:
    """The failure backend named ``kind`` (``redis``, ``redis_multi_queue`` or
    ``redis_retry_suppression``)."""
    try:
        return BACKENDS[kind](resque)
    except KeyError:
        raise ValueError(
            f"unknown failure backend {kind!r}; choose one of {', '.join(sorted(BACKENDS))}"
        ) from None
