"""Which failure lists there are: the single ``failed`` list and, with the multi-queue
backend, one ``<queue>_failed`` list per queue that ``failed_queues`` names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ... import times
from ...client import Resque
from ...failure import FailureList
from ..scripts import FAILURE_LISTS, SET_CHUNK, SET_CHUNK_SIZE, set_lengths


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


class FailureLists:
    """The failure lists of one Redis, and each as a :class:`FailureList` (the one
    implementation of reading and acting on a list). ``list_queue`` names a per-queue
    list by its queue; None is the single ``failed`` list."""

    def __init__(self, resque: Resque, retry_removes: bool = False) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        self.retry_removes = retry_removes
        self._multi: bool | None = None
        self._lists = self.redis.register_script(FAILURE_LISTS)
        self._chunk = self.redis.register_script(SET_CHUNK)

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
