"""Every timestamp format Resque writes reads back as the same instant; garbage reads as None."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest

from resque_web import times

INSTANT = datetime(2026, 11, 27, 17, 5, 8, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text",
    [
        "2026/11/27 17:05:08 UTC",  # failed_at, retried_at (Resque::Failure::Redis)
        "2026-11-27T17:05:08Z",  # run_at
        "2026-11-27 17:05:08 +0000",  # started
        "2026-11-27T17:05:08+00:00",  # heartbeat
        "2026-11-27 12:05:08 -0500",
        "2026-11-27T18:05:08+01:00",
    ],
)
def test_resque_formats(text: str) -> None:
    assert times.parse(text) == INSTANT


def test_zoneless_times_are_local() -> None:
    local = times.parse("2026/11/27 17:05:08")  # the multi-queue backend's retried_at
    assert local == datetime(2026, 11, 27, 17, 5, 8).astimezone()


@pytest.mark.parametrize(
    "text",
    ["", "  ", "garbage", "2026/13/45 17:05:08 UTC", "0001-01-01T00:00:00+14:00",
     "2026-11-27 17:05:08 +9900", None, 1234],
)  # fmt: skip
def test_unreadable_is_none(text: object) -> None:
    assert times.parse(text) is None


def test_written_formats_read_back() -> None:
    now = 1_795_000_000.0
    for write in (times.failed_at, times.run_at, times.started, times.heartbeat):
        parsed = times.parse(write(now))
        assert parsed is not None and abs(parsed.timestamp() - now) < timedelta(seconds=1).seconds


# failed_at as real Resque 3.0 wrote it (Resque::Failure.create, Failure::Redis#save, Ruby
# 3.1 with the system tz database) under TZ=<zone>, with Time.now held at the epoch given:
# 1769904000 is 2026-02-01 00:00:00 UTC, 1784764800 is 2026-07-23 00:00:00 UTC.
RUBY_FAILED_AT = [
    ("America/New_York", 1769904000, "2026/01/31 19:00:00 EST"),
    ("America/New_York", 1784764800, "2026/07/22 20:00:00 EDT"),
    ("America/Sao_Paulo", 1769904000, "2026/01/31 21:00:00 -03"),
    ("America/Sao_Paulo", 1784764800, "2026/07/22 21:00:00 -03"),
    ("Asia/Kolkata", 1769904000, "2026/02/01 05:30:00 IST"),
    ("Asia/Kolkata", 1784764800, "2026/07/23 05:30:00 IST"),
    ("Europe/Berlin", 1769904000, "2026/02/01 01:00:00 CET"),
    ("Europe/Berlin", 1784764800, "2026/07/23 02:00:00 CEST"),
    ("Australia/Lord_Howe", 1769904000, "2026/02/01 11:00:00 +11"),
    ("Australia/Lord_Howe", 1784764800, "2026/07/23 10:30:00 +1030"),
    ("Asia/Kathmandu", 1769904000, "2026/02/01 05:45:00 +0545"),
    ("America/St_Johns", 1769904000, "2026/01/31 20:30:00 NST"),
    ("America/St_Johns", 1784764800, "2026/07/22 21:30:00 NDT"),
    ("Pacific/Chatham", 1769904000, "2026/02/01 13:45:00 +1345"),
    ("Pacific/Chatham", 1784764800, "2026/07/23 12:45:00 +1245"),
    ("Europe/Dublin", 1769904000, "2026/02/01 00:00:00 GMT"),
    ("Australia/Sydney", 1769904000, "2026/02/01 11:00:00 AEDT"),
    ("Australia/Sydney", 1784764800, "2026/07/23 10:00:00 AEST"),
    ("America/Chicago", 1769904000, "2026/01/31 18:00:00 CST"),
    ("America/Chicago", 1784764800, "2026/07/22 19:00:00 CDT"),
    ("Asia/Jerusalem", 1784764800, "2026/07/23 03:00:00 IDT"),
    ("EST5EDT", 1784764800, "2026/07/22 20:00:00 EDT"),
    ("<+0530>-5:30", 1769904000, "2026/02/01 05:30:00 +0530"),
    ("UTC", 1769904000, "2026/02/01 00:00:00 UTC"),
]
# The same abbreviation for other offsets: read as the table's choice on a UTC host.
RUBY_AMBIGUOUS = [
    ("Europe/Dublin", 1784764800, "2026/07/23 01:00:00 IST", 5.5),  # Irish Summer Time
    ("Asia/Jerusalem", 1769904000, "2026/02/01 02:00:00 IST", 5.5),  # Israel Standard
    ("Asia/Shanghai", 1769904000, "2026/02/01 08:00:00 CST", -6),  # China Standard
    ("Asia/Manila", 1769904000, "2026/02/01 08:00:00 PST", -8),  # Philippine Standard
]
# TZ=FOO-3: a zone whose abbreviation no table can know.
RUBY_UNKNOWN = "2026/02/01 03:00:00 FOO"


@pytest.fixture
def host_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this process's zone (and forget times parsed in the previous one)."""

    def use(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        times.clear_cache()

    use("UTC")
    yield use
    monkeypatch.undo()
    time.tzset()
    times.clear_cache()


@pytest.mark.parametrize(("zone", "epoch", "text"), RUBY_FAILED_AT)
@pytest.mark.parametrize("host", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_failed_at_from_any_zone_ruby_writes(
    zone: str, epoch: int, text: str, host: str, host_zone: Callable[[str], None]
) -> None:
    """Whatever zone the dashboard's host is in, Ruby's text names the same instant."""
    host_zone(host)
    parsed = times.parse(text)
    assert parsed is not None and parsed.timestamp() == epoch, (zone, text)


@pytest.mark.parametrize(("zone", "epoch", "text", "hours"), RUBY_AMBIGUOUS)
def test_ambiguous_abbreviations(
    zone: str, epoch: int, text: str, hours: float, host_zone: Callable[[str], None]
) -> None:
    wall = datetime.strptime(text[:19], "%Y/%m/%d %H:%M:%S")
    table = wall.replace(tzinfo=timezone(timedelta(hours=hours)))
    assert times.parse(text) == table  # the documented choice, on a UTC host
    assert times.AMBIGUOUS[text[20:]][0] == hours == times.ZONE_ABBREVIATIONS[text[20:]]
    host_zone(zone)  # on a host in the writer's zone the abbreviation is read exactly
    parsed = times.parse(text)
    assert parsed is not None and parsed.timestamp() == epoch


def test_an_unknown_abbreviation_is_no_instant(host_zone: Callable[[str], None]) -> None:
    assert times.parse(RUBY_UNKNOWN) is None
    host_zone("Asia/Kolkata")
    assert times.parse(RUBY_UNKNOWN) is None  # neither UTC nor local time


def test_numeric_offsets_in_every_spelling() -> None:
    for text in ("2026/02/01 05:30:00 +0530", "2026/02/01 05:30:00 +05:30",
                 "2026/01/31 21:00:00 -03", "2026/01/31 21:00:00 -03:00"):  # fmt: skip
        parsed = times.parse(text)
        assert parsed is not None and parsed.timestamp() == 1769904000, text


def test_the_table_agrees_with_the_tz_database() -> None:
    """Each abbreviation's offset is one the tz database writes it with (2022-2027), and
    every abbreviation it writes with more than one offset is listed as ambiguous."""
    offsets: dict[str, set[float]] = {}
    for name in zoneinfo.available_timezones():
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (ValueError, OSError):
            continue
        at = datetime(2022, 1, 1, tzinfo=timezone.utc)
        while at.year < 2028:
            local = at.astimezone(zone)
            abbreviation, offset = local.tzname(), local.utcoffset()
            if abbreviation and abbreviation.isalpha() and offset is not None:
                offsets.setdefault(abbreviation, set()).add(offset.total_seconds() / 3600)
            at += timedelta(days=30)
    assert set(offsets) <= set(times.ZONE_ABBREVIATIONS)
    for abbreviation, hours in times.ZONE_ABBREVIATIONS.items():
        assert hours in offsets.get(abbreviation, {hours}), abbreviation
        many = offsets.get(abbreviation, set())
        assert (len(many) > 1) == (abbreviation in times.AMBIGUOUS), abbreviation
        if abbreviation in times.AMBIGUOUS:
            assert set(times.AMBIGUOUS[abbreviation]) == many, abbreviation
