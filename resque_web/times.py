"""The time formats Resque 3.0 writes, and a forgiving parser for showing them.

Ruby writes four formats into Redis (see ``shared/fixtures/README.md``):

- ``failed_at`` / ``retried_at`` (``Resque::Failure::Redis``): ``2026/11/27 17:05:08 UTC``
  (local time, zone abbreviation); the multi-queue backend's ``retried_at`` has no zone;
- ``run_at`` of a busy worker: ``2026-11-27T17:05:08Z`` (UTC, ISO 8601);
- a worker's ``started``: ``2026-11-27 17:05:08 +0000`` (local time, numeric offset);
- heartbeats: ``2026-11-27T17:05:08+00:00`` (Redis server time, local zone, ISO 8601).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache


def _local(now: float | None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now).astimezone()


def failed_at(now: float | None = None) -> str:
    return _local(now).strftime("%Y/%m/%d %H:%M:%S %Z")


def retried_at_multi_queue(now: float | None = None) -> str:
    return _local(now).strftime("%Y/%m/%d %H:%M:%S")


def retry_failed_at(now: float | None = None) -> str:
    """resque-retry's ``failure-<retry key>`` record: local time, no zone."""
    return _local(now).strftime("%Y/%m/%d %H:%M:%S")


def run_at(now: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if now is None else now, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def started(now: float | None = None) -> str:
    return _local(now).strftime("%Y-%m-%d %H:%M:%S %z")


def heartbeat(now: float | None = None) -> str:
    return _local(now).isoformat(timespec="seconds")


_ZONES = {"UTC": timezone.utc, "GMT": timezone.utc, "Z": timezone.utc}
_FAST = re.compile(
    r"(\d{4})[/-](\d\d)[/-](\d\d)[ T](\d\d):(\d\d):(\d\d)(?: ?([+-])(\d\d):?(\d\d))?"
)
_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)


def parse(text: object) -> datetime | None:
    """Any Resque timestamp as an aware datetime; None when it is missing or unreadable.

    A zone abbreviation other than UTC/GMT is ambiguous (``CST``), so such times and times
    without a zone are read as this machine's local time.
    """
    if not isinstance(text, str):
        return None
    return _parse(text)


@lru_cache(maxsize=4096)
def _parse(text: str) -> datetime | None:
    """Cached: a page of 1,000 workers repeats the same few seconds over and over. Only
    times that convert to UTC come back (``0001-01-01T00:00:00+14:00`` does not), so no
    reader has to guard against an OverflowError from a clock-skewed or hostile value."""
    try:
        parsed = _read(text)
        if parsed is not None:
            parsed.astimezone(timezone.utc)
        return parsed
    except (OverflowError, ValueError):
        return None


def clear_cache() -> None:
    """Forget parsed times (after the process changed its time zone)."""
    _parse.cache_clear()


def _read(text: str) -> datetime | None:
    value = text.strip()
    if not value:
        return None
    if "T" in value and value[-6:-5] in "+-":
        # Heartbeats (2026-11-27T17:05:08+00:00): the common case, without strptime.
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    zone = None
    head, _, tail = value.rpartition(" ")
    if head and tail.isalpha():
        zone = _ZONES.get(tail.upper())
        value = head
    if value.endswith("Z"):
        value, zone = value[:-1], timezone.utc
    fast = _FAST.match(value)
    if fast:
        # Every format Resque writes, read without strptime: indexing 100,000 failures
        # parses 100,000 distinct failed_at values, and strptime made that take seconds.
        year, month, day, hour, minute, second, sign, off_h, off_m = fast.groups()
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            zone = timezone(-offset if sign == "-" else offset)
        parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        return parsed.replace(tzinfo=zone) if zone else parsed.astimezone()
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone) if zone else parsed.astimezone()
        return parsed
    return None


def epoch(text: object) -> float | None:
    parsed = parse(text)
    return parsed.timestamp() if parsed else None
