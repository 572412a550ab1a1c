"""Which failures a view, its counts, its export and its bulk actions cover.

One :class:`FailureFilter` is built from the URL's query (so every view is bookmarkable)
and drives all of them: the failure index answers its indexable fields (class, exception,
queue, group, failed-at range, retried), and :meth:`FailureFilter.matches` checks every
field again on each record read, text included, so a stale index can never widen an action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone

from .. import payload as jsonp
from ..failure import FailedJob

# The exception facet of failures stored without one (also a filter value).
NONE = "(none)"

# Query argument -> field. `class` and `exception` are the original two.
ARGS = {
    "class": "job_class",
    "exception": "exception",
    "queue": "queue",
    "group": "group",
    "q": "text",
    "since": "since",
    "until": "until",
    "retried": "retried",
}
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


class FilterError(ValueError):
    """A filter argument that cannot be read (a malformed time, an unknown retried value)."""


def parse_time(text: str) -> float:
    """``2026-11-27``, ``2026-11-27T17:05`` (what a datetime-local input sends) and the like,
    read as UTC, or an ISO 8601 time with its offset; returns epoch seconds."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None:
        for form in _TIME_FORMATS:
            try:
                value = datetime.strptime(text, form)
                break
            except ValueError:
                continue
    if value is None:
        raise FilterError(f"{text!r} is not a time: use 2026-11-27 or 2026-11-27T17:05 (UTC)")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def _spelled_alike(value: str) -> bool:
    return value.isascii() and value.isprintable() and not any(c in value for c in '"\\/')


@dataclass(frozen=True)
class FailureFilter:
    """Empty fields match everything. Times are kept as typed (for the URL) and read as
    UTC epochs; ``until`` is exclusive, and a bare date means that whole day."""

    job_class: str | None = None
    exception: str | None = None
    queue: str | None = None
    group: str | None = None
    text: str | None = None
    since: str | None = None
    until: str | None = None
    retried: bool | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> FailureFilter:
        """From query (or form) arguments; raises :class:`FilterError` on a malformed one."""
        values: dict[str, object] = {}
        for arg, name in ARGS.items():
            raw = (args.get(arg) or "").strip()
            if not raw:
                continue
            if name == "retried":
                if raw not in ("yes", "no"):
                    raise FilterError(f"retried must be yes or no, not {raw!r}")
                values[name] = raw == "yes"
            else:
                values[name] = raw
        made = cls(**values)  # type: ignore[arg-type]
        made.time_range()  # validate now, not halfway through a page
        return made

    def to_args(self) -> dict[str, str]:
        """The query arguments that rebuild this filter (only the set ones)."""
        out = {}
        for arg, name in ARGS.items():
            value = getattr(self, name)
            if value is None:
                continue
            out[arg] = ("yes" if value else "no") if name == "retried" else value
        return out

    def without(self, *names: str) -> FailureFilter:
        return replace(self, **{n: None for n in names})

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    @property
    def indexed(self) -> FailureFilter:
        """This filter without its text: what the failure index answers by itself."""
        return replace(self, text=None)

    def time_range(self) -> tuple[float | None, float | None]:
        since = parse_time(self.since) if self.since else None
        until = None
        if self.until:
            until = parse_time(self.until)
            if len(self.until.strip()) == 10:  # a bare date: the whole day
                until += 86400
        return since, until

    def describe(self) -> str:
        """``class=X, exception=Y`` for previews, confirmations and the audit log."""
        parts = [f"{arg}={value}" for arg, value in self.to_args().items()]
        return ", ".join(parts) if parts else "all failures"

    # Checking one record ------------------------------------------------------
    def needles(self, list_queue: str | None = None) -> list[str]:
        """Substrings every matching raw record must contain: a cheap test before decoding.
        Only values every JSON writer spells alike (printable ASCII without quotes,
        backslashes or slashes: PHP writes "\\/", others "\\u00e9") and bare, so a payload
        stored as a JSON string still contains them. In a per-queue list (``list_queue``) a
        record may leave its queue to the list."""
        queue = self.queue if list_queue is None else None
        values = (self.job_class, self.exception, queue)
        return [v for v in values if v and v != NONE and _spelled_alike(v)]

    def matches(self, failure: FailedJob) -> bool:
        if self.exception and (failure.exception or NONE) != self.exception:
            return False
        if self.job_class and self.job_class not in (
            failure.display_class,
            failure.job.class_name,
        ):
            return False
        if self.queue and failure.queue != self.queue:
            return False
        if self.retried is not None and failure.retried != self.retried:
            return False
        if self.since or self.until:
            since, until = self.time_range()
            at = failure.failed_epoch
            if (
                at is None
                or (since is not None and at < since)
                or (until is not None and at >= until)
            ):
                return False
        if self.group and failure.group != self.group:
            return False
        return not self.text or self.text_matches(failure)

    def text_matches(self, failure: FailedJob) -> bool:
        """Case-insensitive substring of the message or the arguments (as JSON)."""
        needle = (self.text or "").casefold()
        if needle in failure.error.casefold():
            return True
        return needle in jsonp.text_of(failure.display_args).casefold()

    def __call__(self, failure: FailedJob) -> bool:
        if not all(n in failure.raw for n in self.needles(failure.list_queue)):
            return False
        return self.matches(failure)
