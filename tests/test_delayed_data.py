"""The Delayed tab's data layer on a real Redis holding what Ruby's resque-scheduler wrote
(``ruby_plugins_data``): pages, search, and every action leaving resque-scheduler's three
structures (``delayed:<t>`` lists, the ``delayed_queue_schedule`` zset, ``timestamps:<job>``
sets) exactly as Ruby's own code would."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import redis

from resque_web import Resque
from resque_web.failure.record import digest
from resque_web.model.delayed import Delayed, NotQueueable, TimestampNotFound, queue_item
from resque_web.model.delayed import actions as delayed_actions
from resque_web.model.delayed import reads as delayed_reads
from resque_web.model.delayed import search as delayed_search
from resque_web.redis_server import free_port
from tests.support.dump import RUBY_PLUGINS, load_dump

CAPTURED = 1796329780  # when the fixture was written
T0 = 1900000000
SAME = '{"class":"Archive","args":[7,"same"],"queue":"file_serve"}'
SAME_AT = T0 + 99999
CHARGE = (
    '{"class":"Billing::Charge","args":[1000,{"cents":1999,"note":"ünïcode 队列"}],'
    '"queue":"critical"}'
)


@pytest.fixture
def delayed(ruby_plugins_data: redis.Redis) -> Delayed:
    return Delayed(Resque(ruby_plugins_data))


def residue(r: redis.Redis, epoch: int, item: str) -> tuple[int, bool, bool]:
    """(list length, epoch in the zset, bare name in the item's timestamps: set)."""
    return (
        r.llen(f"resque:delayed:{epoch}"),
        r.zscore("resque:delayed_queue_schedule", str(epoch)) is not None,
        r.sismember(f"resque:timestamps:{item}", f"delayed:{epoch}") == 1,
    )


def test_overview_reads_rubys_schedule(delayed: Delayed) -> None:
    summary, page = delayed.overview(1, 20, now=CAPTURED + 1000)
    assert (summary.timestamps, summary.jobs, summary.jobs_exact) == (16, 25, True)
    # The two delayed retries are due (60 s and 600 s after capture); T0 is years ahead.
    assert (summary.due, summary.oldest, summary.lag) == (2, CAPTURED + 60, 940.0)
    assert [row.epoch for row in page.items][:4] == [CAPTURED + 60, CAPTURED + 600, T0, T0 + 50]
    rows = {row.epoch: row for row in page.items}
    assert rows[SAME_AT].size == 3 and rows[SAME_AT].first.raw == SAME
    assert rows[T0].size == 2 and rows[T0].first.args == [0, "tar"]
    assert rows[T0 + 50].first.args == [[1, 2.5, None]]
    assert page.total == 16 and page.indexes == list(range(16))


def test_overview_pages_and_clamps(delayed: Delayed) -> None:
    _, second = delayed.overview(2, 5, now=CAPTURED)
    assert [r.epoch for r in second.items] == [T0 + 7200 + 3600 * i for i in range(5)]
    assert second.indexes == [5, 6, 7, 8, 9]
    _, last = delayed.overview(999, 5, now=CAPTURED)  # past the end: the last page
    assert last.number == 4 and [r.epoch for r in last.items] == [SAME_AT]


def test_counting_stops_at_the_page_limit(delayed: Delayed) -> None:
    summary, _ = delayed.overview(1, 1, now=CAPTURED, count_limit=3)
    assert (summary.jobs, summary.counted, summary.jobs_exact) == (5, 3, False)


def test_timestamp_page_shows_the_three_identical_jobs(delayed: Delayed) -> None:
    page = delayed.timestamp(SAME_AT)
    assert [(j.index, j.job.raw, j.queue) for j in page.items] == [
        (0, SAME, "file_serve"),
        (1, SAME, "file_serve"),
        (2, SAME, "file_serve"),
    ]
    unicode = delayed.timestamp(T0).items[1]
    assert unicode.job.raw == CHARGE
    assert unicode.job.args[1]["note"] == "ünïcode 队列"


def test_unknown_timestamp(delayed: Delayed) -> None:
    with pytest.raises(TimestampNotFound):
        delayed.timestamp(T0 + 1)


def test_corrupt_items_and_keys_still_read(ruby_plugins_data: redis.Redis) -> None:
    r = ruby_plugins_data
    r.rpush(f"resque:delayed:{T0}", "not json {", '["an","array"]')
    r.set(f"resque:delayed:{T0 + 1}", "a string where a list belongs")
    r.zadd("resque:delayed_queue_schedule", {str(T0 + 1): T0 + 1, "garbage": 0})
    delayed = Delayed(Resque(r))
    summary, page = delayed.overview(1, 50, now=CAPTURED)
    rows = {row.member: row for row in page.items}
    assert rows[str(T0 + 1)].size == -1 and rows[str(T0 + 1)].first is None
    assert rows["garbage"].epoch is None and rows["garbage"].size == 0
    assert summary.timestamps == 18 and summary.jobs == 27  # the string key counts as 0
    jobs = delayed.timestamp(T0).items
    assert jobs[2].job.error and jobs[2].job.raw == "not json {"
    assert jobs[3].job.error and jobs[3].job.class_name is None


def test_search_by_class_ignores_case_and_by_args_text(delayed: Delayed) -> None:
    found = delayed.search("billing::charge")
    assert [r.job.args[0] for r in found.rows] == [1000, 1002, 1004, 1006, 1008, 1010]
    assert found.complete and not found.more
    same = delayed.search("", '"same"')
    assert [(r.epoch, r.index) for r in same.rows] == [(SAME_AT, 0), (SAME_AT, 1), (SAME_AT, 2)]
    assert delayed.search("Archive", "[7,").rows[0].job.args == [7, "tar"]
    # A class needle that only appears in the arguments is not a class match.
    assert delayed.search("cents").rows == []
    assert [r.job.args[0] for r in delayed.search("", "队列").rows] == [
        1000,
        1002,
        1004,
        1006,
        1008,
        1010,
    ]


def test_search_stops_at_the_rows_asked_for(delayed: Delayed) -> None:
    found = delayed.search("archive", want=3)
    assert len(found.rows) == 3 and found.more and found.complete


def test_search_out_of_time_is_partial(delayed: Delayed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delayed_search, "SEARCH_CHUNK", 2)
    found = delayed.search("archive", budget=0)
    assert not found.complete and found.read == 2


def test_queue_one_of_three_identical_jobs(delayed: Delayed, r: redis.Redis) -> None:
    page = delayed.timestamp(SAME_AT)
    middle = page.items[1]
    result = delayed.queue_job(SAME_AT, middle.index, middle.digest)
    assert result.ok and result.count == 1
    # Resque::Job.create's bytes; the queue is registered
    assert r.lrange("resque:queue:file_serve", 0, -1) == ['{"class":"Archive","args":[7,"same"]}']
    assert r.sismember("resque:queues", "file_serve")
    assert residue(r, SAME_AT, SAME) == (2, True, True)  # two copies left: still listed
    for _ in range(2):
        first = delayed.timestamp(SAME_AT).items[0]
        assert delayed.remove_job(SAME_AT, first.index, first.digest).ok
    # The last copy gone: no list, no zset member, no timestamps: set.
    assert residue(r, SAME_AT, SAME) == (0, False, False)
    assert not r.exists(f"resque:timestamps:{SAME}")


def test_an_action_on_a_changed_item_changes_nothing(delayed: Delayed, r: redis.Redis) -> None:
    seen = delayed.timestamp(T0).items[1]  # Billing::Charge at index 1
    r.lset(f"resque:delayed:{T0}", 1, CHARGE.replace("1000", "1001"))
    before = r.lrange(f"resque:delayed:{T0}", 0, -1)
    assert not delayed.remove_job(T0, seen.index, seen.digest).ok
    assert not delayed.queue_job(T0, seen.index, seen.digest).ok
    # An item that moved to another position is not hit either.
    assert not delayed.remove_job(T0, 0, seen.digest).ok
    assert r.lrange(f"resque:delayed:{T0}", 0, -1) == before
    assert not r.exists("resque:queue:critical")


def test_queue_now_on_a_timestamp_moves_every_job(delayed: Delayed, r: redis.Redis) -> None:
    result = delayed.queue_timestamp(CAPTURED + 600)
    assert result.ok and result.count == 2
    assert r.lrange("resque:queue:flaky", 0, -1) == [
        '{"class":"Flaky","args":[42,"x"]}',
        '{"class":"Flaky","args":[43,"y"]}',
    ]
    flaky = '{"class":"Flaky","args":[42,"x"],"queue":"flaky"}'
    assert residue(r, CAPTURED + 600, flaky) == (0, False, False)
    assert not delayed.queue_timestamp(CAPTURED + 600).ok  # nothing left there


def test_queue_now_in_chunks_leaves_what_cannot_be_queued(
    delayed: Delayed, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delayed_actions, "ACTION_CHUNK", 2)
    key = f"resque:delayed:{T0}"
    r.rpush(key, "not json", '{"class":"NoQueue","args":[]}', SAME, SAME)
    r.sadd(f"resque:timestamps:{SAME}", f"delayed:{T0}")
    result = delayed.queue_timestamp(T0)
    assert result.count == 4 and "2 could not be queued" in result.message
    assert r.lrange(key, 0, -1) == ["not json", '{"class":"NoQueue","args":[]}']
    assert r.zscore("resque:delayed_queue_schedule", str(T0)) is not None
    assert not r.sismember(f"resque:timestamps:{SAME}", f"delayed:{T0}")
    assert r.sismember(f"resque:timestamps:{SAME}", f"delayed:{SAME_AT}")  # other times kept
    assert r.llen("resque:queue:file_serve") == 3 and r.llen("resque:queue:critical") == 1


def test_clear_removes_every_delayed_key(
    delayed: Delayed, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delayed_actions, "ACTION_CHUNK", 1)  # two items per script call
    result = delayed.clear()
    assert result.ok and result.count == 25
    left = [k for k in r.keys("resque:*") if k.startswith(("resque:delayed", "resque:timestamps"))]
    assert left == ["resque:delayed:last_enqueued_at"]  # a schedule's record, not a job


def test_clear_out_of_time_says_what_is_left(
    delayed: Delayed, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delayed_actions, "ACTION_CHUNK", 1)
    result = delayed.clear(budget=0)  # one call: two items
    assert result.ok and result.count == 2
    assert (
        result.message
        == "Cleared 2 delayed jobs. 15 timestamps are left (it ran out of time): clear again."
    )
    assert r.zcard("resque:delayed_queue_schedule") == 15


def test_totals_for_metrics(delayed: Delayed, monkeypatch: pytest.MonkeyPatch) -> None:
    totals = delayed.totals(now=CAPTURED + 60)
    assert (totals.jobs, totals.timestamps, totals.complete) == (25, 16, True)
    assert (totals.oldest, totals.lag) == (CAPTURED + 60, 0.0)
    monkeypatch.setattr(delayed_reads, "COUNT_CHUNK", 2)
    cut = delayed.totals(budget=0, now=CAPTURED)
    assert (cut.jobs, cut.complete) == (1 + 2, False)


def test_queue_items_are_what_rubys_scheduler_pushes() -> None:
    assert queue_item({"class": "A", "args": [1], "queue": "q"}) == (
        "q",
        '{"class":"A","args":[1]}',
    )
    # enqueue_from_config: a Hash is one argument, nil none, a scalar one
    assert queue_item({"class": "A", "args": {"k": 1}, "queue": "q"})[1] == (
        '{"class":"A","args":[{"k":1}]}'
    )
    assert queue_item({"class": "A", "queue": "q"})[1] == '{"class":"A","args":[]}'
    assert queue_item({"class": "A", "args": "x", "queue": "q"})[1] == '{"class":"A","args":["x"]}'
    # An unloadable custom_job_class is enqueued as the class (Ruby's NameError fallback).
    custom = {"class": "A", "args": [1], "queue": "q", "custom_job_class": "Status::Job"}
    assert queue_item(custom)[1] == '{"class":"Status::Job","args":[1]}'
    assert queue_item({**custom, "custom_job_class": "Resque::Job"})[1] == (
        '{"class":"A","args":[1]}'
    )
    assert queue_item({"class": "A", "args": [1.0e20], "queue": "q"})[1] == (
        '{"class":"A","args":[1.0e+20]}'
    )
    for bad in ({"args": [], "queue": "q"}, {"class": "A"}, ["not", "a", "hash"]):
        with pytest.raises(NotQueueable):
            queue_item(bad)


def test_digest_is_what_lua_computes(r: redis.Redis) -> None:
    assert r.eval("return redis.sha1hex(ARGV[1])", 0, CHARGE) == digest(CHARGE)


def test_a_redis_without_lpos(tmp_path: Path) -> None:
    """Redis before 6.0.6 has no LPOS: the copy check scans the list instead."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--dir", str(tmp_path), "--rename-command", "LPOS", ""],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        r = redis.Redis(port=port, decode_responses=True)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        with pytest.raises(redis.ResponseError):
            r.execute_command("LPOS", "x", "y")
        load_dump(r, RUBY_PLUGINS)
        delayed = Delayed(Resque(r))
        for left in (2, 1, 0):
            job = delayed.timestamp(SAME_AT).items[0]
            assert delayed.queue_job(SAME_AT, job.index, job.digest).ok
            assert residue(r, SAME_AT, SAME) == (left, left > 0, left > 0)
        assert delayed.queue_timestamp(T0).count == 2
        assert residue(r, T0, CHARGE) == (0, False, False)
        r.close()
    finally:
        server.terminate()
        server.wait(10)
