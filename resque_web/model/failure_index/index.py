"""An index of a failure list by job class, exception, queue, fingerprint group, failed-at
time and retried flag, kept correct while the list changes underneath.

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
  position the index is rebuilt, otherwise only the retried flag changes. The dashboard's
  own rewrites are logged by position (:mod:`resque_web.failure.scripts`): the check reads
  the log's counter in the same round trip and, when it moved, marks those positions
  retried. Another dashboard's retries (Ruby's resque-web) are not logged; such a row
  shows its true state, and counts by retried catch up at the next rebuild.
* Anything else (a clear, a shorter list, a mismatch) rebuilds the index from scratch.

The check is one pipelined round trip. Rows shown from the index are re-read and
re-checked against the filter, so a change between the check and the read cannot put a
wrong row on the page; bulk actions check every record they touch against the filter.

Everything is read in the same pass: one record costs one JSON decode, and the parts that
repeat (failed-at texts, messages) are parsed once per distinct value.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import redis

from ...failure import FailedJob, digest
from ...failure.store import REWRITE_LOG_CAP
from ...keys import Keys
from ..failure_filter import FailureFilter
from .columns import Columns, Memo
from .groups import GroupSummary, summarize

CHUNK = 2000
# How many records before the change point are compared: a repeating pattern of
# byte-identical records would have to be longer than this to go unnoticed.
WINDOW = 16


@dataclass
class _State:
    columns: Columns = field(default_factory=Columns)  # the prefix [0, n)
    rewrites: int = 0  # the rewrite log's counter when last looked at
    change_point: int = -1  # last i < n - 1 with record[i] != record[i + 1]
    window: list[str] = field(default_factory=list)  # digests of [window_start, change + 1]
    window_start: int = 0
    last_digest: str = ""  # digest of record[n - 1]
    last_raw: str = ""  # record[n - 1] itself, to compare the next one with
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=WINDOW))  # raw, up to n - 1


class FailureIndex:
    """Positions of each job class and exception in one failure list, for one process."""

    def __init__(
        self, client: redis.Redis, key: str, queue: str | None = None, keys: Keys | None = None
    ) -> None:
        self.redis = client
        self.key = key
        self.queue = queue
        keys = keys or Keys(key.rsplit(":", 1)[0] if ":" in key else "")
        self._log = keys.rewrites(key)
        self._log_count = keys.rewrite_count(key)
        self._state = _State()
        self._memo = Memo()
        self._lock = threading.Lock()
        self._groups_cache: tuple[object, list[GroupSummary]] | None = None
        self.rebuilds = 0  # how often the prefix check failed (for tests and benchmarks)

    @property
    def n(self) -> int:
        return self._state.columns.n

    @property
    def version(self) -> tuple[int, int, int]:
        """Changes whenever what the index says may have changed."""
        return (self.rebuilds, self._state.columns.n, self._state.rewrites)

    # Keeping it current --------------------------------------------------------
    def refresh(self) -> int:
        """Bring the index up to date; returns the list's length. One round trip when
        nothing changed, plus one per CHUNK new failures."""
        with self._lock:
            total, rewrites = self._check()
            if total is None:
                self.rebuilds += 1
                self._state = _State(rewrites=rewrites)
                total = int(self.redis.llen(self.key))
            elif rewrites != self._state.rewrites:
                self._follow_rewrites(rewrites)
            self._extend(total)
            return total

    def _check(self) -> tuple[int | None, int]:
        """The list's length if the indexed prefix is intact (else None), and the rewrite
        log's counter, read before any record so no rewrite can slip between."""
        state = self._state
        n = state.columns.n
        pipe = self.redis.pipeline(transaction=True)
        pipe.llen(self.key)
        pipe.get(self._log_count)
        if n:
            pipe.lrange(self.key, state.window_start, state.window_start + len(state.window) - 1)
            pipe.lindex(self.key, n - 1)
        replies = pipe.execute()
        total, rewrites = int(replies[0]), int(replies[1] or 0)
        if not n:
            return total, rewrites
        return self._intact(total, replies[2], replies[3]), rewrites

    def _follow_rewrites(self, rewrites: int) -> None:
        """Mark the positions the dashboard rewrote (retried) since the last look; a gap
        longer than the log keeps means a rebuild."""
        state = self._state
        missed = rewrites - state.rewrites
        if missed < 0 or missed > REWRITE_LOG_CAP:
            self.rebuilds += 1
            self._state = _State(rewrites=rewrites)
            return
        positions = self.redis.lrange(self._log, -missed, -1)
        state.columns.mark_retried(int(p) for p in positions)
        state.rewrites = rewrites

    def _intact(self, total: int, window: list[str], last: str | None) -> int | None:
        state = self._state
        if total < state.columns.n or last is None:
            return None
        if FailedJob(0, last).digest != state.last_digest:
            return None
        if [FailedJob(0, raw).digest for raw in window] != state.window:
            return None
        return total

    def _extend(self, total: int) -> None:
        columns = self._state.columns
        while columns.n < total:
            raws = self.redis.lrange(self.key, columns.n, min(total, columns.n + CHUNK) - 1)
            if not raws:
                break
            self._add(raws)

    def _add(self, raws: list[str]) -> None:
        """Index records n, n+1, ...; the window is taken from records already read, so it
        describes exactly the sequence indexed. Records are compared as strings while
        reading and only the window and the last record are digested, once per chunk."""
        if not raws:
            return
        state = self._state
        columns = state.columns
        start = columns.n
        change = None
        previous = state.last_raw
        for offset, raw in enumerate(raws):
            if (start or offset) and raw != previous:
                change = start + offset - 1
            previous = raw
            columns.add(FailedJob(start + offset, raw, self.queue), self._memo)
        recent = [*state.recent, *raws]  # positions start - len(state.recent) ... n - 1
        first = start - len(state.recent)
        if not start:
            state.window, state.window_start = [digest(raws[0])], 0
        if change is not None:
            state.change_point = change
            state.window_start = max(0, change + 2 - WINDOW, first)
            state.window = [
                digest(raw) for raw in recent[state.window_start - first : change + 2 - first]
            ]
        state.recent = deque(recent[-WINDOW:], maxlen=WINDOW)
        state.last_raw = raws[-1]
        state.last_digest = digest(raws[-1])

    # Asking it ----------------------------------------------------------------
    def counts(self) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(class, count) and (exception, count), commonest first, over the whole list."""
        self.refresh()
        dims = self._state.columns.dims
        return dims["class"].counts(), dims["exception"].counts()

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """(value, count) of every dimension, commonest first, over the whole list."""
        self.refresh()
        return {name: dim.counts() for name, dim in self._state.columns.dims.items()}

    def positions(self, job_class: str | None, exception: str | None) -> list[int]:
        """Ascending positions of failures matching both (None matches everything)."""
        return self.select(FailureFilter(job_class=job_class, exception=exception))

    def select(self, where: FailureFilter, refresh: bool = True) -> list[int]:
        """Ascending positions of the failures matching ``where`` (its text aside): the
        rarest value's positions, checked against the other columns."""
        if refresh:
            self.refresh()
        columns = self._state.columns
        wanted: list[tuple[str, str]] = [
            (dim, value)
            for dim, value in (
                ("class", where.job_class),
                ("exception", where.exception),
                ("queue", where.queue),
                ("group", where.group),
            )
            if value
        ]
        checks = []
        base: Iterable[int] = range(columns.n)
        smallest = columns.n + 1
        for dim, value in wanted:
            ident = columns.dims[dim].ids.get(value)
            if ident is None:
                return []
            postings = columns.dims[dim].postings[ident]
            checks.append((columns.dims[dim].column, ident))
            if len(postings) < smallest:
                base, smallest = postings, len(postings)
        since, until = where.time_range()
        lo = -math.inf if since is None else since
        hi = math.inf if until is None else until
        timed = since is not None or until is not None
        at, retried = columns.failed_at, columns.retried
        flag = None if where.retried is None else int(where.retried)
        return [
            p
            for p in base
            if all(column[p] == ident for column, ident in checks)
            and (not timed or lo <= at[p] < hi)
            and (flag is None or retried[p] == flag)
        ]

    def groups(self, where: FailureFilter | None = None) -> list[GroupSummary]:
        """Failures by (exception, fingerprint), largest group first, within ``where``."""
        self.refresh()
        with self._lock:
            key = (self.version, where.indexed if where else None)
            if self._groups_cache is not None and self._groups_cache[0] == key:
                return self._groups_cache[1]
            columns = self._state.columns
            positions = self.select(where, refresh=False) if where else range(columns.n)
            found = summarize(columns, positions)
            self._groups_cache = (key, found)
            return found

    def group(self, group: str) -> tuple[str, str] | None:
        """(exception, fingerprint text) of a group id, if the list holds it."""
        return self._state.columns.fingerprints.get(group)


class IndexRegistry:
    """One index per (connection, list key) in this process, shared by its threads."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, str], FailureIndex] = {}
        self._lock = threading.Lock()

    def get(
        self, client: redis.Redis, key: str, queue: str | None, keys: Keys | None = None
    ) -> FailureIndex:
        kwargs = client.connection_pool.connection_kwargs
        where = f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db')}:{kwargs.get('path')}"
        with self._lock:
            index = self._indexes.get((where, key))
            if index is None or index.redis.connection_pool is not client.connection_pool:
                index = self._indexes[(where, key)] = FailureIndex(client, key, queue, keys)
            return index


indexes = IndexRegistry()
