"""Finding the failures a filter covers by reading them: a text search over the index's
candidates, or (while the index is still being built) over the list itself. Every search
is bounded in time, and a process runs at most MAX_SEARCHES at once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import redis

from ...failure import FailedJob, FailureList
from ..failure_filter import FailureFilter

# Text search reads records; it stops after this long and says the result is partial.
TEXT_BUDGET = 2.0
TEXT_CHUNK = 1000
# Reading the list newest first while the index catches up: at most this long a page.
SCAN_BUDGET = 0.5
# Text searches run at once per process; one more gets BUSY_BUDGET and says so ("busy"),
# so distinct searches cannot each hold a thread (and Redis) for the full budget.
MAX_SEARCHES = 2
BUSY_BUDGET = 0.25
_SEARCH_SLOTS = threading.BoundedSemaphore(MAX_SEARCHES)
_SEARCHES: OrderedDict[tuple[object, ...], Selection] = OrderedDict()
_SEARCHES_LOCK = threading.Lock()
_SEARCHES_KEPT = 32


@dataclass(frozen=True)
class Selection:
    """The positions (ascending) of the failures a filter covers in one list. With text in
    the filter, ``complete`` is False when the search ran out of time after ``scanned`` of
    ``candidates`` records (newest first): ``positions`` are then the matches found.
    ``counting`` is (indexed, total) when the index was still being built and the list was
    searched instead."""

    positions: Sequence[int]
    complete: bool = True
    scanned: int = 0
    candidates: int = 0
    counting: tuple[int, int] | None = None
    busy: bool = False  # other searches held the slots: this one ran for BUSY_BUDGET
    # The filter asks for retried (or not) and the index answered it: a retry made by
    # another tool (Ruby's resque-web rewrites the record in place, logging nothing) is in
    # the index only from its next rebuild, so the total may be that many off.
    approximate: bool = False

    @property
    def total(self) -> int:
        return len(self.positions)


def remembered(key: tuple[object, ...]) -> Selection | None:
    """A complete search answered for the same list, filter and index version."""
    with _SEARCHES_LOCK:
        return _SEARCHES.get(key)


def remember(key: tuple[object, ...], found: Selection) -> None:
    """Keep a search's answer for the next request (a polled or paged view asks again);
    a cut-short answer is not kept."""
    if found.busy:
        return
    with _SEARCHES_LOCK:
        _SEARCHES[key] = found
        while len(_SEARCHES) > _SEARCHES_KEPT:
            _SEARCHES.popitem(last=False)


def read_records(
    client: redis.Redis, failures: FailureList, positions: Sequence[int]
) -> list[str | None]:
    """The records at ``positions``: one LRANGE for a run, else pipelined LINDEX."""
    if isinstance(positions, range) and positions.step == 1:
        if not positions:
            return []
        raws: list[str | None] = list(
            client.lrange(failures.key, positions.start, positions.stop - 1)
        )
        return raws + [None] * (len(positions) - len(raws))
    pipe = client.pipeline(transaction=False)
    for position in positions:
        pipe.lindex(failures.key, position)
    return pipe.execute() if positions else []


@dataclass(frozen=True)
class Scan:
    """What one search reads: which records of which list, for which filter, from which
    end, and (``want``) how many matches are enough."""

    failures: FailureList
    candidates: Sequence[int]
    where: FailureFilter
    want: int | None = None
    newest_first: bool = True


def bounded_search(client: redis.Redis, scan: Scan, budget: float) -> Selection:
    """:func:`search` in one of the process's MAX_SEARCHES slots; when they are all
    taken, for BUSY_BUDGET only, and the selection says ``busy``."""
    if _SEARCH_SLOTS.acquire(blocking=False):
        try:
            return search(client, scan, budget)
        finally:
            _SEARCH_SLOTS.release()
    found = search(client, scan, min(budget, BUSY_BUDGET))
    return replace(found, busy=not found.complete)


def search(client: redis.Redis, scan: Scan, budget: float) -> Selection:
    """Read the candidates newest (or oldest) first, a chunk per round trip, until done,
    out of time or (``want``) that many matches are found; every field of the filter is
    checked on the record read. A record that lacks the text of a filtered value is not
    decoded at all."""
    failures, candidates, where = scan.failures, scan.candidates, scan.where
    want, newest_first = scan.want, scan.newest_first
    deadline = time.monotonic() + budget
    needles = where.needles(list_queue=failures.queue)
    matched: list[int] = []
    scanned = 0
    starts = range(0, len(candidates), TEXT_CHUNK)
    for start in reversed(starts) if newest_first else starts:
        chunk = candidates[start : start + TEXT_CHUNK]
        rows = zip(chunk, read_records(client, failures, chunk))
        for position, raw in reversed(list(rows)) if newest_first else rows:
            if raw is None or not all(needle in raw for needle in needles):
                continue
            if where(FailedJob(position, raw, failures.queue)):
                matched.append(position)
        scanned += len(chunk)
        if scanned < len(candidates) and (
            time.monotonic() > deadline or (want is not None and len(matched) >= want)
        ):
            break
    if newest_first:
        matched.reverse()
    return Selection(matched, scanned >= len(candidates), scanned, len(candidates))
