"""Every timestamp format Resque writes reads back as the same instant; garbage reads as None."""

from __future__ import annotations

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
