"""One status as resque-status 0.5 stores it (``Resque::Plugins::Status::Hash``).

A status is a JSON object under ``status:<uuid>``: ``time`` (epoch seconds of creation),
``status`` (queued, working, completed, failed, killed), ``uuid``, ``options``, ``name``,
``num``, ``total``, ``message`` and whatever extra keys a job adds. Ruby builds each new
value by merging, in order, ``{"time": now, "status": "queued", "uuid": uuid}``, the stored
value and the new fields; Python dicts merge the same way (a key keeps its place, new keys
go last), which is what makes the bytes equal.

Reading never raises: a value that is not a JSON object is a :class:`Status` with an
``error``, shown as unreadable.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import payload as jsonp

QUEUED = "queued"
WORKING = "working"
COMPLETED = "completed"
FAILED = "failed"
KILLED = "killed"
STATES = (QUEUED, WORKING, COMPLETED, FAILED, KILLED)
FINISHED = frozenset({COMPLETED, FAILED, KILLED})


def merge(uuid: str | None, *messages: str | dict[str, Any] | None, now: int) -> dict[str, Any]:
    """``Hash.new(uuid, *messages)``: the base fields, then each message merged in order (a
    string is a ``message``, None nothing)."""
    data: dict[str, Any] = {"time": now, "status": QUEUED}
    if uuid is not None:
        data["uuid"] = uuid
    for item in messages:
        if isinstance(item, str):
            data["message"] = item
        elif item:
            data.update(item)
    return data


_LEADING_FLOAT = re.compile(r"\s*([+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)")


def to_f(value: Any) -> float:
    """Ruby's ``#to_f`` as resque-status applies it to ``num`` and ``total``: numbers as
    they are, a string's leading number (``"4"`` is 4.0, ``"abc"`` 0.0), anything else 0."""
    if isinstance(value, bool) or value is None:
        return 0.0
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        found = _LEADING_FLOAT.match(value)
        return float(found.group(1)) if found else 0.0
    return 0.0


def pct_complete(data: dict[str, Any]) -> int:
    """``Hash#pct_complete``: 100 when completed, 0 when queued, else ``num / total`` as a
    truncated percentage (a missing or zero total counts as 1). Ruby fails on a total that
    is not a number; here that, and any result that is not finite, is 0."""
    state = state_of(data)
    if state == COMPLETED:
        return 100
    if state == QUEUED:
        return 0
    total = data.get("total")
    divisor = 1.0 if total is None or (not isinstance(total, bool) and total == 0) else to_f(total)
    if divisor == 0.0:
        return 0
    value = to_f(data.get("num")) / divisor * 100
    return int(value) if math.isfinite(value) else 0


def state_of(data: dict[str, Any]) -> Any:
    """The ``status`` field; a status without one reads as queued, as in Ruby."""
    return data.get("status", QUEUED)


@dataclass
class Status:
    """A stored status. ``data`` is the object in stored order (empty when unreadable);
    ``raw`` the exact stored text; ``error`` why it cannot be read; ``score`` its time in
    ``_statuses``; ``kill_requested`` whether its uuid is in the kill set."""

    uuid: str
    data: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None
    error: str | None = None
    score: float | None = None
    kill_requested: bool = False

    @classmethod
    def from_raw(
        cls, uuid: str, raw: str | bytes, score: float | None = None, kill_requested: bool = False
    ) -> Status:
        text = jsonp.to_text(raw)
        try:
            decoded = jsonp.decode(raw)
        except jsonp.PayloadError as exc:
            return cls(uuid, {}, text, str(exc), score, kill_requested)
        if not isinstance(decoded, dict):
            error = f"the status is a JSON {type(decoded).__name__}, not an object"
            return cls(uuid, {}, text, error, score, kill_requested)
        return cls(uuid, decoded, text, None, score, kill_requested)

    # The fields ------------------------------------------------------------------
    @property
    def readable(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str | None:
        """queued, working, completed, failed, killed (or whatever another writer put)."""
        if not self.readable:
            return None
        state = state_of(self.data)
        return state if isinstance(state, str) else json.dumps(state)

    @property
    def name(self) -> Any:
        return self.data.get("name")

    @property
    def message(self) -> Any:
        return self.data.get("message")

    @property
    def options(self) -> Any:
        return self.data.get("options")

    @property
    def num(self) -> Any:
        return self.data.get("num")

    @property
    def total(self) -> Any:
        return self.data.get("total")

    @property
    def time(self) -> datetime | None:
        """When the status was created (``time``, epoch seconds), or None."""
        return epoch_time(self.data.get("time"))

    @property
    def created(self) -> datetime | None:
        """``time``, else the status's score in ``_statuses``."""
        return self.time or epoch_time(self.score)

    @property
    def extra(self) -> dict[str, Any]:
        """The keys a job added beyond resque-status's own (``url`` of a thumbnail)."""
        return {k: v for k, v in self.data.items() if k not in KNOWN_FIELDS}

    @property
    def pct_complete(self) -> int:
        return pct_complete(self.data) if self.readable else 0

    @property
    def bar_value(self) -> int:
        """The percentage a progress bar can draw (0..100)."""
        return min(100, max(0, self.pct_complete))

    @property
    def killable(self) -> bool:
        """Ruby's ``killable?``: not completed, failed or killed."""
        return self.readable and self.status not in FINISHED

    @property
    def running(self) -> bool:
        """Queued or working: a page showing it keeps refreshing itself."""
        return self.status in (QUEUED, WORKING)

    def to_json(self) -> dict[str, Any]:
        """Ruby's ``Hash#json``: the stored object (``status`` and ``uuid`` filled in when
        missing, as ``Hash.get`` does) plus ``pct_complete``. An unreadable one is
        ``{"uuid", "status": null, "unreadable": why, "raw"}``."""
        if not self.readable:
            return {
                "uuid": self.uuid,
                "status": None,
                "unreadable": self.error,
                "raw": self.raw,
                "pct_complete": 0,
            }
        shown: dict[str, Any] = {"time": self.data["time"]} if "time" in self.data else {}
        shown.update(status=QUEUED, uuid=self.uuid)  # as Ruby's Hash.get fills them in
        shown.update(self.data)
        shown["pct_complete"] = self.pct_complete
        return shown


KNOWN_FIELDS = frozenset(
    {"time", "status", "uuid", "options", "name", "num", "total", "message", "pct_complete"}
)


def epoch_time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
