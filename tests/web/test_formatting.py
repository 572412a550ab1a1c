"""The filters that turn numbers and times into what a person reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from resque_web.web.formatting import ago, exact_time, json_compact, number, span, ttl_text

NOW = datetime(2026, 11, 27, 18, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (4823, "4,823"),
        (1234567, "1,234,567"),
        ("275", "275"),
        (None, "\u2014"),
        ("n/a", "n/a"),
    ],
)
def test_number(value: object, text: str) -> None:
    assert number(value) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=2), "just now"),
        (timedelta(seconds=42), "42 seconds ago"),
        (timedelta(minutes=1, seconds=5), "1 minute ago"),
        (timedelta(minutes=3, seconds=59), "3 minutes ago"),
        (timedelta(hours=1, minutes=1), "1 hour ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=-1), "in 1 day"),
        (timedelta(days=400), "1 year ago"),
    ],
)
def test_ago(delta: timedelta, text: str) -> None:
    assert ago(NOW - delta, now=NOW) == text


def test_ago_none_and_exact_time() -> None:
    assert ago(None) == "never"
    assert exact_time(None) == ""
    local = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert exact_time(local) == "2026-11-27 18:00:00 UTC"


def test_span_ttl_and_json() -> None:
    assert span(190) == "3 minutes"
    assert ttl_text(-1) == "no expiry"
    assert ttl_text(59) == "59 s"
    assert ttl_text(3600) == "1 hour"
    assert json_compact([1000, "tar", "队列"]) == '[1000, "tar", "队列"]'
