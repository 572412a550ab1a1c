"""The Schedule tab's data layer on what Ruby's resque-scheduler wrote
(``ruby_plugins_data``) and a schedule file: rows, next and last runs, the master lock, and
the identity-checked Queue now and Delete."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis

from resque_web import Resque
from resque_web.model.schedule import Schedule

NOW = datetime(2026, 12, 3, 20, 29, 40, tzinfo=timezone.utc)  # the fixture's capture

SCHEDULE_YAML = """
file_job:
  every: 1h
  class: FileJob
  queue: low
  args:
    x: 1
every_5m:
  cron: "* * * * *"
  class: ShadowedByThePersistentOne
broken:
  cron: "99 * * *"
NamedAfterItsClass:
  cron: "0 0 * * *"
  queue: q
  rails_env: production
"""


@pytest.fixture
def schedule(ruby_plugins_data: redis.Redis) -> Schedule:
    return Schedule(Resque(ruby_plugins_data), lock_prefix="")


@pytest.fixture
def schedule_file(tmp_path: Path) -> str:
    path = tmp_path / "schedule.yml"
    path.write_text(SCHEDULE_YAML)
    return str(path)


def test_persistent_schedules_as_ruby_wrote_them(schedule: Schedule) -> None:
    view = schedule.view(now=NOW)
    assert [row.name for row in view.rows] == ["every_5m", "nightly_report", "tz_cron"]
    assert (view.master, view.changed, view.file, view.file_errors) == (
        "sched-host.example.com:4242",
        3,
        None,
        [],
    )
    nightly = view.find("nightly_report")
    assert nightly is not None and nightly.persistent and nightly.error is None
    assert (nightly.interval, nightly.class_name, nightly.queue, nightly.args) == (
        "cron: 0 5 * * *",
        "Reports::Nightly",
        "reports-nightly",
        [1],
    )
    assert nightly.description == "Nightly report"
    assert nightly.last_enqueued == "2030-03-16 17:46:40 UTC"
    assert nightly.next_run == datetime(2026, 12, 4, 5, 0, tzinfo=timezone.utc)
    # 08:30 New York time on a weekday: 13:30 UTC in December (EST)
    tz_cron = view.find("tz_cron")
    assert tz_cron is not None and tz_cron.queue is None
    assert tz_cron.next_run == datetime(2026, 12, 4, 13, 30, tzinfo=timezone.utc)
    every = view.find("every_5m")
    assert every is not None and every.interval == "every: 5m"
    assert (every.every_seconds, every.next_run, every.last_enqueued) == (300.0, None, None)


def test_an_every_entry_runs_next_one_interval_after_its_last_run(
    schedule: Schedule, r: redis.Redis
) -> None:
    r.hset("resque:delayed:last_enqueued_at", "every_5m", "2026-12-03 20:27:00 +0000")
    every = schedule.view(now=NOW).find("every_5m")
    assert every is not None
    assert every.next_run == datetime(2026, 12, 3, 20, 32, tzinfo=timezone.utc)


def test_file_entries_merge_under_the_persistent_ones(
    schedule: Schedule, schedule_file: str
) -> None:
    view = schedule.view(schedule_file, now=NOW)
    names = [(row.name, row.source) for row in view.rows]
    assert names == [
        ("NamedAfterItsClass", "file"),
        ("every_5m", "redis"),  # the persistent schedule wins, as Ruby's all_schedules
        ("file_job", "file"),
        ("nightly_report", "redis"),
        ("tz_cron", "redis"),
    ]
    assert [(e.name, e.reason) for e in view.file_errors] == [
        ("broken", "cron '99 * * *' is not a valid cron expression")
    ]
    named = view.find("NamedAfterItsClass")
    assert named is not None and named.class_name == "NamedAfterItsClass"
    assert any("rails_env" in w for w in named.warnings)
    assert view.find("file_job").digest is None  # type: ignore[union-attr]


def test_a_broken_persistent_schedule_still_shows(schedule: Schedule, r: redis.Redis) -> None:
    r.hset("resque:persistent_schedules", "junk", "not json")
    r.hset("resque:persistent_schedules", "no_when", '{"class":"A"}')
    view = schedule.view(now=NOW)
    junk, no_when = view.find("junk"), view.find("no_when")
    assert junk is not None and junk.entry is None and "mapping" in (junk.error or "")
    assert no_when is not None and "no cron or every" in (no_when.error or "")
    assert no_when.interval == "Not currently scheduled"


def test_queue_now_pushes_rubys_bytes(
    schedule: Schedule, r: redis.Redis, schedule_file: str
) -> None:
    nightly = schedule.view().find("nightly_report")
    assert nightly is not None
    result = schedule.enqueue("nightly_report", nightly.digest)
    assert result.ok and result.count == 1
    assert r.lrange("resque:queue:reports-nightly", 0, -1) == [
        '{"class":"Reports::Nightly","args":[1]}'
    ]
    assert r.sismember("resque:queues", "reports-nightly")
    # Ruby's "Queue now" does not record a last enqueue (only the scheduler's own runs do).
    assert r.hget("resque:delayed:last_enqueued_at", "nightly_report") == "2030-03-16 17:46:40 UTC"
    assert schedule.enqueue("file_job", None, schedule_file).ok
    assert r.lrange("resque:queue:low", 0, -1) == ['{"class":"FileJob","args":[{"x":1}]}']


def test_queue_now_refuses_what_cannot_be_enqueued(schedule: Schedule, r: redis.Redis) -> None:
    tz_cron = schedule.view().find("tz_cron")
    assert tz_cron is not None
    result = schedule.enqueue("tz_cron", tz_cron.digest)
    assert not result.ok and "no queue" in result.message
    assert not schedule.enqueue("nobody").ok
    assert r.llen("resque:queue:critical") == 0


def test_actions_check_the_config_the_user_saw(schedule: Schedule, r: redis.Redis) -> None:
    nightly = schedule.view().find("nightly_report")
    assert nightly is not None and nightly.digest is not None
    r.hset(
        "resque:persistent_schedules",
        "nightly_report",
        '{"cron":"0 6 * * *","class":"Reports::Nightly","queue":"reports-nightly","args":[2]}',
    )
    assert not schedule.enqueue("nightly_report", nightly.digest).ok
    assert not schedule.remove("nightly_report", nightly.digest).ok
    assert r.hexists("resque:persistent_schedules", "nightly_report")
    assert not r.exists("resque:queue:reports-nightly")


def test_delete_is_rubys_remove_schedule(schedule: Schedule, r: redis.Redis) -> None:
    r.delete("resque:schedules_changed")
    every = schedule.view().find("every_5m")
    assert every is not None and every.digest is not None
    assert schedule.remove("every_5m", every.digest).ok
    assert sorted(r.hkeys("resque:persistent_schedules")) == ["nightly_report", "tz_cron"]
    assert r.smembers("resque:schedules_changed") == {"every_5m"}  # schedulers reload it


def test_in_use(redis_url: str, r: redis.Redis) -> None:
    schedule = Schedule(Resque(r), lock_prefix="")
    assert not schedule.in_use()
    r.set("resque:resque:resque_scheduler_master_lock", "host:1")
    assert schedule.in_use()


def test_the_lock_prefix_is_rubys(r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESQUE_SCHEDULER_MASTER_LOCK_PREFIX", "app1")
    r.set("resque:resque:app1:resque_scheduler_master_lock", "other-host:7")
    assert Schedule(Resque(r)).view().master == "other-host:7"
