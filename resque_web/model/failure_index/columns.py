"""What the failure index keeps per record: one small integer per dimension (class,
exception, queue, group), the failed-at epoch and the retried flag, plus the positions of
each value, so a filter starts from its rarest value and checks the rest column by column."""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import count, repeat
from operator import add, itemgetter

from ... import times
from ...failure import group_id, normalize
from ...failure.fingerprint import MAX_MESSAGE
from ..failure_filter import NONE, FailureFilter
from .reading import Fields, queue_of

DIMENSIONS = ("class", "exception", "queue", "group")
# Memos of the costly parts of reading a record, cleared when they grow past this.
MEMO_LIMIT = 50_000
# "YYYY?MM?DD?HH:MM:SS" at the start of a failed-at text, as every format Resque writes it.
_MINUTE = re.compile(r"[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9]{2}:[0-9]{2}:([0-5][0-9])")
# Messages that differ only in which digits 1-9 they hold have one fingerprint: every mask
# treats those digits alike (only "0x" names a digit), and none survives the masking.
SAME_FINGERPRINT = str.maketrans("23456789", "11111111")
# The same on a message's UTF-8 bytes: bytes.translate is ten times faster than str's.
_SAME_FINGERPRINT_BYTES = bytes.maketrans(b"23456789", b"11111111")
# A failed-at's seconds, as every format Resque writes them at [17:19].
_SECONDS = {f"{s:02d}": s for s in range(60)}
_BEFORE_SECONDS = itemgetter(slice(0, 17))
_AT_SECONDS = itemgetter(slice(17, 19))
_AFTER_SECONDS = itemgetter(slice(19, None))
_DATE = itemgetter(slice(0, 11))  # "YYYY/MM/DD " and the separator
_HOUR = itemgetter(slice(11, 14))
_MINUTE_SECOND = itemgetter(slice(14, 19))
_HOURS = {f"{h:02d}:": h * 3600.0 for h in range(24)}
_MINUTES_SECONDS = {f"{m:02d}:{s:02d}": m * 60.0 + s for m in range(60) for s in range(60)}
# After the seconds: a zone whose offset never changes (UTC's names as times.parse reads
# them, a numeric offset); the day's midnight plus the clock is then the time, exactly.
_FIXED_ZONE = re.compile(r"(?: (?:UTC|GMT|UT|Z)|Z| ?[+-][0-9]{2}(?::?[0-9]{2})?)")
_HEAD = itemgetter(slice(0, MAX_MESSAGE))


def _exception_name(exception: str) -> str:
    return exception or NONE


class Dimension:
    """Interned values of one dimension, a column of value ids and each value's positions.

    Positions are filed once per catch-up (:meth:`post`), not per chunk: a cold build
    files 100,000 of them in one C-level pass per dimension."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        self.postings: list[array] = []
        self.column = array("i")
        self.posted = 0  # positions [0, posted) are in the postings

    def intern(self, value: str) -> int:
        """The id of ``value``, a new one (the next) when it is new."""
        ident = self.ids.get(value)
        if ident is None:
            ident = self.ids[value] = len(self.names)
            self.names.append(value)
            self.postings.append(array("q"))
        return ident

    def extend(
        self, values: Sequence[str] | Sequence[str | None], name: Callable[..., str] | None = None
    ) -> list[str]:
        """Append the records' ``values`` (filed in the postings by :meth:`post`); a
        value stands for ``name(value)`` (the exception "" for "(none)"): both are keys
        of :attr:`ids`. New names get the next ids in the order they first occur; they
        are returned."""
        ids = self.ids
        new: list[str] = []
        try:
            column = array("i", map(ids.__getitem__, values))
        except KeyError:
            for value in dict.fromkeys(values):  # each distinct value once, in order
                if value not in ids:
                    shown = value if name is None else name(value)
                    if shown not in ids:
                        new.append(shown)
                    ids[value] = self.intern(shown)
            column = array("i", map(ids.__getitem__, values))
        self.column.extend(column)
        return new

    def post(self) -> None:
        """File the positions appended since the last call under their values."""
        start, end = self.posted, len(self.column)
        if start < end:
            positions = self.column[start:] if start else self.column
            deque(map(array.append, map(self.postings.__getitem__, positions), count(start)), 0)
            self.posted = end

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

    def extend(self, raws: Sequence[bytes | str], list_queue: str | None, memo: Memo) -> None:
        """Index the records ``raws`` (as Redis holds them), the next positions of the
        list. The hot path of a cold index (100,000 records): the records' fields are read
        in bulk (:class:`.reading.Fields`), parsing and fingerprinting are done once per
        distinct day, minute or message shape (:class:`Memo`), each column in one pass;
        the positions are filed by :meth:`post`."""
        fields = Fields(raws, list_queue)
        exceptions = fields.exceptions
        groups = memo.groups(exceptions, fields.errors)
        fingerprints = self.fingerprints
        dims = self.dims
        dims["class"].extend(fields.classes)
        dims["exception"].extend(exceptions, _exception_name)
        dims["queue"].extend(fields.queues, lambda queue: queue_of(queue, list_queue))
        for group in dims["group"].extend(groups):
            fingerprints.setdefault(group, memo.fingerprint(group))
        self.failed_at.extend(memo.epochs(fields.failed_at))
        self.retried += fields.retried
        self.n += len(fields)

    def post(self) -> None:
        """File every position appended since the last call (before the columns answer)."""
        for dim in self.dims.values():
            dim.post()

    def without(self, deleted: Sequence[int]) -> Columns:
        """A copy without the records at ``deleted`` (ascending), later ones moved up:
        what a removal does to the list. Value ids stay; only the positions after the
        first removed one are rewritten (the newest failures, which people remove most,
        are the cheapest), no record is read."""
        self.post()
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
            copy.posted = out.n
        at, retried = self.failed_at, self.retried
        out.failed_at = at[:first] + array("d", [at[p] for p in kept])
        out.retried = retried[:first] + bytearray(retried[p] for p in kept)
        return out

    def select(self, where: FailureFilter) -> list[int]:
        """Ascending positions of the records matching ``where`` (its text aside): the
        rarest value's positions, checked against the other columns."""
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
        base: Iterable[int] = range(self.n)
        smallest = self.n + 1
        for dim, value in wanted:
            ident = self.dims[dim].ids.get(value)
            if ident is None:
                return []
            postings = self.dims[dim].postings[ident]
            checks.append((self.dims[dim].column, ident))
            if len(postings) < smallest:
                base, smallest = postings, len(postings)
        since, until = where.time_range()
        lo = -math.inf if since is None else since
        hi = math.inf if until is None else until
        timed = since is not None or until is not None
        at, retried = self.failed_at, self.retried
        flag = None if where.retried is None else int(where.retried)
        return [
            p
            for p in base
            if all(column[p] == ident for column, ident in checks)
            and (not timed or lo <= at[p] < hi)
            and (flag is None or retried[p] == flag)
        ]

    def truncated(self, n: int) -> Columns:
        """A copy of the records ``[0, n)`` alone: what a checkpoint keeps when a change
        nobody logged fell after it. Value ids stay (a value left with no position is
        counted nowhere), no record is read."""
        self.post()
        out = Columns()
        out.n = n
        out.fingerprints = self.fingerprints
        for name, dim in self.dims.items():
            copy = out.dims[name]
            copy.names, copy.ids = list(dim.names), dict(dim.ids)
            copy.column = dim.column[:n]
            copy.postings = [post[: bisect_left(post, n)] for post in dim.postings]
            copy.posted = n
        out.failed_at = self.failed_at[:n]
        out.retried = self.retried[:n]
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
    """Failed-at times share their minute and messages repeat per shape: parse each once."""

    def __init__(self) -> None:
        self._epochs: dict[str, float] = {}
        self._minutes: dict[str, float] = {}  # text without its seconds -> minute's epoch
        self._days: dict[str, float] = {}  # date and fixed zone -> midnight's epoch
        self._groups: dict[tuple[str, bytes], str] = {}  # (exception, shape) -> group
        self._texts: dict[str, tuple[str, str]] = {}  # group -> (exception, fingerprint)

    def epoch(self, text: str) -> float:
        """Epoch seconds of a failed-at text. Every format Resque writes has the seconds at
        [17:19] after "YYYY?MM?DD?HH:MM:", so a minute is parsed once and its seconds added
        (exact: no zone changes its offset within a minute). The minute is remembered by
        the text around the seconds, checked against the format the first time."""
        seconds = _SECONDS.get(text[17:19])
        if seconds is not None:
            minute = self._minutes.get(text[:17] + text[19:])
            if minute is not None:
                return minute + seconds
        found = _MINUTE.match(text)
        if found is None:
            return self._parse(text)
        minute = self._parse(f"{text[:17]}00{text[19:]}")
        if len(self._minutes) > MEMO_LIMIT:
            self._minutes.clear()
        self._minutes[text[:17] + text[19:]] = minute
        return minute + int(found.group(1))

    def epochs(self, texts: Sequence[str]) -> list[float]:
        """:meth:`epoch` of each text, in C-level passes over all of them. A text in UTC
        or at a numeric offset is its day's midnight (parsed once per day) plus its
        clock, read by lookup; any other (a zone with summer time, or none: this
        machine's) goes by the minute (:meth:`_by_minute`)."""
        days = list(map(self._days.get, map(add, map(_DATE, texts), map(_AFTER_SECONDS, texts))))
        if None in days:
            for text in {
                text[:11] + text[19:]: text for text, day in zip(texts, days) if day is None
            }.values():
                self._day(text)
            days = list(
                map(self._days.get, map(add, map(_DATE, texts), map(_AFTER_SECONDS, texts)))
            )
        hours = list(map(_HOURS.get, map(_HOUR, texts)))
        clocks = list(map(_MINUTES_SECONDS.get, map(_MINUTE_SECOND, texts)))
        if None not in days and None not in hours and None not in clocks:
            return list(map(add, map(add, days, hours), clocks))
        found = [
            None if day is None or hour is None or clock is None else day + hour + clock
            for day, hour, clock in zip(days, hours, clocks)
        ]
        rest = [i for i, value in enumerate(found) if value is None]
        for i, value in zip(rest, self._by_minute([texts[i] for i in rest])):
            found[i] = value
        return found  # type: ignore[return-value]

    def _day(self, text: str) -> None:
        """Remember the midnight of ``text``'s day when its zone has a fixed offset, so
        that every time of that day is midnight plus its clock, exactly."""
        suffix = text[19:]
        if not _FIXED_ZONE.fullmatch(suffix):
            return
        first = self._parse(f"{text[:11]}00:00:00{suffix}")
        last = self._parse(f"{text[:11]}23:59:59{suffix}")
        if last - first == 86399:  # both readable (not NaN), the whole day
            if len(self._days) > MEMO_LIMIT:
                self._days.clear()
            self._days[text[:11] + suffix] = first

    def _by_minute(self, texts: Sequence[str]) -> list[float]:
        """:meth:`epoch` of each text; each new minute parsed once, then every text of it
        looked up again; a text whose seconds or format are not Resque's read alone."""
        keys = list(map(add, map(_BEFORE_SECONDS, texts), map(_AFTER_SECONDS, texts)))
        minutes = list(map(self._minutes.get, keys))
        if None in minutes:
            new = {key: text for key, text, minute in zip(keys, texts, minutes) if minute is None}
            for text in new.values():
                self.epoch(text)
            minutes = list(map(self._minutes.get, keys))
        seconds = list(map(_SECONDS.get, map(_AT_SECONDS, texts)))
        if None not in minutes and None not in seconds:
            return list(map(add, minutes, seconds))
        epoch = self.epoch
        return [
            epoch(text) if minute is None or second is None else minute + second
            for minute, second, text in zip(minutes, seconds, texts)
        ]

    def _parse(self, text: str) -> float:
        found = self._epochs.get(text)
        if found is None:
            if len(self._epochs) > MEMO_LIMIT:
                self._epochs.clear()
            value = times.parse(text)
            found = self._epochs[text] = math.nan if value is None else value.timestamp()
        return found

    def groups(self, exceptions: Sequence[str], errors: Sequence[str]) -> list[str]:
        """The group id of each (exception, message), remembered by the message's shape:
        its first MAX_MESSAGE characters as UTF-8, digits 2-9 read as 1 (every message of
        one shape has one fingerprint). Only a new shape is normalized."""
        heads = errors if max(map(len, errors), default=0) <= MAX_MESSAGE else map(_HEAD, errors)
        shapes = map(
            bytes.translate,
            map(str.encode, heads, repeat("utf-8"), repeat("surrogatepass")),
            repeat(_SAME_FINGERPRINT_BYTES),
        )
        keys = list(zip(exceptions, shapes))
        known = self._groups
        found = list(map(known.get, keys))
        if None in found:
            if len(known) + len(keys) > MEMO_LIMIT:
                known.clear()
                self._texts.clear()
            for i in [i for i, value in enumerate(found) if value is None]:
                value = known.get(keys[i])
                if value is None:
                    text = normalize(errors[i])
                    value = known[keys[i]] = group_id(exceptions[i], text)
                    self._texts[value] = (exceptions[i] or NONE, text)
                found[i] = value
        return found  # type: ignore[return-value]

    def fingerprint(self, group: str) -> tuple[str, str]:
        """(exception, fingerprint text) of a group :meth:`groups` gave out since the
        memo was last cleared (always the case for the groups of its last call)."""
        return self._texts[group]
