"""Failures across the backend's lists: the single ``failed`` list and, with the multi-queue
backend, one ``<queue>_failed`` list per queue. Paging, filtering and every action go
through :class:`resque_web.failure.FailureList`, the one implementation; which failures a
view covers is one :class:`FailureFilter`, answered by the failure index."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from .. import times
from ..client import Resque
from ..failure import ActionResult, FailedJob, FailureList, Hold
from .failure_filter import FailureFilter
from .failure_index import FailureIndex, GroupSummary, indexes
from .page import Page, Paging, clamp_page, clamp_per_page
from .scripts import FAILURE_LISTS, SET_CHUNK, SET_CHUNK_SIZE, set_lengths

# Text search reads records; it stops after this long and says the result is partial.
TEXT_BUDGET = 2.0
TEXT_CHUNK = 1000
# How long a page waits for the failure index to catch up (a process's first look at
# 100,000 failures takes seconds) before it shows what it can without it: rows found by
# reading the list newest first for at most SCAN_BUDGET, and no counts until they are exact.
INDEX_WAIT = 0.15
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


@dataclass(frozen=True)
class FailureListInfo:
    name: str  # the list's bare key name: "failed" or "<queue>_failed"
    queue: str | None  # None for the single `failed` list
    count: int


def failure_lists(
    plain: int | str, counts: Mapping[str, int], queue_of: Callable[[str], str]
) -> list[FailureListInfo]:
    """The lists a script reported: ``failed`` (when it holds failures, or is the only
    one) and each per-queue list (``counts``: its length by name), by name."""
    names = sorted(counts.items())
    out = []
    if int(plain) or not names:
        out.append(FailureListInfo("failed", None, int(plain)))
    out += [FailureListInfo(name, queue_of(name), int(count)) for name, count in names]
    return out


class NoSuchFailureList(LookupError):
    """A per-queue failure list that ``failed_queues`` does not name."""

    def __init__(self, queue: str) -> None:
        super().__init__(f"There is no failure list for queue {queue!r}.")
        self.queue = queue


@dataclass(frozen=True)
class FailureView:
    """One look at a failure list: what ``/failed`` and ``/api/v1/failed`` show."""

    list_queue: str | None  # the per-queue list shown, None for the single `failed` list
    lists: list[FailureListInfo]
    multi: bool  # failures are kept per queue
    filter: FailureFilter
    page: Page[FailedJob] | None  # None: /failed with per-queue lists only lists them
    selection: Selection | None  # the filter's matches (None without a filter)
    counting: tuple[int, int] | None  # (indexed, total) while the index catches up
    facets: dict[str, list[tuple[str, int]]]  # value counts per dimension (none while counting)
    group: tuple[str, str] | None  # (exception, fingerprint) of the filter's group


class Failures:
    def __init__(self, resque: Resque, retry_removes: bool = False) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        self.retry_removes = retry_removes
        self._multi: bool | None = None
        self._lists = self.redis.register_script(FAILURE_LISTS)
        self._chunk = self.redis.register_script(SET_CHUNK)
        # A process's first look at this Redis starts indexing the `failed` list in the
        # background (the registry starts a new index), so the first page that shows
        # failures (seconds of work at 100,000 without a saved index) finds it made.
        indexes.get(self.redis, self.keys.failed, None, self.keys)

    @property
    def multi_queue(self) -> bool:
        """True when failures are kept per queue (``failed_queues`` names some lists)."""
        if self._multi is None:
            self._multi = bool(self.redis.scard(self.keys.failed_queues))
        return self._multi

    def list(self, list_queue: str | None = None) -> FailureList:
        if list_queue is None:
            return FailureList(self.redis, self.keys, self.keys.failed)
        return FailureList(
            self.redis,
            self.keys,
            self.keys.failed_queue(list_queue),
            queue=list_queue,
            retried_stamp=times.retried_at_multi_queue,
        )

    def lists(self) -> list[FailureListInfo]:
        """The ``failed`` list and every per-queue list, with counts (one round trip)."""
        return self._read_lists(None)[0]

    def _read_lists(self, list_queue: str | None) -> tuple[list[FailureListInfo], bool]:
        """The lists, and whether ``list_queue``'s list is one (``failed_queues`` names
        it): one script call while the lists fit a chunk (SET_CHUNK_SIZE)."""
        keys = self.keys
        args: list[object] = [keys.prefix, SET_CHUNK_SIZE]
        if list_queue is not None:
            args.append(keys.failed_queue_name(list_queue))
        plain, cursor, flat, found = self._lists(keys=[keys.failed, keys.failed_queues], args=args)
        counts = set_lengths(self._chunk, keys.failed_queues, [(keys.prefix, "")], cursor, flat)
        lists = failure_lists(
            plain, {name: n for name, (n,) in counts.items()}, keys.queue_of_failed_list
        )
        self._multi = any(info.queue is not None for info in lists)
        return lists, int(found) == 1

    def count(self, list_queue: str | None = None) -> int:
        return self.list(list_queue).count()

    def exists(self, list_queue: str) -> bool:
        """Is ``<queue>_failed`` a failure list? Only when ``failed_queues`` names it, as the
        multi-queue backend (Ruby's and ours) records every list it writes. A key that merely
        exists under that name may be anything (a pending queue ``queue:x_failed`` reached
        as ``/failed/queue:x``, the dashboard's own ``web:`` keys): never a failure list."""
        return self._read_lists(list_queue)[1]

    def view(
        self,
        list_queue: str | None,
        where: FailureFilter,
        paging: Paging,
        wait: float | None = INDEX_WAIT,
        *,
        queue_filter_names_list: bool = False,
        list_only_when_multi: bool = False,
    ) -> FailureView:
        """A page of one failure list under ``where``, with its counts: three round trips
        when the list's index is current (the lists, the index's look, the page's rows).

        Raises :class:`NoSuchFailureList` for an unknown per-queue list. With
        ``queue_filter_names_list`` (the API's older spelling), ``?queue=`` names the list
        when failures are kept per queue. With ``list_only_when_multi`` (the page), the
        per-queue lists are only listed while the plain ``failed`` list is empty. The index
        is waited for at most ``wait`` seconds (None: as long as it takes); until it is
        current, rows come from reading the list from the page's end and counts are left
        out (``counting`` says how far the index got)."""
        named = list_queue
        if named is None and queue_filter_names_list and where.queue:
            named = where.queue
        lists, found = self._read_lists(named)
        multi = bool(self._multi)
        if list_queue is None and named is not None and multi:
            list_queue, where = named, where.without("queue")
        if list_queue is not None and not found:
            raise NoSuchFailureList(list_queue)
        plain = next((i for i in lists if i.queue is None), None)
        view = FailureView(list_queue, lists, multi, where, None, None, None, {}, None)
        if list_only_when_multi and list_queue is None and multi and plain is None:
            return view
        known = next((i.count for i in lists if i.queue == list_queue), 0)
        failures = self.list(list_queue)
        index = self._ready(failures, wait)
        selection = None
        if where.active:
            want = paging.page * paging.per_page
            selection = self._select(failures, index, where, TEXT_BUDGET, want, paging.newest_first)
        page = self._page(failures, paging, where, selection, known)
        if index is None:
            return replace(
                view, page=page, selection=selection, counting=(self.index(failures).n, known)
            )
        group = index.group(where.group) if where.group else None
        facets = index.facets(refresh=False)
        return replace(view, page=page, selection=selection, facets=facets, group=group)

    def page(
        self,
        list_queue: str | None = None,
        page: int = 1,
        per_page: int = 20,
        newest_first: bool = True,
        filter: FailureFilter | None = None,
        selection: Selection | None = None,
    ) -> Page[FailedJob]:
        failures = self.list(list_queue)
        where = filter if filter is not None else FailureFilter()
        if where.active and selection is None:
            selection = self.select(list_queue, where)
        return self._page(failures, Paging(page, per_page, newest_first), where, selection)

    def _page(
        self,
        failures: FailureList,
        paging: Paging,
        where: FailureFilter,
        selection: Selection | None,
        known: int | None = None,
    ) -> Page[FailedJob]:
        """The page's rows: from the selection's positions under a filter, else one slice
        (clamped to ``known``, the list's length a moment ago, so a page past the end is
        read once)."""
        per_page = clamp_per_page(paging.per_page)
        if where.active and selection is not None:
            return self._filtered_page(
                failures, paging.page, per_page, paging.newest_first, where, selection
            )
        number = max(1, paging.page)
        if known is not None:
            number = clamp_page(number, per_page, known)
        total, rows = failures.slice((number - 1) * per_page, per_page, paging.newest_first)
        clamped = clamp_page(number, per_page, total)
        if clamped != number:
            number = clamped
            total, rows = failures.slice((number - 1) * per_page, per_page, paging.newest_first)
        return Page(rows, number, per_page, total, paging.newest_first, [f.position for f in rows])

    def _filtered_page(
        self,
        failures: FailureList,
        page: int,
        per_page: int,
        newest_first: bool,
        where: FailureFilter,
        selection: Selection,
    ) -> Page[FailedJob]:
        """Positions come from the list's index; only the page's rows are read, in one
        round trip, and each is checked again in case the list moved since."""
        positions = selection.positions
        total = len(positions)
        number = clamp_page(page, per_page, total)
        ordered = positions[::-1] if newest_first else positions
        wanted = ordered[(number - 1) * per_page : number * per_page]
        rows = [
            FailedJob(position, raw, failures.queue)
            for position, raw in zip(wanted, self._read(failures, wanted))
            if raw is not None
        ]
        rows = [row for row in rows if where.matches(row)]
        return Page(rows, number, per_page, total, newest_first, [f.position for f in rows])

    def index(self, failures: FailureList) -> FailureIndex:
        return indexes.get(self.redis, failures.key, failures.queue, self.keys)

    def _ready(self, failures: FailureList, wait: float | None) -> FailureIndex | None:
        """The list's index brought up to date (one look when nothing changed), waiting at
        most ``wait`` seconds (None: as long as it takes); None while it catches up."""
        index = self.index(failures)
        return index if index.current(wait) else None

    def progress(self, list_queue: str | None = None) -> tuple[int, int]:
        """(failures indexed, failures in the list) of an index still catching up."""
        failures = self.list(list_queue)
        return self.index(failures).n, failures.count()

    def select(
        self,
        list_queue: str | None,
        where: FailureFilter,
        budget: float = TEXT_BUDGET,
        wait: float | None = None,
    ) -> Selection:
        """The failures ``where`` covers: from the index, then (text) a bounded search;
        with ``wait``, a search of the newest while the index catches up."""
        failures = self.list(list_queue)
        return self._select(failures, self._ready(failures, wait), where, budget)

    def _select(
        self,
        failures: FailureList,
        index: FailureIndex | None,
        where: FailureFilter,
        budget: float,
        want: int | None = None,
        newest_first: bool = True,
    ) -> Selection:
        """The failures ``where`` covers: from ``index``, then (text) a bounded search.
        Without a current index the list is searched from the end the page starts at for
        SCAN_BUDGET, or until ``want`` matches (what the page shows) are found, and the
        selection says ``counting``."""
        if index is None:
            everything = range(failures.count())
            found = self._bounded_search(
                failures, everything, where, SCAN_BUDGET, want, newest_first
            )
            return replace(found, counting=(self.index(failures).n, len(everything)))
        positions = index.select(where.indexed, refresh=False)
        approximate = where.retried is not None
        if not where.text:
            return Selection(positions, True, 0, len(positions), approximate=approximate)
        key = (failures.key, where, index.version, id(self.redis.connection_pool))
        with _SEARCHES_LOCK:
            found = _SEARCHES.get(key)
        if found is not None:
            return found
        found = replace(
            self._bounded_search(failures, positions, where, budget), approximate=approximate
        )
        if found.busy:
            return found  # a cut-short answer is not remembered for the next request
        with _SEARCHES_LOCK:
            _SEARCHES[key] = found
            while len(_SEARCHES) > _SEARCHES_KEPT:
                _SEARCHES.popitem(last=False)
        return found

    def _bounded_search(
        self,
        failures: FailureList,
        candidates: Sequence[int],
        where: FailureFilter,
        budget: float,
        want: int | None = None,
        newest_first: bool = True,
    ) -> Selection:
        """:meth:`_search` in one of the process's MAX_SEARCHES slots; when they are all
        taken, for BUSY_BUDGET only, and the selection says ``busy``."""
        if _SEARCH_SLOTS.acquire(blocking=False):
            try:
                return self._search(failures, candidates, where, budget, want, newest_first)
            finally:
                _SEARCH_SLOTS.release()
        found = self._search(
            failures, candidates, where, min(budget, BUSY_BUDGET), want, newest_first
        )
        return replace(found, busy=not found.complete)

    def _search(
        self,
        failures: FailureList,
        candidates: Sequence[int],
        where: FailureFilter,
        budget: float,
        want: int | None = None,
        newest_first: bool = True,
    ) -> Selection:
        """Read the candidates newest (or oldest) first, a chunk per round trip, until
        done or out of time; every field of the filter is checked on the record read. A
        record that lacks the text of a filtered value is not decoded at all."""
        deadline = time.monotonic() + budget
        needles = where.needles(list_queue=failures.queue)
        matched: list[int] = []
        scanned = 0
        starts = range(0, len(candidates), TEXT_CHUNK)
        for start in reversed(starts) if newest_first else starts:
            chunk = candidates[start : start + TEXT_CHUNK]
            rows = zip(chunk, self._read(failures, chunk))
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

    def _read(self, failures: FailureList, positions: Sequence[int]) -> list[str | None]:
        """The records at ``positions``: one LRANGE for a run, else pipelined LINDEX."""
        if isinstance(positions, range) and positions.step == 1:
            if not positions:
                return []
            raws: list[str | None] = list(
                self.redis.lrange(failures.key, positions.start, positions.stop - 1)
            )
            return raws + [None] * (len(positions) - len(raws))
        pipe = self.redis.pipeline(transaction=False)
        for position in positions:
            pipe.lindex(failures.key, position)
        return pipe.execute() if positions else []

    def groups(
        self,
        list_queue: str | None = None,
        where: FailureFilter | None = None,
        wait: float | None = None,
    ) -> list[GroupSummary] | None:
        """Failures grouped by exception and message fingerprint, from the index (the
        filter's text aside: groups are counted over the indexed dimensions); None when
        the index is still catching up after ``wait`` seconds."""
        index = self._ready(self.list(list_queue), wait)
        if index is None:
            return None
        return index.groups(where.indexed if where and where.active else None, refresh=False)

    def samples(
        self, list_queue: str | None, groups: Sequence[GroupSummary]
    ) -> dict[str, FailedJob]:
        """An example failure of each group (its newest), read in one round trip."""
        failures = self.list(list_queue)
        pipe = self.redis.pipeline(transaction=False)
        for group in groups:
            pipe.lindex(failures.key, group.sample)
        out = {}
        for group, raw in zip(groups, pipe.execute() if groups else []):
            failure = None if raw is None else FailedJob(group.sample, raw, failures.queue)
            if failure is not None and failure.group == group.id:
                out[group.id] = failure
        return out

    def matching(
        self, list_queue: str | None = None, where: FailureFilter | None = None, chunk: int = 1000
    ) -> Iterator[FailedJob]:
        """Every failure ``where`` covers, oldest first, read ``chunk`` records at a time
        (for exports: memory stays flat however long the list)."""
        for failure in self.list(list_queue).scan(chunk=chunk):
            if where is None or where(failure):
                yield failure

    def facets(
        self, list_queue: str | None = None
    ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(class, count) and (exception, count) over the whole list, commonest first."""
        return self.index(self.list(list_queue)).counts()

    # Actions ------------------------------------------------------------------
    def retry(self, list_queue: str | None, position: int, digest: str) -> ActionResult:
        return self.list(list_queue).retry(position, digest, remove=self.retry_removes)

    def remove(
        self, list_queue: str | None, position: int, digest: str, hold: Hold | None = None
    ) -> ActionResult:
        return self.list(list_queue).remove(position, digest, hold)

    def act_on(
        self,
        list_queue: str | None,
        rows: list[tuple[int, str]],
        action: str,
        hold: Hold | None = None,
    ) -> ActionResult:
        """Retry or remove exactly the selected failures, named by (position, digest)."""
        return self.list(list_queue).act_on(rows, action, self.retry_removes, hold)

    def retry_edited(
        self, list_queue: str | None, position: int, digest: str, args: list[object]
    ) -> ActionResult:
        return self.list(list_queue).retry_edited(position, digest, args)

    def get(self, list_queue: str | None, position: int, digest: str) -> FailedJob | None:
        """The failure the user saw (found again if it moved), or None when it is gone."""
        return self.list(list_queue).locate(position, digest)

    def restore(self, list_queue: str | None, hold_key: str) -> int:
        """Put held failures back at the end of their list; how many came back."""
        return self.list(list_queue).restore(hold_key)
