"""Looking at a failure list: a page of it under a filter, with its counts, groups and
facets from the failure index. :meth:`Failures.view` is the one call the list page and
its JSON twin make."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from ...client import Resque
from ...failure import FailedJob, FailureList
from ..failure_filter import FailureFilter
from ..failure_index import FailureIndex, GroupSummary, indexes
from ..page import Page, Paging, clamp_page, clamp_per_page
from .actions import FailureActions
from .lists import FailureListInfo, NoSuchFailureList
from .search import (
    SCAN_BUDGET,
    TEXT_BUDGET,
    Scan,
    Selection,
    bounded_search,
    read_records,
    remember,
    remembered,
)

# How long a page waits for the failure index to catch up (a process's first look at
# 100,000 failures takes seconds) before it shows what it can without it: rows found by
# reading the list newest first for at most SCAN_BUDGET, and no counts until they are exact.
INDEX_WAIT = 0.15


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


class Failures(FailureActions):
    """Failures across the backend's lists: reading (this module) and acting on them
    (:class:`.FailureActions`); which failures a view covers is one
    :class:`FailureFilter`, answered by the failure index."""

    def __init__(self, resque: Resque, retry_removes: bool = False) -> None:
        super().__init__(resque, retry_removes)
        # A process's first look at this Redis starts indexing the `failed` list in the
        # background (the registry starts a new index), so the first page that shows
        # failures (seconds of work at 100,000 without a saved index) finds it made.
        indexes.get(self.redis, self.keys.failed, None, self.keys)

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
            for position, raw in zip(wanted, read_records(self.redis, failures, wanted))
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
            scan = Scan(failures, everything, where, want, newest_first)
            found = bounded_search(self.redis, scan, SCAN_BUDGET)
            return replace(found, counting=(self.index(failures).n, len(everything)))
        positions = index.select(where.indexed, refresh=False)
        approximate = where.retried is not None
        if not where.text:
            return Selection(positions, True, 0, len(positions), approximate=approximate)
        key = (failures.key, where, index.version, id(self.redis.connection_pool))
        found = remembered(key)
        if found is None:
            found = bounded_search(self.redis, Scan(failures, positions, where), budget)
            found = replace(found, approximate=approximate)
            remember(key, found)
        return found

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
