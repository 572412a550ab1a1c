"""Reading a chunk of failure records for the index: the six fields it needs, for 2,000
records at a time, in bulk.

A cold index reads every record of the list (100,000: 130 MB), so the time per record is
what counts. Records arrive as the bytes Redis holds (no UTF-8 decoding of the whole
record); msgspec decodes each into a small struct that declares only the needed fields and
skips the rest (the backtrace is most of a record), and the columns are then taken from
those structs with C-level ``map``/comprehensions rather than a Python call per record.

What it says of a record is exactly what :class:`FailedJob` says (pinned by the tests on
odd records). msgspec is stricter than Python's json in what it decodes, so anything it
refuses, or any field of an unusual type (a non-string class, a payload stored as a
string), is read by FailedJob itself. msgspec also takes an integer longer than Python's
``int`` limit (4,300 digits), which FailedJob refuses: a record long enough to hold one is
checked for it (a digit at every 4,301st byte first) and goes to FailedJob. (One more
difference, as in the index before: a record nested 101 to ~990 levels deep is read here,
where FailedJob calls it unreadable; catching it costs a count of every bracket, more than
the rest of this module together.)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import msgspec

from ...exact import from_bytes
from ...failure import FailedJob
from ...job import ACTIVE_JOB_WRAPPER

UNKNOWN = "(unknown)"
# Python's json refuses integers longer than this (int max_str_digits; 0: no limit).
_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
_LONG_NUMBER_TEXT = re.compile(f"[0-9]{{{_DIGITS + 1}}}") if _DIGITS else None
_LONG_NUMBER = re.compile(_LONG_NUMBER_TEXT.pattern.encode()) if _LONG_NUMBER_TEXT else None
_ANY_DIGIT = re.compile(rb"[0-9]")
_ANY_DIGIT_TEXT = re.compile(r"[0-9]")


class _Payload(msgspec.Struct, gc=False):
    """A job payload as far as its display class goes; of its arguments only ActiveJob's
    wrapper's first is decoded (it names the class)."""

    name: str | None = msgspec.field(default=None, name="class")
    args: msgspec.Raw = msgspec.field(default_factory=lambda: _NULL)  # as stored, not a list


class _Wrapped(msgspec.Struct, gc=False):
    job_class: Any = None


class _Record(msgspec.Struct, gc=False):
    """The fields of a failure record the index reads; the backtrace, the worker and the
    arguments are skipped (checked as JSON, not decoded). Any other type than declared
    (a class that is a number, a payload stored as a string) is FailedJob's to read."""

    failed_at: str | None = None
    payload: _Payload | None = None
    exception: str | None = None
    error: str | None = None
    queue: str | None = None
    retried_at: Any = None


_NULL = msgspec.Raw(b"null")
_decode = msgspec.json.Decoder(_Record).decode
_decode_args = msgspec.json.Decoder(list[msgspec.Raw] | None).decode
_decode_wrapped = msgspec.json.Decoder(_Wrapped).decode
_REFUSED = (msgspec.DecodeError, RecursionError, UnicodeEncodeError)
_EMPTY = _Record()
_payload_of = attrgetter("payload")
_failed_at_of = attrgetter("failed_at")
_exception_of = attrgetter("exception")
_error_of = attrgetter("error")
_queue_of = attrgetter("queue")
_retried_of = attrgetter("retried_at")

# (display class, exception, error, queue, failed-at text, retried)
Row = tuple[str, str, str, str, str, bool]


class Fields:
    """Records ``raws``, field by field: ``classes[i]`` is record i's display class."""

    __slots__ = ("classes", "errors", "exceptions", "failed_at", "queues", "retried")

    def __init__(self, raws: Sequence[bytes | str], list_queue: str | None) -> None:
        records, slow = _decode_all(raws)
        default_queue = list_queue or ""
        payloads = list(map(_payload_of, records))
        self.classes: list[str] = [
            UNKNOWN if p is None else (p.name or UNKNOWN) if p.name != ACTIVE_JOB_WRAPPER
            else _wrapped_class(p)
            for p in payloads
        ]  # fmt: skip
        self.exceptions: list[str] = [e or "" for e in map(_exception_of, records)]
        self.errors: list[str] = [e or "" for e in map(_error_of, records)]
        self.queues: list[str] = [
            default_queue if q is None else q for q in map(_queue_of, records)
        ]
        self.failed_at: list[str] = [t or "" for t in map(_failed_at_of, records)]
        self.retried = bytearray(map(bool, map(_retried_of, records)))
        for i in slow:  # what FailedJob says of the records msgspec could not read
            row = slow_row(raws[i], list_queue)
            self.classes[i], self.exceptions[i], self.errors[i] = row[0], row[1], row[2]
            self.queues[i], self.failed_at[i], self.retried[i] = row[3], row[4], row[5]

    def __len__(self) -> int:
        return len(self.classes)


def _decode_all(raws: Sequence[bytes | str]) -> tuple[list[_Record], list[int]]:
    """Every record decoded, and the positions of those FailedJob must read instead (they
    stand as an empty record in the list)."""
    try:
        records = list(map(_decode, raws))
        slow = []
    except _REFUSED:
        records = [_decode_one(raw) for raw in raws]
        slow = [i for i, record in enumerate(records) if record is None]
    if _DIGITS and max(map(len, raws), default=0) > _DIGITS:
        long = [i for i, size in enumerate(map(len, raws)) if size > _DIGITS]
        slow += [i for i in long if _long_number(raws[i])]
    for i in slow:
        records[i] = _EMPTY
    return records, sorted(set(slow))  # type: ignore[return-value]


def _decode_one(raw: bytes | str) -> _Record | None:
    try:
        return _decode(raw)
    except _REFUSED:
        return None


def _long_number(raw: bytes | str) -> bool:
    """Does the record hold a run of more digits than Python's json reads as an integer?
    Such a run covers one of every (limit + 1)-th byte: those are looked at first."""
    step = _DIGITS + 1
    if isinstance(raw, bytes):
        return bool(_ANY_DIGIT.search(raw[::step]) and _LONG_NUMBER.search(raw))  # type: ignore[union-attr]
    return bool(_ANY_DIGIT_TEXT.search(raw[::step]) and _LONG_NUMBER_TEXT.search(raw))  # type: ignore[union-attr]


def _wrapped_class(payload: _Payload) -> str:
    """:func:`display_class_of` for ActiveJob's wrapper: its first argument's job_class."""
    try:
        args = _decode_args(payload.args)
        first = _decode_wrapped(args[0]) if args else None
    except msgspec.ValidationError:  # the arguments not a list, the first not an object
        first = None
    if first is not None and isinstance(first.job_class, str):
        return first.job_class
    return ACTIVE_JOB_WRAPPER


def slow_row(raw: bytes | str, list_queue: str | None) -> Row:
    """What FailedJob says of a record (bytes read as :mod:`resque_web.exact` reads them)."""
    job = FailedJob(0, from_bytes(raw) if isinstance(raw, bytes) else raw, list_queue)
    return (
        job.display_class,
        job.exception,
        job.error,
        job.queue,
        job.failed_at_text,
        job.retried,
    )


def read_row(raw: bytes | str, list_queue: str | None) -> Row:
    """One record's fields, as :class:`Fields` reads them (for tests and single reads)."""
    fields = Fields([raw], list_queue)
    return (
        fields.classes[0],
        fields.exceptions[0],
        fields.errors[0],
        fields.queues[0],
        fields.failed_at[0],
        bool(fields.retried[0]),
    )
