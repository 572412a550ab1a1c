"""Schedule entries: cron (with a time zone), every, bad entries named with their reason."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from resque_web.scheduler import ScheduleError, load_schedule_file, parse_duration, parse_entry

UTC = timezone.utc


def test_cron_with_a_time_zone() -> None:
    entry = parse_entry("tz_cron", {"cron": "30 8 * * 1-5 America/New_York", "class": "B"})
    # Friday 2030-03-15 13:00 UTC is 09:00 in New York (EDT): next is Monday 08:30 EDT.
    after = datetime(2030, 3, 15, 13, 0, tzinfo=UTC)
    assert entry.next_run(after) == datetime(2030, 3, 18, 12, 30, tzinfo=UTC)
    plain = parse_entry("n", {"cron": "0 5 * * *", "class": "R"})
    assert plain.next_run(after) == datetime(2030, 3, 16, 5, 0, tzinfo=UTC)


def test_six_field_cron_has_seconds_first_as_rufus() -> None:
    entry = parse_entry("s", {"cron": "*/15 * * * * *", "class": "S"})
    after = datetime(2030, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert entry.next_run(after) == datetime(2030, 1, 1, 0, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("1d", 86400), ("2w", 1209600), ("90", 90)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_every_with_first_in() -> None:
    entry = parse_entry("e", {"every": ["10m", {"first_in": "5s"}], "class": "X"})
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert (entry.first_run(now) - now).total_seconds() == 5
    assert (entry.next_run(now) - now).total_seconds() == 600


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"cron": "61 * * * *", "class": "X"}, "not a valid cron expression"),
        ({"cron": "0 5 * * * Mars/Olympus", "class": "X"}, "unknown time zone"),
        ({"every": "soon", "class": "X"}, "not a duration"),
        ({"class": "X"}, "no cron or every"),
        ({"every": "5m"}, "no class"),
        ("0 5 * * *", "expected a mapping"),
    ],
)
def test_bad_entries_name_the_reason(config: object, reason: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_entry("bad", config)
    assert caught.value.name == "bad" and reason in caught.value.reason


def test_schedule_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_text(
        "MakeTea:\n  every: 1m\n  rails_env: production\n"
        "broken:\n  cron: nope\n  class: X\n"
        "report:\n  cron: '0 5 * * *'\n  class: Report\n  args: one\n  description: d\n"
    )
    entries, errors = load_schedule_file(path)
    assert [e.name for e in entries] == ["MakeTea", "report"]
    assert entries[0].class_name == "MakeTea"  # a missing class is the entry's name
    assert entries[0].warnings == [
        "rails_env: ignored (the Python scheduler runs every entry, whatever the environment)"
    ]
    assert entries[1].params == ["one"] and entries[1].description == "d"
    assert [(e.name, "not a valid cron" in e.reason) for e in errors] == [("broken", True)]
    missing, errors = load_schedule_file(tmp_path / "none.yml")
    assert missing == [] and "cannot read the file" in errors[0].reason
    (tmp_path / "bad.yml").write_text("a: [")
    assert "not valid YAML" in load_schedule_file(tmp_path / "bad.yml")[1][0].reason
