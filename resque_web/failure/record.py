"""Failure records: building them as Resque 3.0 writes them, and reading them back.

A record is ``{"failed_at","payload","exception","error","backtrace","worker","queue"}`` in
that key order, plus ``"retried_at"`` once retried. Reading never raises: a record that is
not JSON, or not an object, still becomes a :class:`FailedJob` with ``parse_error`` set.
"""

from __future__ import annotations

import hashlib
import os
import traceback
from datetime import datetime
from types import TracebackType
from typing import Any

from .. import payload as jsonp
from .. import times
from ..errors import exception_name
from ..exact import to_bytes
from ..job import Job, display_class_of
from .fingerprint import group_id, normalize

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def digest(raw: str) -> str:
    """The identity of a stored value: the SHA-1 Redis' ``redis.sha1hex`` computes in Lua,
    on the exact bytes stored (read through :mod:`resque_web.exact`, bytes that are not
    UTF-8 included)."""
    return hashlib.sha1(to_bytes(raw)).hexdigest()


def error_message(exc: BaseException) -> str:
    """``exception.to_s``: like Ruby, an exception raised without a message says its name."""
    return str(exc) if exc.args else exception_name(exc)


def format_backtrace(tb: TracebackType | None) -> list[str]:
    """Innermost frame first, as Ruby prints them, without this package's own frames
    (Ruby's backtraces likewise stop before Resque's)."""
    frames = [
        f"{frame.filename}:{frame.lineno}:in `{frame.name}'"
        for frame in traceback.extract_tb(tb)
        if not frame.filename.startswith(_PACKAGE_DIR)
    ]
    return list(reversed(frames))


def build_record(
    exc: BaseException,
    worker_id: str,
    queue: str,
    payload: Any,
    backtrace: list[str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The record Ruby's failure backends store for ``exc``."""
    return {
        "failed_at": times.failed_at(now),
        "payload": payload,
        "exception": exception_name(exc),
        "error": error_message(exc),
        "backtrace": backtrace if backtrace is not None else format_backtrace(exc.__traceback__),
        "worker": worker_id,
        "queue": queue,
    }


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    return jsonp.text_of(value)


class FailedJob:
    """One stored failure, as a reader sees it. ``position`` is its place in its list;
    ``digest`` identifies the exact stored bytes, so actions hit the failure the user saw."""

    def __init__(self, position: int, raw: str | bytes, list_queue: str | None = None) -> None:
        self.position = position
        self.raw = jsonp.to_text(raw)
        self.list_queue = list_queue
        self.parse_error: str | None = None
        data: Any
        try:
            data = jsonp.decode(raw)
        except jsonp.PayloadError as exc:
            data, self.parse_error = {}, str(exc)
        if not isinstance(data, dict):
            self.parse_error = self.parse_error or "the record is not a JSON object"
            data = {}
        self.data: dict[str, Any] = data

    @property
    def digest(self) -> str:
        return digest(self.raw)

    @property
    def payload(self) -> Any:
        return self.data.get("payload")

    @property
    def job(self) -> Job:
        """The failed job; a payload stored as a raw string (unparseable) is read as such."""
        value = self.payload
        queue = self.queue
        if isinstance(value, str):
            return Job.from_raw(queue, value)
        try:
            return Job(queue, value)
        except (TypeError, ValueError):
            return Job.from_raw(queue, repr(value))

    @property
    def queue(self) -> str:
        value = self.data.get("queue")
        return value if isinstance(value, str) else (self.list_queue or "")

    @property
    def worker(self) -> str:
        return _text(self.data, "worker")

    @property
    def exception(self) -> str:
        return _text(self.data, "exception")

    @property
    def error(self) -> str:
        return _text(self.data, "error")

    @property
    def fingerprint(self) -> str:
        """The message with its variable parts masked (see :mod:`.fingerprint`)."""
        return normalize(self.error)

    @property
    def group(self) -> str:
        """The id of this failure's group: exception class and fingerprint."""
        return group_id(self.exception, self.fingerprint)

    @property
    def failed_epoch(self) -> float | None:
        value = self.failed_at
        return value.timestamp() if value else None

    @property
    def backtrace(self) -> list[str]:
        value = self.data.get("backtrace")
        if isinstance(value, list):
            return [jsonp.text_of(v) for v in value]
        return [value] if isinstance(value, str) else []

    @property
    def failed_at_text(self) -> str:
        return _text(self.data, "failed_at")

    @property
    def failed_at(self) -> datetime | None:
        return times.parse(self.data.get("failed_at"))

    @property
    def retried_at_text(self) -> str:
        return _text(self.data, "retried_at")

    @property
    def retried_at(self) -> datetime | None:
        return times.parse(self.data.get("retried_at"))

    @property
    def retried(self) -> bool:
        return bool(self.data.get("retried_at"))

    @property
    def display_class(self) -> str:
        value = self.payload
        return self.job.display_class if isinstance(value, str) else display_class_of(value)

    @property
    def display_args(self) -> list[Any]:
        return self.job.display_args

    def requeue_item(self) -> str | None:
        """The queue item a retry pushes: Ruby's ``Job.create(queue, class, *args)``.

        A payload we could not parse is pushed back exactly as stored, so nothing is lost.
        """
        value = self.payload
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("class"), str):
            args = value.get("args")
            return jsonp.encode_job(value["class"], args if isinstance(args, list) else [])
        return None

    def with_retried_at(self, stamp: str) -> str:
        """The record re-encoded with ``retried_at`` set, as Ruby's requeue writes it."""
        data = dict(self.data)
        data["retried_at"] = stamp
        return jsonp.encode(data, "failure")

    def __repr__(self) -> str:
        return (
            f"FailedJob(position={self.position}, queue={self.queue!r}, "
            f"exception={self.exception!r})"
        )
