"""The audit log: who changed what, when, over which failures, and how many.

Entries are JSON in one capped Redis list of our own (``<namespace>:web:audit``), newest
first: ``LPUSH`` + ``LTRIM`` in one round trip, so the log never grows past its cap. An
entry that removed failures names the holding list they went to; until that list expires,
:meth:`AuditLog.restore` puts them back (the undo window).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from ..client import Resque
from ..failure import ActionResult, Hold
from ..shorten import shorten
from .failures import Failures
from .page import Page, clamp_page, clamp_per_page

DEFAULT_CAP = 1000
DEFAULT_UNDO_TTL = 3600


def new_id() -> str:
    """Sortable by time, unique across processes."""
    return f"{int(time.time() * 1000):x}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class AuditEntry:
    action: str  # the permission name: failed.retry_all, queue.clear, ...
    target: str  # the failure list ("failed", "critical_failed") or the queue
    count: int
    message: str
    user: str | None = None
    filter: dict[str, str] = field(default_factory=dict)  # query arguments
    list_queue: str | None = None  # the failure list's queue (multi-queue backend)
    hold: str | None = None  # holding list id: removed failures can be restored
    expires_at: float | None = None  # when the holding list expires
    operation: str | None = None  # a bulk operation's id
    id: str = field(default_factory=new_id)
    at: float = field(default_factory=time.time)
    restorable: bool = False  # read time only: the holding list still exists

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.at, timezone.utc)

    @property
    def expires(self) -> datetime | None:
        if self.expires_at is None:
            return None
        return datetime.fromtimestamp(self.expires_at, timezone.utc)

    @property
    def filter_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.filter.items())

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("restorable")
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> AuditEntry | None:
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known.pop("restorable", None)
        try:
            return cls(**known)
        except TypeError:
            return None


class AuditLog:
    def __init__(self, resque: Resque, cap: int = DEFAULT_CAP, undo_ttl: int = DEFAULT_UNDO_TTL):
        self.redis = resque.redis
        self.keys = resque.keys
        self.resque = resque
        self.cap = cap
        self.undo_ttl = undo_ttl

    def hold(self, hold_id: str | None = None) -> Hold | None:
        """Where a removal keeps what it removes; None when undo is turned off (TTL 0)."""
        if self.undo_ttl <= 0:
            return None
        return Hold(self.keys.holding(hold_id or new_id()), self.undo_ttl)

    def record(self, entry: AuditEntry) -> AuditEntry:
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(self.keys.audit, entry.to_json())
        pipe.ltrim(self.keys.audit, 0, self.cap - 1)
        pipe.execute()
        return entry

    def page(self, page: int = 1, per_page: int = 50) -> Page[AuditEntry]:
        """A page of entries, newest first: two round trips (entries, then which of their
        holding lists still exist)."""
        per_page = clamp_per_page(per_page, 50)
        pipe = self.redis.pipeline(transaction=True)
        pipe.llen(self.keys.audit)
        start = (max(1, page) - 1) * per_page
        pipe.lrange(self.keys.audit, start, start + per_page - 1)
        total, raws = pipe.execute()
        number = clamp_page(page, per_page, int(total))
        if number != max(1, page):
            return self.page(number, per_page)
        entries = self._with_holding([e for raw in raws if (e := AuditEntry.from_json(raw))])
        return Page(entries, number, per_page, int(total), True, [])

    def find(self, entry_id: str) -> AuditEntry | None:
        """The entry with this id (the log is capped, so this reads at most ``cap``)."""
        for raw in self.redis.lrange(self.keys.audit, 0, self.cap - 1):
            entry = AuditEntry.from_json(raw)
            if entry is not None and entry.id == entry_id:
                return self._with_holding([entry])[0]
        return None

    def _with_holding(self, entries: list[AuditEntry]) -> list[AuditEntry]:
        held = [e for e in entries if e.hold]
        if not held:
            return entries
        pipe = self.redis.pipeline(transaction=False)
        for entry in held:
            pipe.exists(self.keys.holding(entry.hold or ""))
        alive = {e.id for e, ok in zip(held, pipe.execute()) if ok}
        return [replace(e, restorable=e.id in alive) for e in entries]

    def restore(self, entry_id: str, user: str | None = None) -> ActionResult:
        """Put back what the entry's action removed (at the end of its list), and log that."""
        entry = self.find(entry_id)
        if entry is None or not entry.hold:
            return ActionResult(False, "Nothing to restore: no such action in the audit log.")
        if not entry.restorable:
            return ActionResult(
                False, "The undo window of that action has closed (or it was restored already)."
            )
        failures = Failures(self.resque)
        if entry.list_queue is not None and not failures.exists(entry.list_queue):
            return ActionResult(False, f"{shorten(entry.target)} is no longer a failure list.")
        count = failures.restore(entry.list_queue, self.keys.holding(entry.hold))
        plural = "s" if count != 1 else ""
        message = f"Restored {count:,} failure{plural} to {shorten(entry.target)}."
        self.record(
            AuditEntry(
                "failed.restore",
                entry.target,
                count,
                message,
                user=user,
                filter=entry.filter,
                list_queue=entry.list_queue,
                operation=entry.id,
            )
        )
        return ActionResult(count > 0, message, count)

    def as_json(self, entry: AuditEntry) -> dict[str, Any]:
        data = asdict(entry)
        data["at"] = entry.when.isoformat()
        data["expires_at"] = entry.expires.isoformat() if entry.expires else None
        return data
