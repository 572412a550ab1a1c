"""Reading a chunk of failure records for the index: the six fields it needs, for 2,000
records at a time, in bulk.

A cold index reads every record of the list (100,000: 130 MB), so the time per record is
what counts. Records arrive as the bytes Redis holds (:mod:`.looks`: no UTF-8 decoding of
the whole record); msgspec decodes each into a small struct typed as Resque writes a
record (strings, a payload of a class and arguments), the backtrace and the arguments
kept raw (checked as JSON, not decoded), and the columns are then taken from those
structs with C-level ``map`` passes rather than a Python call per record.

What it says of a record is exactly what :class:`FailedJob` says (pinned by the tests on
odd records). Anything msgspec refuses or finds of another type than declared (a
non-string class, a payload stored as a string, a null message) is read by FailedJob
itself; a record with fields of its own is read by a looser struct, its brackets
counted. Two things msgspec reads that FailedJob does not are looked for: an integer
longer than Python's ``int`` limit (4,300 digits; a record long enough to hold one is
checked, a digit at every 4,301st byte first), and nesting deeper than Ruby reads
(MAX_NESTING, 100 levels; msgspec reads ~990): see :func:`_too_deep`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from itertools import compress, repeat
from operator import attrgetter
from typing import Any

import msgspec

from ...exact import from_bytes
from ...failure import FailedJob
from ...job import ACTIVE_JOB_WRAPPER
from ...payload import MAX_NESTING

UNKNOWN = "(unknown)"
# Python's json refuses integers longer than this (int max_str_digits; 0: no limit).
_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
_LONG_NUMBER_TEXT = re.compile(f"[0-9]{{{_DIGITS + 1}}}") if _DIGITS else None
_LONG_NUMBER = re.compile(_LONG_NUMBER_TEXT.pattern.encode()) if _LONG_NUMBER_TEXT else None
_ANY_DIGIT = re.compile(rb"[0-9]")
_ANY_DIGIT_TEXT = re.compile(r"[0-9]")
# The arguments sit two levels deep (record, payload): nested deeper than this, the record
# is deeper than Ruby reads. Arguments that short cannot hold so many brackets.
_ARGS_NESTING = MAX_NESTING - 2
_NULL = msgspec.Raw(b"null")


class _Payload(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A job payload as far as its display class goes; of its arguments only ActiveJob's
    wrapper's first is decoded (it names the class)."""

    name: str = msgspec.field(default="", name="class")
    args: msgspec.Raw = msgspec.field(default_factory=lambda: _NULL)  # as stored, not a list


class _Wrapped(msgspec.Struct, gc=False):
    job_class: Any = None


class _Record(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """The fields of a failure record as Resque writes them, typed as Resque writes them;
    the backtrace and the arguments are kept raw (checked as JSON, not decoded). Anything
    else (an unknown field, a class that is a number, a null message) is read by
    :class:`_AnyFields`, or by FailedJob."""

    failed_at: str = ""
    payload: _Payload = msgspec.field(default_factory=_Payload)
    exception: str = ""
    error: str = ""
    backtrace: msgspec.Raw = msgspec.field(default_factory=lambda: _NULL)
    worker: str = ""
    queue: str | None = None  # None: the list's queue
    retried_at: str | None = None


class _AnyPayload(_Payload, gc=False, forbid_unknown_fields=False):
    pass


class _AnyFields(_Record, gc=False, forbid_unknown_fields=False):
    """:class:`_Record` with fields of its own, which are skipped (so how deep they nest
    is not known: such a record's brackets are counted)."""

    payload: _AnyPayload = msgspec.field(default_factory=_AnyPayload)


_decode = msgspec.json.Decoder(_Record).decode
_decode_any_fields = msgspec.json.Decoder(_AnyFields).decode
_decode_args = msgspec.json.Decoder(list[msgspec.Raw] | None).decode
_decode_wrapped = msgspec.json.Decoder(_Wrapped).decode
_REFUSED = (msgspec.DecodeError, RecursionError, UnicodeEncodeError)
_EMPTY = _Record()
_EMPTY_PAYLOAD = _Payload()
_payload_of = attrgetter("payload")
_name_of = attrgetter("name")
_args_of = attrgetter("args")
_backtrace_of = attrgetter("backtrace")
_failed_at_of = attrgetter("failed_at")
_exception_of = attrgetter("exception")
_error_of = attrgetter("error")
_queue_of = attrgetter("queue")
_retried_of = attrgetter("retried_at")

# (display class, exception, error, queue, failed-at text, retried)
Row = tuple[str, str, str, str, str, bool]


class Fields:
    """Records ``raws``, field by field: ``classes[i]`` is record i's display class.
    ``queues[i]`` is None for a record that names no queue (the list's queue is then its
    queue: :func:`queue_of`)."""

    __slots__ = ("classes", "errors", "exceptions", "failed_at", "queues", "retried")

    def __init__(self, raws: Sequence[bytes | str], list_queue: str | None) -> None:
        records, slow = _decode_all(raws)
        payloads = list(map(_payload_of, records))
        slow = sorted({*slow, *_too_deep(raws, records, payloads)})
        for i in slow:  # read by FailedJob below
            records[i], payloads[i] = _EMPTY, _EMPTY_PAYLOAD
        classes: list[str] = list(map(_name_of, payloads))
        self.classes = classes
        if "" in classes:
            for i in _positions(classes, ""):
                classes[i] = UNKNOWN
        if ACTIVE_JOB_WRAPPER in classes:
            for i in _positions(classes, ACTIVE_JOB_WRAPPER):
                classes[i] = _wrapped_class(payloads[i])
        self.exceptions: list[str] = list(map(_exception_of, records))
        self.errors: list[str] = list(map(_error_of, records))
        self.queues: list[str | None] = list(map(_queue_of, records))
        self.failed_at: list[str] = list(map(_failed_at_of, records))
        self.retried = bytearray(map(bool, map(_retried_of, records)))
        for i in slow:  # what FailedJob says of the records msgspec could not read
            row = slow_row(raws[i], list_queue)
            self.classes[i], self.exceptions[i], self.errors[i] = row[0], row[1], row[2]
            self.queues[i], self.failed_at[i], self.retried[i] = row[3], row[4], row[5]

    def __len__(self) -> int:
        return len(self.classes)


def queue_of(queue: str | None, list_queue: str | None) -> str:
    """A record's queue as FailedJob reads it: its own, or else the list's."""
    return (list_queue or "") if queue is None else queue


def _decode_all(raws: Sequence[bytes | str]) -> tuple[list[_Record], list[int]]:
    """Every record decoded, and the positions of those FailedJob must read instead (they
    stand as an empty record in the list): what msgspec refuses, integers longer than
    Python reads, and records nested deeper than Ruby reads (MAX_NESTING)."""
    try:
        records: list[_Record] = list(map(_decode, raws))
        slow: list[int] = []
        counted: list[int] = []
    except _REFUSED:
        records, slow, counted = _decode_each(raws)
    slow += [i for i in counted if _too_many_brackets(raws[i])]
    if _DIGITS and max(map(len, raws), default=0) > _DIGITS:
        long = [i for i, size in enumerate(map(len, raws)) if size > _DIGITS]
        slow += [i for i in long if _long_number(raws[i])]
    for i in slow:
        records[i] = _EMPTY
    return records, sorted(set(slow))


def _decode_each(raws: Sequence[bytes | str]) -> tuple[list[_Record], list[int], list[int]]:
    """:func:`_decode_all`'s records one by one: (records, the positions FailedJob must
    read, the positions read with fields of their own, whose brackets must be counted)."""
    records: list[_Record] = []
    slow: list[int] = []
    counted: list[int] = []
    for i, raw in enumerate(raws):
        try:
            records.append(_decode(raw))
            continue
        except _REFUSED:
            pass
        try:
            records.append(_decode_any_fields(raw))  # type: ignore[arg-type]
            counted.append(i)
        except _REFUSED:
            records.append(_EMPTY)
            slow.append(i)
    return records, slow, counted


def _too_deep(
    raws: Sequence[bytes | str], records: Sequence[_Record], payloads: Sequence[_Payload]
) -> list[int]:
    """Records nested deeper than MAX_NESTING, which FailedJob calls unreadable. Their
    other fields are strings, so only the backtrace and the arguments can nest; the few
    records where they might are counted (:func:`_too_many_brackets`, FailedJob's own
    first test). A backtrace nests no deeper than its own level when no ``[`` follows its
    first byte and it holds no ``{``: true when the record's last ``[`` starts the
    backtrace's bytes and no ``{`` follows it, found with memrchr/memchr (``rfind``,
    ``find``) and memcmp (``startswith``), never counted byte by byte. Arguments shorter
    than twice the depth they would need cannot hold enough brackets; only longer ones
    (an ActiveJob's) are counted, then the records whose arguments hold enough."""
    if not raws or not isinstance(raws[0], bytes):
        return [i for i, raw in enumerate(raws) if _too_many_brackets(raw)]  # text: tests
    opens = list(map(bytes.rfind, raws, repeat(b"[")))  # type: ignore[arg-type]
    maybe = []
    if False in map(bytes.startswith, raws, map(_backtrace_of, records), opens):  # type: ignore[arg-type]
        starts = map(bytes.startswith, raws, map(_backtrace_of, records), opens)  # type: ignore[arg-type]
        maybe += [i for i, start in enumerate(starts) if not start]
    braces = list(map(bytes.find, raws, repeat(b"{"), opens))  # type: ignore[arg-type]
    if max(braces, default=-1) >= 0:
        maybe += [i for i, brace in enumerate(braces) if brace >= 0]
    args = list(map(_args_of, payloads))
    if max(map(len, args), default=0) >= 2 * _ARGS_NESTING:
        maybe += [
            i
            for i in _at_least(list(map(len, args)), 2 * _ARGS_NESTING)
            if _too_many_brackets(bytes(args[i]), _ARGS_NESTING)
        ]
    return [i for i in sorted(set(maybe)) if _too_many_brackets(raws[i])]


def _at_least(values: Sequence[int], least: int) -> list[int]:
    """Where ``values`` are ``least`` or more (C-level passes)."""
    return list(compress(range(len(values)), map(least.__le__, values)))


def _positions(values: Sequence[str], value: str) -> list[int]:
    """Where ``value`` is in ``values`` (C-level passes)."""
    return list(compress(range(len(values)), map(value.__eq__, values)))


def _too_many_brackets(raw: bytes | str, limit: int = MAX_NESTING) -> bool:
    """As many brackets as nesting past ``limit`` needs (FailedJob's own first test)."""
    if isinstance(raw, bytes):
        return raw.count(b"[") + raw.count(b"{") > limit
    return raw.count("[") + raw.count("{") > limit


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
        queue_of(fields.queues[0], list_queue),
        fields.failed_at[0],
        bool(fields.retried[0]),
    )
