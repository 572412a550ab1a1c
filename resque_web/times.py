"""The time formats Resque 3.0 writes, and a forgiving parser for showing them.

Ruby writes four formats into Redis (see ``shared/fixtures/README.md``):

- ``failed_at`` / ``retried_at`` (``Resque::Failure::Redis``): ``2026/11/27 17:05:08 UTC``
  (local time, zone abbreviation); the multi-queue backend's ``retried_at`` has no zone;
- ``run_at`` of a busy worker: ``2026-11-27T17:05:08Z`` (UTC, ISO 8601);
- a worker's ``started``: ``2026-11-27 17:05:08 +0000`` (local time, numeric offset);
- heartbeats: ``2026-11-27T17:05:08+00:00`` (Redis server time, local zone, ISO 8601).

``failed_at`` carries the writing host's zone as Ruby's ``%Z`` spells it (with the tz
database): an abbreviation (``EST``, ``CEST``, ``IST``...) or, for zones without one, a
numeric offset (``-03``, ``+0530``, ``+1030``). :func:`parse` reads them all:

- numeric offsets: ``-03``, ``+0530``, ``+05:30``;
- ``UTC``, ``GMT``, ``UT``, ``Z``: UTC;
- an abbreviation this machine's zone uses at that wall time is read with this machine's
  rules (dashboard and workers usually share a zone, and it settles the ambiguous ones for
  them: ``IST`` on a Dublin host is Irish Summer Time);
- otherwise :data:`ZONE_ABBREVIATIONS`: every alphabetic abbreviation the tz database (2024)
  writes, with its offset. Four mean more than one offset, and the commonest is taken:
  ``CST`` US Central (-06:00; not China +08:00 or Cuba -05:00), ``CDT`` US Central (-05:00;
  not Cuba -04:00), ``IST`` India (+05:30; not Ireland +01:00 or Israel +02:00), ``PST``
  US Pacific (-08:00; not the Philippines +08:00);
- an abbreviation none of these knows (``TZ=FOO-3`` writes ``FOO``) is no instant at all:
  :func:`parse` returns None, pages show the text as written, time filters leave it out,
  and the API gives ``null`` beside the text. It is never taken for UTC or local time.

A time without any zone (the multi-queue backend's ``retried_at``) is read as this
machine's local time.
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


def run_at(now: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if now is None else now, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def started(now: float | None = None) -> str:
    return _local(now).strftime("%Y-%m-%d %H:%M:%S %z")


def heartbeat(now: float | None = None) -> str:
    return _local(now).isoformat(timespec="seconds")


_UTC_NAMES = frozenset({"UTC", "GMT", "UT", "Z"})
# Hours east of UTC of every alphabetic abbreviation the tz database (2024) writes (checked
# with zoneinfo over 2022-2027 and Ruby's strftime("%Z") under TZ=...). Where one means
# several offsets the commonest is kept, as the module docstring says.
ZONE_ABBREVIATIONS: dict[str, float] = {
    "ACDT": 10.5, "ACST": 9.5, "ADT": -3, "AEDT": 11, "AEST": 10, "AKDT": -8, "AKST": -9,
    "AST": -4, "AWST": 8, "BST": 1, "CAT": 2, "CDT": -5, "CEST": 2, "CET": 1, "ChST": 10,
    "CST": -6, "EAT": 3, "EDT": -4, "EEST": 3, "EET": 2, "EST": -5, "GMT": 0, "HDT": -9,
    "HKT": 8, "HST": -10, "IDT": 3, "IST": 5.5, "JST": 9, "KST": 9, "MDT": -6, "MEST": 2,
    "MET": 1, "MSK": 3, "MST": -7, "NDT": -2.5, "NST": -3.5, "NZDT": 13, "NZST": 12,
    "PDT": -7, "PKT": 5, "PST": -8, "SAST": 2, "SST": -11, "UTC": 0, "WAT": 1, "WEST": 1,
    "WET": 0, "WIB": 7, "WIT": 9, "WITA": 8,
}  # fmt: skip
# The abbreviations above that the tz database also uses for other offsets.
AMBIGUOUS = {"CST": (-6, -5, 8), "CDT": (-5, -4), "IST": (5.5, 1, 2), "PST": (-8, 8)}
_ZONE_BY_UPPER = {name.upper(): hours for name, hours in ZONE_ABBREVIATIONS.items()}
_NUMERIC_ZONE = re.compile(r"([+-])([0-9]{2})(?::?([0-9]{2}))?")


class _Unknown(Exception):
    """A zone abbreviation no rule knows: the text names no instant."""


def _numeric_zone(text: str) -> timezone | None:
    found = _NUMERIC_ZONE.fullmatch(text)
    if found is None:
        return None
    sign, hours, minutes = found.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-offset if sign == "-" else offset)


def _named_zone(name: str, wall: datetime) -> datetime:
    """``wall`` (naive) in the zone an abbreviation names; :class:`_Unknown` if none."""
    if name.upper() in _UTC_NAMES:
        return wall.replace(tzinfo=timezone.utc)
    for fold in (0, 1):  # this machine's zone first: both sides of a DST fold
        local = wall.replace(fold=fold).astimezone()
        if local.tzname() == name:
            return local
    hours = ZONE_ABBREVIATIONS.get(name, _ZONE_BY_UPPER.get(name.upper()))
    if hours is None:
        raise _Unknown(name)
    return wall.replace(tzinfo=timezone(timedelta(hours=hours)))


_FAST = re.compile(
    r"(\d{4})[/-](\d\d)[/-](\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?: ?([+-])(\d\d):?(\d\d))?"
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

    Zones are read as the module docstring says; an unknown abbreviation gives None.
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
    except (OverflowError, ValueError, _Unknown):
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
    zone: timezone | None = None
    name = None
    head, _, tail = value.rpartition(" ")
    if head and tail.isalpha():
        name, value = tail, head
    elif head and (numeric := _numeric_zone(tail)) is not None:
        zone, value = numeric, head  # "-03", "+0530", "+05:30"
    if value.endswith("Z"):
        value, zone = value[:-1], timezone.utc
    fast = _FAST.fullmatch(value)
    if fast:
        # Every format Resque writes, read without strptime: indexing 100,000 failures
        # parses 100,000 distinct failed_at values, and strptime made that take seconds.
        year, month, day, hour, minute, second, sign, off_h, off_m = fast.groups()
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            zone = timezone(-offset if sign == "-" else offset)
        parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        if name is not None:
            return _named_zone(name, parsed)
        return parsed.replace(tzinfo=zone) if zone else parsed.astimezone()
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            if name is not None:
                return _named_zone(name, parsed)
            parsed = parsed.replace(tzinfo=zone) if zone else parsed.astimezone()
        return parsed
    return None


def epoch(text: object) -> float | None:
    parsed = parse(text)
    return parsed.timestamp() if parsed else None
