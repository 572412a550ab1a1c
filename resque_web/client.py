"""The queue API: what Ruby's ``Resque.enqueue``, ``push``, ``pop``, ``peek`` ... do, in Python.

Every write produces the bytes Ruby Resque 3.0 produces, in the same commands: a push is
``SADD queues`` and ``RPUSH queue:<name>`` in one pipeline, so a Ruby worker performs what
Python enqueues and the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import redis

from . import payload as jsonp
from .connection import connect
from .errors import NoQueueError
from .job import Job, hooks
from .keys import DEFAULT_NAMESPACE, Keys
from .registry import JobRegistry
from .registry import registry as default_registry
from .scheduler import delaying, schedules
from .scheduler.delaying import Selector, When

# Ruby Resque's docs suggest enqueueing existing data in batches; one pipeline per batch.
DEFAULT_BATCH = 2000
_SCAN_CHUNK = 1000


class Resque:
    """A connection to one Resque namespace.

    ``Resque("redis://localhost:6379/0")`` or ``Resque(redis_client, namespace="resque_mq")``.
    """

    def __init__(
        self,
        redis_client: redis.Redis | str | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        registry: JobRegistry | None = None,
    ) -> None:
        if redis_client is None or isinstance(redis_client, str):
            redis_client = connect(redis_client)
        self.redis = redis_client
        self.keys = Keys(namespace)
        self.registry = registry or default_registry

    @property
    def namespace(self) -> str:
        return self.keys.namespace

    # Enqueueing ---------------------------------------------------------------
    def queue_for(self, job_class: Any) -> str:
        queue = getattr(job_class, "queue", None)
        if not isinstance(queue, str) or not queue:
            raise NoQueueError(
                f"{self.registry.name_for(job_class)} has no queue: give the class a "
                '`queue = "name"` attribute or use enqueue_to(queue, ...)'
            )
        return queue

    def enqueue(self, job_class: Any, *args: Any) -> bool:
        """Put a job on its class's ``queue``. False when a ``before_enqueue`` hook said no."""
        return self.enqueue_to(self.queue_for(job_class), job_class, *args)

    def enqueue_to(self, queue: str, job_class: Any, *args: Any) -> bool:
        """Put a job on ``queue``, running the class's ``before_enqueue``/``after_enqueue``."""
        self._check_queue(queue)
        item = jsonp.encode_job(self.registry.name_for(job_class), args)
        if not isinstance(job_class, str):
            for hook in hooks(job_class, "before_enqueue"):
                if hook(*args) is False:
                    return False
        self.push_raw(queue, item)
        if not isinstance(job_class, str):
            for hook in hooks(job_class, "after_enqueue"):
                hook(*args)
        return True

    def enqueue_many(
        self,
        job_class: Any,
        args_list: Iterable[Iterable[Any]],
        queue: str | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> int:
        """Enqueue one job per argument list, ``batch_size`` per pipelined round trip.

        Every job is encoded (and checked) before its batch is sent, so a bad argument stops
        the run at a batch boundary with the earlier batches written and none half-written.
        Enqueue hooks are not run: this is the bulk path. Returns the number enqueued.
        """
        queue = queue or self.queue_for(job_class)
        self._check_queue(queue)
        name = self.registry.name_for(job_class)
        total = 0
        for batch in _batches(args_list, batch_size):
            items = [jsonp.encode_job(name, list(args)) for args in batch]
            self._push_items(queue, items)
            total += len(items)
        return total

    def push(self, queue: str, item: dict[str, Any]) -> None:
        """Push a payload dict (``{"class": ..., "args": [...]}``) as Ruby's ``Resque.push``."""
        self._check_queue(queue)
        self.push_raw(queue, jsonp.encode(item, "item"))

    def push_raw(self, queue: str, raw: str) -> None:
        """Push an already-encoded item, registering the queue in the same pipeline."""
        self._push_items(queue, [raw])

    def _push_items(self, queue: str, items: list[str]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.sadd(self.keys.queues, queue)
        pipe.rpush(self.keys.queue(queue), *items)
        pipe.execute()

    @staticmethod
    def _check_queue(queue: str) -> None:
        if not isinstance(queue, str) or not queue:
            raise NoQueueError(f"a queue name must be a non-empty string, not {queue!r}")

    # Reading and taking -------------------------------------------------------
    def pop(self, queue: str) -> Any:
        """Remove and return the next decoded item, or None when the queue is empty."""
        raw = self.redis.lpop(self.keys.queue(queue))
        return None if raw is None else Job.from_raw(queue, raw).payload

    def reserve(self, queue: str) -> Job | None:
        """Take the next job off ``queue`` as a :class:`Job` to perform or inspect."""
        raw = self.redis.lpop(self.keys.queue(queue))
        return None if raw is None else Job.from_raw(queue, raw)

    def peek(self, queue: str, start: int = 0, count: int = 1) -> Any:
        """Look without taking, as Ruby's ``Resque.peek``.

        ``count == 1`` returns one decoded item (or None); otherwise a list of up to
        ``count`` items from ``start``: ``peek("my_list", 59, 30)`` is the third page of 30.
        """
        key = self.keys.queue(queue)
        if count == 1:
            raw = self.redis.lindex(key, start)
            return None if raw is None else Job.from_raw(queue, raw).payload
        if count < 1 or start < 0:
            return []
        raws = self.redis.lrange(key, start, start + count - 1)
        return [Job.from_raw(queue, raw).payload for raw in raws]

    def size(self, queue: str) -> int:
        return int(self.redis.llen(self.keys.queue(queue)))

    def queues(self) -> list[str]:
        """Every registered queue name, sorted."""
        return sorted(self.redis.smembers(self.keys.queues))

    def remove_queue(self, queue: str) -> None:
        """Unregister ``queue`` and delete its jobs, atomically."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.srem(self.keys.queues, queue)
        pipe.delete(self.keys.queue(queue))
        pipe.execute()

    def dequeue(self, job_class: Any, *args: Any, queue: str | None = None) -> int:
        """Remove pending jobs of ``job_class`` (with exactly ``args`` when given), as Ruby's
        ``Resque.dequeue``. Returns how many were removed."""
        queue = queue or self.queue_for(job_class)
        name = self.registry.name_for(job_class)
        key = self.keys.queue(queue)
        if args:
            return int(self.redis.lrem(key, 0, jsonp.encode_job(name, args)))
        matching = {
            raw for raw in self._iter_raw(key) if Job.from_raw(queue, raw).class_name == name
        }
        if not matching:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for raw in matching:
            pipe.lrem(key, 0, raw)
        return sum(int(n) for n in pipe.execute())

    # resque-scheduler: delayed jobs and persistent schedules (see resque_web.scheduler) ----
    def enqueue_at(self, when: When, job_class: Any, *args: Any) -> bool:
        return delaying.enqueue_at(self, when, job_class, *args)

    def enqueue_in(self, seconds: float, job_class: Any, *args: Any) -> bool:
        return delaying.enqueue_in(self, seconds, job_class, *args)

    def enqueue_at_with_queue(self, queue: str, when: When, job_class: Any, *args: Any) -> bool:
        return delaying.enqueue_at_with_queue(self, queue, when, job_class, *args)

    def enqueue_in_with_queue(self, queue: str, seconds: float, job_class: Any, *args: Any) -> bool:
        return delaying.enqueue_in_with_queue(self, queue, seconds, job_class, *args)

    def delay_or_enqueue_at(self, when: When, job_class: Any, *args: Any) -> int:
        return delaying.delay_or_enqueue_at(self, when, job_class, *args)

    def delay_or_enqueue_in(self, seconds: float, job_class: Any, *args: Any) -> int:
        return delaying.delay_or_enqueue_in(self, seconds, job_class, *args)

    def delayed_push(self, when: When, item: str) -> None:
        return delaying.delayed_push(self, when, item)

    def delayed_queue_peek(self, start: int, count: int) -> list[int]:
        return delaying.delayed_queue_peek(self, start, count)

    def delayed_queue_schedule_size(self) -> int:
        return delaying.delayed_queue_schedule_size(self)

    def delayed_timestamp_size(self, when: When) -> int:
        return delaying.delayed_timestamp_size(self, when)

    def delayed_timestamp_peek(self, when: When, start: int, count: int) -> list[Any]:
        return delaying.delayed_timestamp_peek(self, when, start, count)

    def next_delayed_timestamp(self, at_time: When | None = None) -> int | None:
        return delaying.next_delayed_timestamp(self, at_time)

    def next_item_for_timestamp(self, when: When) -> Any:
        return delaying.next_item_for_timestamp(self, when)

    def count_all_scheduled_jobs(self) -> int:
        return delaying.count_all_scheduled_jobs(self)

    def find_delayed_selection(self, selector: Selector, job_class: Any = None) -> list[str]:
        return delaying.find_delayed_selection(self, selector, job_class)

    def scheduled_at(self, job_class: Any, *args: Any) -> list[int]:
        return delaying.scheduled_at(self, job_class, *args)

    def is_delayed(self, job_class: Any, *args: Any) -> bool:
        return delaying.is_delayed(self, job_class, *args)

    def last_enqueued_at(self, schedule_name: str, when: str) -> None:
        return delaying.last_enqueued_at(self, schedule_name, when)

    def get_last_enqueued_at(self, schedule_name: str) -> str | None:
        return delaying.get_last_enqueued_at(self, schedule_name)

    def remove_delayed(self, job_class: Any, *args: Any) -> int:
        return delaying.remove_delayed(self, job_class, *args)

    def remove_delayed_in_queue(self, job_class: Any, queue: str, *args: Any) -> int:
        return delaying.remove_delayed_in_queue(self, job_class, queue, *args)

    def remove_delayed_selection(self, selector: Selector, job_class: Any = None) -> int:
        return delaying.remove_delayed_selection(self, selector, job_class)

    def remove_delayed_job_from_timestamp(self, when: When, job_class: Any, *args: Any) -> int:
        return delaying.remove_delayed_job_from_timestamp(self, when, job_class, *args)

    def clean_up_timestamp(self, when: When) -> None:
        return delaying.clean_up_timestamp(self, when)

    def reset_delayed_queue(self) -> None:
        return delaying.reset_delayed_queue(self)

    def enqueue_delayed(self, job_class: Any, *args: Any) -> int:
        return delaying.enqueue_delayed(self, job_class, *args)

    def enqueue_delayed_with_queue(self, job_class: Any, queue: str, *args: Any) -> int:
        return delaying.enqueue_delayed_with_queue(self, job_class, queue, *args)

    def enqueue_from_config(self, config: dict[str, Any]) -> bool:
        return delaying.enqueue_from_config(self, config)

    def set_schedule(self, name: str, config: dict[str, Any]) -> None:
        return schedules.set_schedule(self, name, config)

    def fetch_schedule(self, name: str) -> dict[str, Any] | None:
        return schedules.fetch_schedule(self, name)

    def remove_schedule(self, name: str) -> None:
        return schedules.remove_schedule(self, name)

    def all_schedules(self) -> dict[str, Any]:
        return schedules.all_schedules(self)

    def _iter_raw(self, key: str) -> Iterator[str]:
        """Walk a list in chunks instead of one huge LRANGE."""
        start = 0
        while True:
            chunk = self.redis.lrange(key, start, start + _SCAN_CHUNK - 1)
            yield from chunk
            if len(chunk) < _SCAN_CHUNK:
                return
            start += _SCAN_CHUNK


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# A process-wide default, for code written like Ruby's ``Resque.enqueue(Archive, 35)``.
_default: Resque | None = None


def configure(
    redis_client: redis.Redis | str | None = None, namespace: str = DEFAULT_NAMESPACE
) -> Resque:
    """Set the connection the module-level functions use (default: ``$REDIS_URL``)."""
    global _default
    _default = Resque(redis_client, namespace)
    return _default


def default() -> Resque:
    global _default
    if _default is None:
        _default = Resque()
    return _default
