"""Jinja filters: numbers, times and job arguments the way a person reads them.

All of them return plain text; markup lives in ``templates/_macros.html`` so autoescape
applies to every value that came from Redis.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..failure.record import digest
from ..payload import display_json

_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
    (1, "second"),
)


def number(value: object) -> str:
    """``4823`` -> ``4,823``; None -> an em dash (unknown, not zero)."""
    if value is None or value == "":
        return "\u2014"
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


def epoch_utc(value: int) -> str:
    """A bucket start (epoch seconds) as ``2026-12-03 22:21``, UTC (the history tables)."""
    return datetime.fromtimestamp(int(value), timezone.utc).strftime("%Y-%m-%d %H:%M")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def seconds_between(then: datetime, now: datetime | None = None) -> float:
    return ((now or _now()) - then).total_seconds()


def span(seconds: float) -> str:
    """``190`` -> ``3 minutes``: the largest unit, rounded down, as Sidekiq and Rails say it."""
    seconds = abs(seconds)
    for size, unit in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "0 seconds"


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """``3 minutes ago``; ``in 2 hours`` for a time ahead of this clock; ``never`` for None."""
    if value is None:
        return "never"
    delta = seconds_between(value, now)
    if abs(delta) < 5:
        return "just now"
    return f"{span(delta)} ago" if delta > 0 else f"in {span(delta)}"


def exact_time(value: datetime | None) -> str:
    """The full time for a ``title=`` hover, in UTC so every viewer reads the same."""
    if value is None:
        return ""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_time(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).isoformat() if value else ""


def json_compact(value: Any) -> str:
    """Arguments on one line, unicode kept readable: ``[1000, "tar"]``. Nesting beyond
    Ruby's limit is cut (any value Redis holds renders; see payload.bounded)."""
    return display_json(value)


def json_pretty(value: Any) -> str:
    return display_json(value, pretty=True)


def ttl_text(ttl: int | None) -> str:
    """A key's TTL in seconds: -1 has no expiry, -2 is gone."""
    if ttl is None or ttl == -1:
        return "no expiry"
    if ttl == -2:
        return "expired"
    return span(ttl) if ttl >= 60 else f"{ttl} s"


# Characters of a long value a page shows (the rest is a link away, see web/values.py).
PREVIEW = 10_000


def clip(value: object, limit: int = PREVIEW) -> str:
    """The first ``limit`` characters of a value that may be megabytes long."""
    text = value if isinstance(value, str) else str(value)
    return text[:limit]


FILTERS = {
    "clip": clip,
    "sha1": digest,  # a value's identity, as failure and queue-item forms carry it
    "number": number,
    "epoch_utc": epoch_utc,
    "ago": ago,
    "exact_time": exact_time,
    "iso_time": iso_time,
    "json_compact": json_compact,
    "json_pretty": json_pretty,
    "ttl_text": ttl_text,
    "span": span,
}
