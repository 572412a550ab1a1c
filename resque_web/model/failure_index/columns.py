"""What the failure index keeps per record: one small integer per dimension (class,
exception, queue, group), the failed-at epoch and the retried flag, plus the positions of
each value, so a filter starts from its rarest value and checks the rest column by column."""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from ... import times
from ...failure import FailedJob, group_id, normalize
from ..failure_filter import NONE

DIMENSIONS = ("class", "exception", "queue", "group")
# Memos of the costly parts of reading a record, cleared when they grow past this.
MEMO_LIMIT = 50_000
# "YYYY?MM?DD?HH:MM:SS" at the start of a failed-at text, as every format Resque writes it.
_MINUTE = re.compile(r"[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9]{2}:[0-9]{2}:([0-5][0-9])")
# Messages that differ only in which digits 1-9 they hold have one fingerprint: every mask
# treats those digits alike (only "0x" names a digit), and none survives the masking.
SAME_FINGERPRINT = str.maketrans("23456789", "11111111")


class Dimension:
    """Interned values of one dimension, a column of value ids and each value's positions."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        self.postings: list[array] = []
        self.column = array("i")

    def add(self, value: str, position: int) -> None:
        ident = self.ids.get(value)
        if ident is None:
            ident = self.ids[value] = len(self.names)
            self.names.append(value)
            self.postings.append(array("q"))
        self.column.append(ident)
        self.postings[ident].append(position)

    def counts(self) -> list[tuple[str, int]]:
        """(value, count) commonest first (ties by value, for a stable order)."""
        pairs = [(name, len(p)) for name, p in zip(self.names, self.postings) if p]
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


class Columns:
    """The records ``[0, n)`` of one list, column by column."""

    def __init__(self) -> None:
        self.n = 0
        self.dims = {name: Dimension() for name in DIMENSIONS}
        self.failed_at = array("d")  # epoch seconds; NaN when missing or unreadable
        self.retried = bytearray()
        self.fingerprints: dict[str, tuple[str, str]] = {}  # group -> (exception, text)

    def add(self, failure: FailedJob, memo: Memo) -> None:
        position = self.n
        exception = failure.exception
        group, text = memo.group(exception, failure.error)
        self.fingerprints.setdefault(group, (exception or NONE, text))
        self.dims["class"].add(failure.display_class, position)
        self.dims["exception"].add(exception or NONE, position)
        self.dims["queue"].add(failure.queue, position)
        self.dims["group"].add(group, position)
        self.failed_at.append(memo.epoch(failure.failed_at_text))
        self.retried.append(1 if failure.retried else 0)
        self.n += 1

    def without(self, deleted: Sequence[int]) -> Columns:
        """A copy without the records at ``deleted`` (ascending), later ones moved up:
        what a removal does to the list. Value ids stay; only the positions after the
        first removed one are rewritten (the newest failures, which people remove most,
        are the cheapest), no record is read."""
        first, dead = deleted[0], set(deleted)
        kept = [p for p in range(first, self.n) if p not in dead]
        out = Columns()
        out.n = self.n - len(dead)
        out.fingerprints = self.fingerprints
        for name, dim in self.dims.items():
            copy = out.dims[name]
            copy.names, copy.ids = list(dim.names), dict(dim.ids)
            column = dim.column
            copy.column = column[:first] + array("i", [column[p] for p in kept])
            copy.postings = [_shifted(post, first, deleted, dead) for post in dim.postings]
        at, retried = self.failed_at, self.retried
        out.failed_at = at[:first] + array("d", [at[p] for p in kept])
        out.retried = retried[:first] + bytearray(retried[p] for p in kept)
        return out

    def mark_retried(self, positions: Iterable[int]) -> None:
        for position in positions:
            if 0 <= position < self.n:
                self.retried[position] = 1


def _shifted(post: array, first: int, deleted: Sequence[int], dead: set[int]) -> array:
    """Ascending positions without ``dead``, each moved up past the removed ones before it."""
    i = bisect_left(post, first)
    tail = [p - bisect_right(deleted, p) for p in post[i:] if p not in dead]
    return post[:i] + array("q", tail)


class Memo:
    """Failed-at times share their minute and messages repeat per group: parse each once."""

    def __init__(self) -> None:
        self._epochs: dict[str, float] = {}
        self._groups: dict[tuple[str, str], tuple[str, str]] = {}

    def epoch(self, text: str) -> float:
        """Epoch seconds of a failed-at text. Every format Resque writes has the seconds at
        [17:19] after "YYYY?MM?DD?HH:MM:", so a minute is parsed once and its seconds added
        (exact: no zone changes its offset within a minute)."""
        found = _MINUTE.match(text)
        if found is None:
            return self._parse(text)
        return self._parse(f"{text[:17]}00{text[19:]}") + int(found.group(1))

    def _parse(self, text: str) -> float:
        found = self._epochs.get(text)
        if found is None:
            if len(self._epochs) > MEMO_LIMIT:
                self._epochs.clear()
            value = times.parse(text)
            found = self._epochs[text] = math.nan if value is None else value.timestamp()
        return found

    def group(self, exception: str, error: str) -> tuple[str, str]:
        key = (exception, error.translate(SAME_FINGERPRINT))
        found = self._groups.get(key)
        if found is None:
            if len(self._groups) > MEMO_LIMIT:
                self._groups.clear()
            text = normalize(error)
            found = self._groups[key] = (group_id(exception, text), text)
        return found
