"""What the failure index keeps per record: one small integer per dimension (class,
exception, queue, group), the failed-at epoch and the retried flag, plus the positions of
each value, so a filter starts from its rarest value and checks the rest column by column."""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from ... import times
from ...failure import FailedJob, group_id, normalize
from ...failure.fingerprint import MAX_MESSAGE
from ...job import ACTIVE_JOB_WRAPPER, display_class_of
from ..failure_filter import NONE

DIMENSIONS = ("class", "exception", "queue", "group")
# Memos of the costly parts of reading a record, cleared when they grow past this.
MEMO_LIMIT = 50_000
# "YYYY?MM?DD?HH:MM:SS" at the start of a failed-at text, as every format Resque writes it.
_MINUTE = re.compile(r"[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9]{2}:[0-9]{2}:([0-5][0-9])")
# Messages that differ only in which digits 1-9 they hold have one fingerprint: every mask
# treats those digits alike (only "0x" names a digit), and none survives the masking.
SAME_FINGERPRINT = str.maketrans("23456789", "11111111")
# A failed-at's seconds, as every format Resque writes them at [17:19].
_SECONDS = {f"{s:02d}": s for s in range(60)}


class _Payload(msgspec.Struct):
    """A job payload as far as its display class goes; of its arguments only ActiveJob's
    wrapper's first is decoded (it names the class)."""

    name: Any = msgspec.field(default=None, name="class")
    args: list[msgspec.Raw] | None = None


class _Wrapped(msgspec.Struct):
    job_class: Any = None


_decode_wrapped = msgspec.json.Decoder(_Wrapped).decode


class _Fields(msgspec.Struct):
    """The fields of a failure record the index reads; the backtrace (most of a record's
    bytes), the worker and the arguments are skipped, not decoded."""

    failed_at: str | None = None
    payload: _Payload | None = None
    exception: str | None = None
    error: str | None = None
    queue: Any = None
    retried_at: Any = None


_decode_fields = msgspec.json.Decoder(_Fields).decode
# (display class, exception, error, queue, failed-at text, retried)
Row = tuple[str, str, str, str, str, bool]


def _wrapped_class(payload: _Payload) -> str:
    """:func:`display_class_of` for ActiveJob's wrapper: its first argument's job_class."""
    try:
        first = _decode_wrapped(payload.args[0]) if payload.args else None
    except msgspec.ValidationError:  # not an object
        first = None
    if first is not None and isinstance(first.job_class, str):
        return first.job_class
    return display_class_of({"class": payload.name})


def read_row(raw: str, list_queue: str | None) -> Row:
    """What :class:`FailedJob` says of a record, for the index, without decoding the rest.
    msgspec is stricter than Python's json (it refuses NaN, lone surrogates, numbers out of
    a double's range, and checks the skipped fields' syntax all the same), so whatever it
    decodes, json decodes to the same values. Anything else (not JSON to msgspec, a field
    of an unusual type, a payload that is not an object, bytes that are not UTF-8) is read
    by FailedJob itself."""
    try:
        f = _decode_fields(raw)
    except (msgspec.DecodeError, RecursionError, UnicodeEncodeError):
        # ValidationError is a DecodeError; UnicodeEncodeError: a record with bytes that
        # are not UTF-8 (lone surrogates, resque_web.exact), which msgspec cannot take.
        job = FailedJob(0, raw, list_queue)
        return (
            job.display_class,
            job.exception,
            job.error,
            job.queue,
            job.failed_at_text,
            job.retried,
        )
    payload = f.payload
    if payload is None:
        shown = "(unknown)"
    elif payload.name == ACTIVE_JOB_WRAPPER:
        shown = _wrapped_class(payload)
    else:
        name = payload.name
        shown = name if isinstance(name, str) and name else "(unknown)"
    queue = f.queue if isinstance(f.queue, str) else (list_queue or "")
    return (shown, f.exception or "", f.error or "", queue, f.failed_at or "", bool(f.retried_at))


class Dimension:
    """Interned values of one dimension, a column of value ids and each value's positions."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        self.postings: list[array] = []
        self.column = array("i")

    def extend(self, values: Sequence[str], start: int) -> None:
        """Append ``values``, the values of positions ``start ...``."""
        ids, names, postings = self.ids, self.names, self.postings
        column = []
        for position, value in enumerate(values, start):
            ident = ids.get(value)
            if ident is None:
                ident = ids[value] = len(names)
                names.append(value)
                postings.append(array("q"))
            column.append(ident)
            postings[ident].append(position)
        self.column.extend(column)

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

    def extend(self, raws: Sequence[str], list_queue: str | None, memo: Memo) -> None:
        """Index the records ``raws``, the next positions of the list. The hot loop of a
        cold index (100,000 records): each record's fields are read once (:func:`read_row`),
        each dimension's columns are appended to in one pass."""
        start = self.n
        rows = [read_row(raw, list_queue) for raw in raws]
        fingerprints = self.fingerprints
        groups = []
        for _, exception, error, _, _, _ in rows:
            group, text = memo.group(exception, error)
            if group not in fingerprints:
                fingerprints[group] = (exception or NONE, text)
            groups.append(group)
        dims = self.dims
        dims["class"].extend([row[0] for row in rows], start)
        dims["exception"].extend([row[1] or NONE for row in rows], start)
        dims["queue"].extend([row[3] for row in rows], start)
        dims["group"].extend(groups, start)
        epoch = memo.epoch
        self.failed_at.extend([epoch(row[4]) for row in rows])
        self.retried.extend([1 if row[5] else 0 for row in rows])
        self.n += len(rows)

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
        self._minutes: dict[str, float] = {}  # text without its seconds -> minute's epoch
        self._groups: dict[tuple[str, str], tuple[str, str]] = {}
        self._messages: dict[tuple[str, str], tuple[str, str]] = {}

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

    def _parse(self, text: str) -> float:
        found = self._epochs.get(text)
        if found is None:
            if len(self._epochs) > MEMO_LIMIT:
                self._epochs.clear()
            value = times.parse(text)
            found = self._epochs[text] = math.nan if value is None else value.timestamp()
        return found

    def group(self, exception: str, error: str) -> tuple[str, str]:
        """(group id, fingerprint) of a message: remembered by the message itself, and by
        its shape (digits 2-9 read as 1) for the fingerprinting."""
        found = self._messages.get((exception, error))
        if found is not None:
            return found
        key = (exception, error[:MAX_MESSAGE].translate(SAME_FINGERPRINT))
        found = self._groups.get(key)
        if found is None:
            if len(self._groups) > MEMO_LIMIT:
                self._groups.clear()
            text = normalize(error)
            found = self._groups[key] = (group_id(exception, text), text)
        if len(self._messages) > MEMO_LIMIT:
            self._messages.clear()
        self._messages[(exception, error)] = found
        return found
