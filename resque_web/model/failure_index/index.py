"""An index of a failure list by job class and exception, kept correct while the list
changes underneath.

Failures are appended by Ruby and Python workers that know nothing of this index, and
removed or rewritten by any dashboard (Ruby's resque-web included). Reading 100,000
records on every view to count classes is what makes resque-web take seconds, so each
process keeps an index of the list's *prefix* ``[0, n)`` and, before trusting it, checks
that the prefix is still the same sequence:

* Workers only ``RPUSH``. Appends leave the prefix alone; the index reads just the new tail.
* Removals (``LSET`` a tombstone + ``LREM``, or ``LREM`` by value) shift every later item
  one place left. The index remembers the last *change point* ``b`` of its prefix (the last
  position whose record differs from the next one) with the records around it, and the
  prefix's last record. A removal at or before ``b`` moves a different record onto ``b``;
  a removal after ``b`` falls in the final run of identical records, so the prefix keeps
  the same records unless a new one slid into position ``n - 1``, which is checked too.
* In-place rewrites (a retry's ``retried_at``) change bytes; if one lands on a checked
  position the index is rebuilt, otherwise class and exception counts are unaffected.
* Anything else (a clear, a shorter list, a mismatch) rebuilds the index from scratch.

The check is one pipelined round trip. Rows shown from the index are re-read and
re-checked against the filter, so a change between the check and the read cannot put a
wrong row on the page.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import redis

from ..failure import FailedJob

# The exception facet of failures stored without one (also a filter value).
NONE = "(none)"
CHUNK = 2000
# How many records before the change point are compared: a repeating pattern of
# byte-identical records would have to be longer than this to go unnoticed.
WINDOW = 16


def _positions() -> array:
    return array("q")


@dataclass
class _State:
    n: int = 0  # records indexed: the prefix [0, n)
    classes: dict[str, array] = field(default_factory=dict)
    exceptions: dict[str, array] = field(default_factory=dict)
    change_point: int = -1  # last i < n - 1 with record[i] != record[i + 1]
    window: list[str] = field(default_factory=list)  # digests of [window_start, change + 1]
    window_start: int = 0
    last_digest: str = ""  # digest of record[n - 1]
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=WINDOW))


class FailureIndex:
    """Positions of each job class and exception in one failure list, for one process."""

    def __init__(self, client: redis.Redis, key: str, queue: str | None = None) -> None:
        self.redis = client
        self.key = key
        self.queue = queue
        self._state = _State()
        self._lock = threading.Lock()
        self.rebuilds = 0  # how often the prefix check failed (for tests and benchmarks)

    # Keeping it current --------------------------------------------------------
    def refresh(self) -> int:
        """Bring the index up to date; returns the list's length. One round trip when
        nothing changed, plus one per CHUNK new failures."""
        with self._lock:
            total = self._check()
            if total is None:
                self.rebuilds += 1
                self._state = _State()
                total = int(self.redis.llen(self.key))
            self._extend(total)
            return total

    def _check(self) -> int | None:
        """The list's length if the indexed prefix is intact, else None."""
        state = self._state
        pipe = self.redis.pipeline(transaction=True)
        pipe.llen(self.key)
        if state.n:
            pipe.lrange(self.key, state.window_start, state.window_start + len(state.window) - 1)
            pipe.lindex(self.key, state.n - 1)
        replies = pipe.execute()
        total = int(replies[0])
        if not state.n:
            return total
        window, last = replies[1], replies[2]
        if total < state.n or last is None:
            return None
        if FailedJob(0, last).digest != state.last_digest:
            return None
        if [FailedJob(0, raw).digest for raw in window] != state.window:
            return None
        return total

    def _extend(self, total: int) -> None:
        state = self._state
        while state.n < total:
            raws = self.redis.lrange(self.key, state.n, min(total, state.n + CHUNK) - 1)
            if not raws:
                break
            self._add(raws)

    def _add(self, raws: Iterable[str]) -> None:
        """Index records n, n+1, ...; the window is taken from records already read, so it
        describes exactly the sequence indexed."""
        state = self._state
        for raw in raws:
            failure = FailedJob(state.n, raw, self.queue)
            digest = failure.digest
            if state.n and digest != state.last_digest:
                state.change_point = state.n - 1
                state.window = [*state.recent, digest][-WINDOW:]
                state.window_start = state.n + 1 - len(state.window)
            elif not state.n:
                state.window, state.window_start = [digest], 0
            state.recent.append(digest)
            state.classes.setdefault(failure.display_class, _positions()).append(state.n)
            state.exceptions.setdefault(failure.exception or NONE, _positions()).append(state.n)
            state.last_digest = digest
            state.n += 1

    # Asking it ----------------------------------------------------------------
    def counts(self) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(class, count) and (exception, count), commonest first, over the whole list."""
        self.refresh()
        state = self._state
        classes = Counter({name: len(p) for name, p in state.classes.items()})
        exceptions = Counter({name: len(p) for name, p in state.exceptions.items()})
        return classes.most_common(), exceptions.most_common()

    def positions(self, job_class: str | None, exception: str | None) -> list[int]:
        """Ascending positions of failures matching both (None matches everything)."""
        self.refresh()
        state = self._state
        sets = []
        if job_class:
            sets.append(state.classes.get(job_class, _positions()))
        if exception:
            sets.append(state.exceptions.get(exception, _positions()))
        if not sets:
            return list(range(state.n))
        if len(sets) == 1:
            return list(sets[0])
        smaller, larger = sorted(sets, key=len)
        wanted = set(larger)
        return [p for p in smaller if p in wanted]


class IndexRegistry:
    """One index per (connection, list key) in this process, shared by its threads."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, str], FailureIndex] = {}
        self._lock = threading.Lock()

    def get(self, client: redis.Redis, key: str, queue: str | None) -> FailureIndex:
        kwargs = client.connection_pool.connection_kwargs
        where = f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db')}:{kwargs.get('path')}"
        with self._lock:
            index = self._indexes.get((where, key))
            if index is None or index.redis.connection_pool is not client.connection_pool:
                index = self._indexes[(where, key)] = FailureIndex(client, key, queue)
            return index


indexes = IndexRegistry()
