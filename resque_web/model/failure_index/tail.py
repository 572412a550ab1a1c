"""What the failure index remembers of its prefix's end, to tell whether the live list
still starts with the records it indexed (see :mod:`.index` for the argument).

The prefix ``[0, n)`` ends with its last *change point* ``b`` (the last position whose
record differs from the next one), then a run of identical records up to ``n - 1``. The
tail keeps the digests of ``[window_start, b + 1]`` (at most WINDOW of them) and of record
``n - 1``: positions ``window_start ...`` hold ``window``, and every position after the
window holds ``window[-1]``.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...exact import to_bytes
from .looks import Look

# How many records before the change point are compared: a repeating pattern of
# byte-identical records would have to be longer than this to go unnoticed.
WINDOW = 16
# How much of the final run of identical records each look compares (all of it, unless a
# burst of byte-identical failures made it longer): a removal in the run and an append of
# the same bytes would otherwise let a different record slide into it unseen.
RUN_CHECK = 64
# Checkpoints kept per index, at least this many records apart (more apart as the list
# grows: the oldest half is thinned when there are too many).
MAX_CHECKPOINTS = 64
CHECKPOINT_GAP = 2000


def digest(raw: bytes | str) -> str:
    """:func:`resque_web.failure.digest` of a record read as bytes or as exact text: the
    SHA-1 of the bytes Redis holds, as its Lua computes it."""
    return hashlib.sha1(raw if isinstance(raw, bytes) else to_bytes(raw)).hexdigest()


@dataclass
class Tail:
    window: list[str] = field(default_factory=list)  # digests of [window_start, change + 1]
    window_start: int = 0
    last_digest: str = ""  # digest of record[n - 1]
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=WINDOW))  # up to n - 1

    def extend(self, start: int, raws: Sequence[bytes] | Sequence[str]) -> None:
        """Records ``start ...`` were appended to the prefix. Records are compared as
        strings; only what the tail keeps is digested."""
        if not raws:
            return
        change = None
        if start and digest(raws[0]) != self.last_digest:
            change = start - 1
        for offset in range(len(raws) - 1, 0, -1):
            if raws[offset] != raws[offset - 1]:
                change = start + offset - 1
                break
        if not start:
            self.window, self.window_start = [digest(raws[0])], 0
        if change is not None:
            first = max(0, change + 2 - WINDOW)
            known = zip(range(start - len(self.recent), start), self.recent)
            old = [d for p, d in known if p >= first]
            first = max(first, start - len(old))  # `recent` may not reach back that far
            self.window_start = first
            self.window = old + [
                digest(raw) for raw in raws[max(0, first - start) : change + 2 - start]
            ]
        self.recent.extend(digest(raw) for raw in raws[-WINDOW:])
        self.last_digest = self.recent[-1]

    def checks(self, n: int) -> list[tuple[int, int]]:
        """The records a look at the prefix ``[0, n)`` compares (``(first, last)``,
        inclusive): the window around its last change point, and the last RUN_CHECK of the
        run after it."""
        if not n:
            return []
        window_end = self.window_start + len(self.window) - 1
        return [(self.window_start, window_end), (max(window_end, n - RUN_CHECK), n - 1)]

    def holds(self, n: int, look: Look) -> bool:
        """The prefix ``[0, n)`` this tail ends is still the one indexed, by the records
        ``look`` read (:meth:`checks`): the window around the change point, and the run of
        identical records after it (its last RUN_CHECK, position n - 1 included), so no
        record can slide into the run unseen."""
        if look.total < n:
            return False
        (window_from, window_to), (run_from, run_to) = self.checks(n)
        window, run = look.records(window_from, window_to), look.records(run_from, run_to)
        if not run or window is None:
            return False
        return (
            all(digest(r) == self.last_digest for r in run)
            and [digest(r) for r in window] == self.window
        )

    def copy(self) -> Tail:
        return Tail(
            list(self.window), self.window_start, self.last_digest, deque(self.recent, WINDOW)
        )

    def edit(self, n: int) -> TailEdit:
        """The tail's records, to be edited by the dashboard's logged changes."""
        return TailEdit(self, n)


class TailEdit:
    """The prefix's end ``[window_start, n)`` record by record, as (position as indexed,
    digest), edited in log order. Each edit names the digest the dashboard saw and that is
    checked here: a logged change can only be applied to the record it changed, so changes
    nobody logged (Ruby's resque-web) still surface as a mismatch, never hide one."""

    def __init__(self, tail: Tail, n: int) -> None:
        self.start = tail.window_start
        run = [tail.window[-1]] * (n - self.start - len(tail.window))
        self.positions = list(range(self.start, n))
        self.digests = tail.window + run

    def _find(self, position: int) -> int | None:
        i = bisect_left(self.positions, position)
        return i if i < len(self.positions) and self.positions[i] == position else None

    def remove(self, position: int, old: str) -> bool:
        """False when the record there is not the one removed."""
        i = self._find(position)
        if i is None or self.digests[i] != old:
            return position < self.start
        del self.positions[i], self.digests[i]
        return True

    def rewrite(self, position: int, old: str, new: str) -> bool:
        i = self._find(position)
        if i is None or self.digests[i] != old:
            return position < self.start
        self.digests[i] = new
        return True

    def finish(self, deleted: Sequence[int]) -> Tail | None:
        """The tail of the prefix without ``deleted`` (ascending positions as indexed), or
        None when no change point is left in what it knows: rebuild then."""
        region = self.digests
        if not region:
            return None
        start = self.start - bisect_left(deleted, self.start)
        change = next(
            (i for i in range(len(region) - 2, -1, -1) if region[i] != region[i + 1]), None
        )
        tail = Tail(recent=deque(region[-WINDOW:], maxlen=WINDOW), last_digest=region[-1])
        if change is None:
            if start:
                return None  # the change point was removed: none is known any more
            tail.window = region[:1]
        else:
            first = max(0, change + 2 - WINDOW)
            tail.window = region[first : change + 2]
            tail.window_start = start + first
        return tail


class Checkpoints:
    """The tails of shorter prefixes ``(n, tail of [0, n))``, ascending, so that after a
    change nobody logged (Ruby's resque-web removed a failure) the index keeps the longest
    prefix still intact and reads only what follows it, instead of every record. A
    checkpoint is checked exactly as the index's own prefix is (:mod:`.index`): it vouches
    for nothing a look has not confirmed."""

    def __init__(self, kept: Sequence[tuple[int, Tail]] = ()) -> None:
        self.kept: list[tuple[int, Tail]] = list(kept)

    def add(self, n: int, tail: Tail) -> None:
        """Remember the prefix ``[0, n)`` (when far enough from the last one kept)."""
        if self.kept and n - self.kept[-1][0] < max(CHECKPOINT_GAP, n // MAX_CHECKPOINTS):
            return
        self.kept.append((n, tail.copy()))
        if len(self.kept) > MAX_CHECKPOINTS:  # every other one, the newest kept
            self.kept = self.kept[(len(self.kept) - 1) % 2 :: 2]

    def within(self, n: int) -> Checkpoints:
        """Those of prefixes no longer than ``n``: a removal at position ``n`` leaves
        them as they were."""
        return Checkpoints([kept for kept in self.kept if kept[0] <= n])
