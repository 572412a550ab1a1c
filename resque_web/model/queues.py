"""Queues as the dashboard sees them: names, sizes, a page of jobs, and the queue actions."""

from __future__ import annotations

from dataclasses import dataclass

from ..client import Resque
from ..failure.record import digest as record_digest
from ..job import Job
from ..keys import FAILED_QUEUE_SUFFIX
from .page import Page, clamp_page, clamp_per_page, list_indexes, list_window
from .scripts import PAGE_SIZES, SET_CHUNK, json_array, set_lengths


class QueueNotFound(LookupError):
    """The queue is neither registered nor holds jobs."""


@dataclass(frozen=True)
class QueueSummary:
    name: str
    size: int
    failed: int | None = None  # the multi-queue backend's <queue>_failed length


class Queues:
    def __init__(self, resque: Resque) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        self._chunk = self.redis.register_script(SET_CHUNK)
        self._page_sizes = self.redis.register_script(PAGE_SIZES)

    def names(self) -> list[str]:
        """Every registered queue name, sorted: one JSON string per chunk of SET_CHUNK_SIZE
        names (never one script call over every name), not a reply per name to parse."""
        return sorted(set_lengths(self._chunk, self.keys.queues, []))

    def all(self) -> list[QueueSummary]:
        """Every registered queue, sorted, with its size (and failure count with the
        multi-queue backend): a round trip per SET_CHUNK_SIZE queues."""
        keys = self.keys
        multi = bool(self.redis.scard(keys.failed_queues))
        lengths = [(keys.queue(""), "")]
        if multi:
            lengths.append((keys.prefix, FAILED_QUEUE_SUFFIX))
        found = set_lengths(self._chunk, keys.queues, lengths)
        rows = [
            QueueSummary(name, counts[0], counts[1] if multi else None)
            for name, counts in found.items()
        ]
        return sorted(rows, key=lambda q: q.name)

    def page_of_names(self, page: int = 1, per_page: int = 50) -> Page[QueueSummary]:
        """A page of the sorted queue list, sizes read for that page only (two round trips):
        a thousand queues list as fast as ten."""
        per_page = clamp_per_page(per_page)
        names = self.names()
        number = clamp_page(page, per_page, len(names))
        shown = names[(number - 1) * per_page : number * per_page]
        keys = self.keys
        multi, *sizes = json_array(
            self._page_sizes(
                keys=[keys.failed_queues],
                args=[keys.queue(""), keys.prefix, FAILED_QUEUE_SUFFIX, *shown],
            )
        )
        rows = [
            QueueSummary(name, int(sizes[2 * i]), int(sizes[2 * i + 1]) if multi else None)
            for i, name in enumerate(shown)
        ]
        offset = (number - 1) * per_page
        return Page(
            rows, number, per_page, len(names), False, [offset + i for i in range(len(rows))]
        )

    def exists(self, name: str) -> bool:
        pipe = self.redis.pipeline(transaction=False)
        pipe.sismember(self.keys.queues, name)
        pipe.exists(self.keys.queue(name))
        registered, present = pipe.execute()
        return bool(registered) or bool(present)

    def size(self, name: str) -> int:
        return int(self.redis.llen(self.keys.queue(name)))

    def page(
        self, name: str, page: int = 1, per_page: int = 20, newest_first: bool = False
    ) -> Page[Job]:
        """One page of a queue's jobs; only that page is read and decoded."""
        per_page = clamp_per_page(per_page)
        key = self.keys.queue(name)
        for _ in range(3):
            pipe = self.redis.pipeline(transaction=True)
            pipe.sismember(self.keys.queues, name)
            pipe.llen(key)
            start, end = list_window(0, max(1, page), per_page, newest_first)
            pipe.lrange(key, start, end)
            registered, total, raws = pipe.execute()
            total = int(total)
            if not registered and total == 0:
                raise QueueNotFound(name)
            number = clamp_page(page, per_page, total)
            if number == max(1, page):
                break
            page = number  # asked past the end: read the last real page instead
        if newest_first:
            raws = list(reversed(raws))
        items = [Job.from_raw(name, raw) for raw in raws]
        indexes = list_indexes(total, number, per_page, newest_first, len(items))
        return Page(items, number, per_page, total, newest_first, indexes)

    def clear(self, name: str) -> int:
        """Delete the queue's jobs but keep it registered (workers keep listening)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.llen(self.keys.queue(name))
        pipe.delete(self.keys.queue(name))
        return int(pipe.execute()[0])

    def remove(self, name: str) -> int:
        """Unregister the queue and delete its jobs, atomically."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.llen(self.keys.queue(name))
        pipe.srem(self.keys.queues, name)
        pipe.delete(self.keys.queue(name))
        return int(pipe.execute()[0])

    def find_job(self, name: str, index: int, digest: str, window: int = 1000) -> str | None:
        """The stored value with this SHA-1 at ``index``, or nearer the head where it moved
        as workers popped (``window`` places at most); None when it is gone. Lets a form
        name a multi-megabyte job by position and digest instead of carrying it."""
        low = max(0, index - window)
        raws = self.redis.lrange(self.keys.queue(name), low, index)
        for raw in reversed(raws):
            if record_digest(raw) == digest:
                return raw
        return None

    def delete_job(self, name: str, raw: str) -> int:
        """Delete one pending job by its exact stored value (not by index, which moves as
        workers pop). 0 means it was already taken or gone."""
        return int(self.redis.lrem(self.keys.queue(name), 1, raw))
