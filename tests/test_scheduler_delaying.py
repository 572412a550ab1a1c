"""The delaying API (``enqueue_at`` and friends) against a real redis-server, pinned to the
bytes real resque-scheduler 5.0 wrote (``ruby-plugins-small.json``)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
import redis

import resque_web
from resque_web import Resque
from tests.support.dump import RUBY_PLUGINS, load_dump

T0 = 1900000000
NOTE = {"cents": 1999, "note": "ünïcode 队列"}


class Archive:
    resque_class = "Archive"  # the name Ruby's producers use
    queue = "file_serve"

    @staticmethod
    def perform(*args: object) -> None: ...


class Hooked:
    queue = "hooked"
    calls: list[str] = []

    @classmethod
    def before_schedule_check(cls, *args: object) -> bool:
        cls.calls.append(f"before_schedule{args}")
        return args != ("no",)

    @classmethod
    def after_schedule_log(cls, *args: object) -> None:
        cls.calls.append(f"after_schedule{args}")


def _dump_keys(r: redis.Redis) -> dict[str, object]:
    """Everything under resque: delayed/timestamps/schedule, as the fixture dump spells it."""
    out: dict[str, object] = {}
    for key in r.scan_iter("resque:*"):
        kind = r.type(key)
        if kind == "list":
            out[key] = r.lrange(key, 0, -1)
        elif kind == "set":
            out[key] = sorted(r.smembers(key))
        elif kind == "zset":
            out[key] = [[m, s] for m, s in r.zrange(key, 0, -1, withscores=True)]
        elif kind == "hash":
            out[key] = sorted([list(kv) for kv in r.hgetall(key).items()])
        else:
            out[key] = r.get(key)
    return out


def _fixture_scheduler_keys(r: redis.Redis) -> dict[str, object]:
    """The fixture's delayed jobs at T0.. (not the retries), loaded and read back."""
    load_dump(r, RUBY_PLUGINS)
    every = _dump_keys(r)
    r.flushall()
    keep: dict[str, object] = {}
    for key, value in every.items():
        if key == "resque:delayed_queue_schedule":
            keep[key] = [m for m in value if not m[0].startswith("17")]  # type: ignore[union-attr]
        elif key == "resque:delayed:last_enqueued_at" or "17963" in key + str(value):
            continue  # the delayed retries (resque-retry) and the recurring record
        elif key.startswith(("resque:delayed:", "resque:timestamps:")):
            keep[key] = value
    return keep


def test_enqueue_at_writes_the_fixture_bytes(r: redis.Redis, resque: Resque) -> None:
    """The same calls Ruby made for the fixture write exactly the fixture's keys and bytes."""
    expected = _fixture_scheduler_keys(r)
    for i in range(12):
        resque.enqueue_at(T0 + i * 3600, Archive, i, "tar")
        if i % 2 == 0:
            resque.enqueue_at_with_queue(
                "critical", T0 + i * 3600, "Billing::Charge", 1000 + i, NOTE
            )
    resque.enqueue_at_with_queue("reports-nightly", T0 + 50, "Reports::Nightly", [1, 2.5, None])
    for _ in range(3):
        resque.enqueue_at(datetime.fromtimestamp(T0 + 99999, timezone.utc), Archive, 7, "same")
    assert _dump_keys(r) == expected
    assert resque.count_all_scheduled_jobs() == 22
    assert resque.delayed_queue_schedule_size() == 14


def test_ruby_written_delayed_jobs_read_and_removed(ruby_plugins_data: redis.Redis) -> None:
    resque = Resque(ruby_plugins_data)
    assert resque.count_all_scheduled_jobs() == 25
    assert resque.delayed_queue_schedule_size() == 16
    assert resque.delayed_queue_peek(0, 3) == [1796329840, 1796330380, T0]
    assert resque.delayed_timestamp_size(T0 + 99999) == 3
    assert resque.delayed_timestamp_peek(T0, 0, 2)[1] == {
        "class": "Billing::Charge",
        "args": [1000, NOTE],
        "queue": "critical",
    }
    assert resque.scheduled_at(Archive, 7, "same") == [T0 + 99999]
    assert resque.is_delayed(Archive, 7, "same")
    found = resque.find_delayed_selection(lambda args: args[1] == NOTE, "Billing::Charge")
    assert len(found) == 6
    assert resque.remove_delayed(Archive, 7, "same") == 3
    assert not resque.is_delayed(Archive, 7, "same")
    # Ruby leaves the emptied timestamp for its scheduler; we clean it up at once.
    assert not ruby_plugins_data.exists(f"resque:delayed:{T0 + 99999}")
    assert ruby_plugins_data.zscore("resque:delayed_queue_schedule", T0 + 99999) is None
    assert resque.remove_delayed_selection(lambda args: args[0] >= 1006, "Billing::Charge") == 3
    assert resque.count_all_scheduled_jobs() == 19
    assert resque.get_last_enqueued_at("nightly_report") == "2030-03-16 17:46:40 UTC"


def test_remove_from_one_timestamp_cleans_up(r: redis.Redis, resque: Resque) -> None:
    resque.enqueue_at(T0, Archive, 1)
    resque.enqueue_at(T0 + 5, Archive, 1)
    assert resque.remove_delayed_job_from_timestamp(T0, Archive, 1) == 1
    assert resque.scheduled_at(Archive, 1) == [T0 + 5]
    assert not r.exists(f"resque:delayed:{T0}")
    assert resque.delayed_queue_peek(0, 10) == [T0 + 5]


def test_next_item_and_next_timestamp(r: redis.Redis, resque: Resque) -> None:
    resque.enqueue_at(T0, Archive, 1)
    resque.enqueue_at(T0, Archive, 2)
    assert resque.next_delayed_timestamp() is None  # not due yet
    assert resque.next_delayed_timestamp(T0) == T0
    assert resque.next_item_for_timestamp(T0) == {
        "class": "Archive",
        "args": [1],
        "queue": "file_serve",
    }
    assert resque.next_item_for_timestamp(T0)["args"] == [2]
    assert resque.next_item_for_timestamp(T0) is None
    assert r.keys("resque:*") == []


def test_enqueue_in_and_past_times(r: redis.Redis, resque: Resque) -> None:
    before = int(time.time())
    resque.enqueue_in(100, Archive, "later")
    [epoch] = resque.delayed_queue_peek(0, 5)
    assert before + 100 <= epoch <= int(time.time()) + 100
    resque.enqueue_at(before - 10, Archive, "now")  # already due: straight onto the queue
    assert r.lrange("resque:queue:file_serve", 0, -1) == ['{"class":"Archive","args":["now"]}']
    assert r.smembers("resque:queues") == {"file_serve"}
    with pytest.raises(TypeError, match="numeric number of seconds"):
        resque.enqueue_in("10", Archive)


def test_bad_args_write_nothing(r: redis.Redis, resque: Resque) -> None:
    with pytest.raises(TypeError, match=r"job\['args'\]\[0\]"):
        resque.enqueue_at(T0, Archive, {1, 2})
    with pytest.raises(resque_web.NoQueueError):
        resque.enqueue_at(T0, "NoQueue", 1)
    assert r.keys("*") == []


def test_schedule_hooks(r: redis.Redis, resque: Resque) -> None:
    Hooked.calls.clear()
    assert resque.enqueue_at(T0, Hooked, "yes") is True
    assert resque.enqueue_at(T0, Hooked, "no") is False
    assert Hooked.calls == [
        "before_schedule('yes',)",
        "after_schedule('yes',)",
        "before_schedule('no',)",
    ]
    assert resque.delayed_timestamp_peek(T0, 0, 5) == [
        {"class": f"{__name__}.Hooked", "args": ["yes"], "queue": "hooked"}
    ]


def test_enqueue_delayed_now_and_reset(r: redis.Redis, resque: Resque) -> None:
    resque.enqueue_at(T0, Archive, 1)
    resque.enqueue_at(T0 + 1, Archive, 1)
    resque.enqueue_at(T0 + 2, Archive, 2)
    assert resque.enqueue_delayed(Archive, 1) == 2
    assert r.lrange("resque:queue:file_serve", 0, -1) == ['{"class":"Archive","args":[1]}'] * 2
    resque.reset_delayed_queue()
    assert resque.count_all_scheduled_jobs() == 0
    assert [k for k in r.keys("resque:*") if "delayed" in k or "timestamps" in k] == []


def test_module_level_api(r: redis.Redis, redis_url: str) -> None:
    resque_web.configure(redis_url)
    try:
        resque_web.enqueue_in_with_queue("q", 3600, "Remote::Job", 1)
        assert resque_web.count_all_scheduled_jobs() == 1
        assert resque_web.remove_delayed_in_queue("Remote::Job", "q", 1) == 1
    finally:
        resque_web.configure(r)


def test_persistent_schedules_fixture_bytes(r: redis.Redis, resque: Resque) -> None:
    load_dump(r, RUBY_PLUGINS)
    expected = r.hgetall("resque:persistent_schedules")
    r.flushall()
    resque.set_schedule(
        "nightly_report",
        {
            "cron": "0 5 * * *",
            "class": "Reports::Nightly",
            "queue": "reports-nightly",
            "args": [1],
            "description": "Nightly report",
        },
    )
    resque.set_schedule(
        "every_5m",
        {
            "every": "5m",
            "class": "Archive",
            "queue": "file_serve",
            "args": [0, "zip"],
            "persist": True,
        },
    )
    resque.set_schedule(
        "tz_cron", {"cron": "30 8 * * 1-5 America/New_York", "class": "Billing::Charge"}
    )
    assert r.hgetall("resque:persistent_schedules") == expected
    assert r.smembers("resque:schedules_changed") == {"every_5m", "nightly_report", "tz_cron"}
    assert resque.fetch_schedule("every_5m") == {
        "every": "5m",
        "class": "Archive",
        "queue": "file_serve",
        "args": [0, "zip"],
    }
    r.delete("resque:schedules_changed")
    resque.remove_schedule("every_5m")
    assert sorted(resque.all_schedules()) == ["nightly_report", "tz_cron"]
    assert r.smembers("resque:schedules_changed") == {"every_5m"}


def test_set_schedule_refuses_a_bad_entry(r: redis.Redis, resque: Resque) -> None:
    with pytest.raises(resque_web.ScheduleError, match="not a valid cron"):
        resque.set_schedule("bad", {"cron": "61 * * * *", "class": "X"})
    assert r.keys("*") == []
