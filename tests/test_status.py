"""Job status on a real redis-server: what Ruby's resque-status wrote reads exactly, real
worker processes (forking and not) perform status jobs, kills stop a job mid-way, clears
and expiry work in bounded steps."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_web import Keys, Resque, StatusJob, job, status
from resque_web.status import Status, StatusStore
from tests.status_jobs import Steps, Thumb
from tests.support.dump import RUBY_PLUGINS, dump_keys
from tests.support.worker import RunningWorker, run_burst, wait_until

# The fixture's five Thumb statuses (see shared/fixtures/README.md), by state.
COMPLETED = "ec2500e8df37a36b5490b4224cb69772"
FAILED = "29521e527f32fa899900f82c83833cb2"
KILLED = "18917fc372fbca4b7f8c3e951326c231"
QUEUED = "b9791eb96a4b0840d00fbcc006499710"
WORKING = "528cb74c365f233c7b1226ea110a9790"
KEYS = Keys()


@pytest.fixture
def connected(resque: Resque, monkeypatch: pytest.MonkeyPatch) -> Resque:
    """Status jobs created in this process use the test server."""
    monkeypatch.setattr(StatusJob, "resque", resque)
    return resque


def fixture_value(uuid: str) -> str:
    return dump_keys(RUBY_PLUGINS)[f"resque:status:{uuid}"]["value"]


# Reading what Ruby wrote ----------------------------------------------------------------
def test_rubys_statuses_read_exactly(ruby_plugins_data: redis.Redis, resque: Resque) -> None:
    expected = {
        COMPLETED: ("completed", 10, 10, 100),
        FAILED: ("failed", 2, 10, 20),
        KILLED: ("killed", None, None, 0),
        QUEUED: ("queued", None, None, 0),
        WORKING: ("working", 3, 8, 37),
    }
    for uuid, (state, num, total, pct) in expected.items():
        found = status.get(uuid, resque=resque)
        assert found is not None and found.readable
        assert (found.status, found.num, found.total, found.pct_complete) == (
            state,
            num,
            total,
            pct,
        )
        assert found.raw == fixture_value(uuid)
        # The JSON an app polls: the stored object, key order kept, plus pct_complete.
        assert found.to_json() == {**json.loads(fixture_value(uuid)), "pct_complete": pct}
        assert list(found.to_json())[:-1] == list(json.loads(fixture_value(uuid)))
        assert found.time is not None and found.time.timestamp() == 1796329780
    done = status.get(COMPLETED, resque=resque)
    assert done is not None
    assert done.extra == {"url": "/thumbs/1.png"}
    assert done.name == 'Thumb({"mode"=>"done", "photo"=>1})'
    assert done.message == "Completed at 2026-12-03 20:29:40 +0000"
    working = status.get(WORKING, resque=resque)
    assert working is not None and working.name is None and working.options is None
    assert [s.killable for s in map(lambda u: status.get(u, resque=resque), expected)] == [
        False,
        False,
        False,
        True,
        True,
    ]


def test_statuses_are_newest_first_as_ruby_lists_them(
    ruby_plugins_data: redis.Redis, resque: Resque
) -> None:
    # All five share one second: ZREVRANGE orders them by uuid, descending.
    assert [s.uuid for s in status.statuses(0, 10, resque=resque)] == [
        COMPLETED,
        QUEUED,
        WORKING,
        FAILED,
        KILLED,
    ]
    assert [s.uuid for s in status.statuses(1, 2, resque=resque)] == [QUEUED, WORKING]
    assert status.count(resque=resque) == 5
    assert status.get("no-such-uuid", resque=resque) is None


def test_an_unreadable_status_reads_as_unreadable(r: redis.Redis, resque: Resque) -> None:
    r.set(KEYS.status("bad"), "{not json")
    r.set(KEYS.status("list"), "[1,2]")
    for uuid in ("bad", "list"):
        found = status.get(uuid, resque=resque)
        assert found is not None and not found.readable
        assert found.status is None and found.pct_complete == 0 and not found.killable
        assert found.to_json()["unreadable"] == found.error
        assert found.to_json()["raw"] == r.get(KEYS.status(uuid))
    assert status.kill("bad", resque=resque) is False
    assert r.scard(KEYS.status_kill) == 0


@pytest.mark.parametrize(
    ("data", "pct"),
    [
        ({"status": "completed", "num": 1, "total": 10}, 100),
        ({"status": "queued", "num": 5, "total": 10}, 0),
        ({"num": 5, "total": 10}, 0),  # no status: queued, as Ruby reads it
        ({"status": "working", "num": 1, "total": 3}, 33),
        ({"status": "working", "num": 2.5, "total": 4.0}, 62),
        ({"status": "working", "num": 3, "total": "4"}, 75),  # Ruby's "4".to_f
        ({"status": "working", "num": 3}, 300),  # no total: over 1, as in Ruby
        ({"status": "working", "num": 3, "total": 0}, 300),
        ({"status": "failed", "num": 12, "total": 10}, 120),
        ({"status": "working", "num": "x", "total": 10}, 0),
        ({"status": "working", "num": 1, "total": "0"}, 0),  # Ruby: FloatDomainError
        ({"status": "working", "num": 10**400, "total": 1}, 0),  # not finite
        ({"status": "working", "num": [1], "total": {"a": 1}}, 0),
    ],
)
def test_pct_complete_as_resque_status_computes_it(data: dict, pct: int) -> None:
    assert status.pct_complete(data) == pct
    assert Status("u", data).pct_complete == pct
    assert 0 <= Status("u", data).bar_value <= 100


# Creating --------------------------------------------------------------------------------
def test_create_returns_a_uuid_and_queues_the_job(r: redis.Redis, connected: Resque) -> None:
    uuid = Thumb.create({"mode": "plain"}, photo=3)
    assert uuid is not None and len(uuid) == 32 and int(uuid, 16) >= 0
    assert json.loads(r.lindex("resque:queue:images", 0)) == {
        "class": "Thumb",
        "args": [uuid, {"mode": "plain", "photo": 3}],
    }
    found = status.get(uuid, resque=connected)
    assert found is not None and found.status == "queued" and found.killable
    assert Thumb.dequeue(uuid) == 1
    assert r.llen("resque:queue:images") == 0


def test_a_refused_enqueue_leaves_no_status(r: redis.Redis, connected: Resque) -> None:
    @job("Refused")
    class Refused(StatusJob):
        @staticmethod
        def before_enqueue_no(*args: object) -> bool:
            return False

        def perform(self) -> None:
            raise AssertionError("never runs")

    assert Refused.create(a=1) is None
    assert r.zcard(KEYS.statuses) == 0 and r.keys("resque:status:*") == []


def test_options_json_cannot_carry_write_nothing(r: redis.Redis, connected: Resque) -> None:
    with pytest.raises(TypeError, match="options"):
        Thumb.create(when={1, 2})
    assert r.dbsize() == 0


def test_perform_must_be_a_plain_method() -> None:
    with pytest.raises(TypeError, match="plain method"):

        class Wrong(StatusJob):
            @staticmethod
            def perform() -> None: ...


# Real workers ----------------------------------------------------------------------------
@pytest.mark.parametrize("fork", ["--fork", "--no-fork"])
def test_a_real_worker_performs_status_jobs(
    r: redis.Redis, redis_url: str, connected: Resque, fork: str
) -> None:
    """Our worker (forking, and not) runs a StatusJob registered by name: progress and the
    extra key land in the status, an exception marks it failed with Ruby's message and is
    recorded by the failure backend and counted."""
    done = Thumb.create(mode="done", photo=1)
    failing = Thumb.create(mode="fail")
    result = run_burst(redis_url, "--queues", "images", "-r", "tests.status_jobs", fork)
    assert result.returncode == 0, result.stderr
    ok = status.get(done or "", resque=connected)
    assert ok is not None
    assert (ok.status, ok.num, ok.total, ok.pct_complete) == ("completed", 4, 4, 100)
    assert ok.extra == {"url": "/thumbs/1.png", "sizes": [1, 2.5]}
    assert ok.name == 'Thumb({"mode"=>"done", "photo"=>1})'
    bad = status.get(failing or "", resque=connected)
    assert bad is not None
    assert (bad.status, bad.num, bad.total) == ("failed", 2, 10)
    assert bad.message == "The task failed because of an error: disk full"
    [failure] = [json.loads(f) for f in r.lrange("resque:failed", 0, -1)]
    assert failure["exception"] == "RuntimeError" and failure["error"] == "disk full"
    assert failure["payload"] == {"class": "Thumb", "args": [failing, {"mode": "fail"}]}
    assert failure["queue"] == "images"
    assert r.get("resque:stat:failed") == "1" and r.get("resque:stat:processed") == "2"


def test_jobs_report_to_the_workers_redis_and_namespace(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker started with --namespace makes its status jobs write there (as Ruby's jobs
    use Resque.redis), not to a default connection."""
    elsewhere = Resque(r, namespace="jobs")
    monkeypatch.setattr(StatusJob, "resque", elsewhere)
    uuid = Thumb.create(mode="plain")
    assert uuid is not None
    monkeypatch.setattr(StatusJob, "resque", None)  # the worker's own connection decides
    result = run_burst(
        redis_url, "--queues", "images", "--namespace", "jobs", "-r", "tests.status_jobs"
    )
    assert result.returncode == 0, result.stderr
    found = status.get(uuid, resque=elsewhere)
    assert found is not None and found.status == "completed"
    assert r.keys("resque:*") == []


def test_a_kill_stops_the_job_at_its_next_step(
    r: redis.Redis, redis_url: str, connected: Resque, tmp_path: Path
) -> None:
    trace = tmp_path / "steps"
    uuid = Steps.create(steps=200, pause=0.05)
    assert uuid is not None
    worker = RunningWorker(redis_url, "statused", "-r", "tests.status_jobs", record=trace)
    with worker:
        wait_until(
            lambda: (s := status.get(uuid, resque=connected)) and (s.num or 0) >= 3,
            what="the job to make progress",
        )
        assert status.kill(uuid, resque=connected) is True
        assert r.sismember(KEYS.status_kill, uuid)
        wait_until(
            lambda: (s := status.get(uuid, resque=connected)) and s.status == "killed",
            what="the kill",
        )
        wait_until(lambda: r.get("resque:stat:processed") == "1", what="the job to end")
        steps_at_kill = trace.read_text().count("step")
        time.sleep(0.3)  # six more steps' time: none may come
        assert trace.read_text().count("step") == steps_at_kill < 200
    killed = status.get(uuid, resque=connected)
    assert killed is not None and killed.message.startswith("Killed at ")
    assert killed.num == steps_at_kill  # the last step written before the kill was seen
    assert not r.sismember(KEYS.status_kill, uuid)  # the job took itself off the list
    assert r.llen("resque:failed") == 0  # a kill is not a failure, as in Ruby
    assert status.kill(uuid, resque=connected) is False  # finished: nothing to kill
    assert status.kill("no-such-uuid", resque=connected) is False
    assert r.scard(KEYS.status_kill) == 0


# Clearing and expiry ---------------------------------------------------------------------
def test_clear_removes_exactly_the_state_asked_in_small_chunks(
    ruby_plugins_data: redis.Redis, resque: Resque
) -> None:
    r = ruby_plugins_data
    store = StatusStore(resque)
    for i in range(7):  # more completed ones than a chunk, interleaved by time
        store.set(f"c{i}", {"status": "completed"})
        r.zadd(KEYS.statuses, {f"c{i}": 1796329770 + i})
    r.zadd(KEYS.statuses, {"expired": 1796329700})  # its status:<uuid> is gone
    assert store.clear("completed", chunk=2) == 8
    assert {s.status for s in store.statuses(0, 100)} == {"failed", "killed", "queued", "working"}
    assert store.clear("failed", chunk=2) == 1
    assert r.exists(KEYS.status(FAILED)) == 0
    assert r.zscore(KEYS.statuses, "expired") is not None  # not known to be completed
    assert store.clear("all", chunk=2) == 4
    assert r.zcard(KEYS.statuses) == 0 and r.keys("resque:status:*") == []
    with pytest.raises(ValueError, match="clear what"):
        store.clear("working")


def test_clear_leaves_statuses_listed_after_it_began(r: redis.Redis, resque: Resque) -> None:
    store = StatusStore(resque)
    for i in range(4):
        store.create(f"old{i}", {})
    script = store._clear
    calls = []

    def during(*args: Any, **kwargs: Any) -> Any:
        if not calls:  # a job is created while the clear runs
            r.zadd(KEYS.statuses, {"newer": r.zrevrange(KEYS.statuses, 0, 0, True)[0][1] + 1})
            r.set(KEYS.status("newer"), '{"status":"queued"}')
        calls.append(1)
        return script(*args, **kwargs)

    store._clear = during  # type: ignore[method-assign]
    assert store.clear("all", chunk=2) == 4
    assert r.zrange(KEYS.statuses, 0, -1) == ["newer"] and r.exists(KEYS.status("newer"))


def test_a_clear_with_a_time_budget_stops_and_goes_on(r: redis.Redis, resque: Resque) -> None:
    store = StatusStore(resque)
    for i in range(5):
        store.set(f"c{i}", {"status": "completed"})
        r.zadd(KEYS.statuses, {f"c{i}": i})
    first = store.clear_for("completed", 0, chunk=2)  # one step, then out of time
    assert (first.removed, first.finished) == (2, False)
    rest = store.clear_for("completed", 0, chunk=10)
    assert (rest.removed, rest.finished) == (3, True)
    assert store.clear_for("completed", None) == status.Cleared(0, True)


def test_expire_in_expires_statuses_and_prunes_the_index(
    r: redis.Redis, connected: Resque, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Thumb, "expire_in", 1)
    uuid = Thumb.create(mode="plain")
    assert uuid is not None and 0 < r.pttl(KEYS.status(uuid)) <= 1000
    wait_until(lambda: status.get(uuid, resque=connected) is None, 3, "the status to expire")
    assert r.zscore(KEYS.statuses, uuid) is not None  # Ruby prunes the index on create...
    time.sleep(1.1)
    later = Thumb.create(mode="plain")
    assert r.zrange(KEYS.statuses, 0, -1) == [later]  # ...of uuids older than expire_in
