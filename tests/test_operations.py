"""Pause and prune against a real redis-server: the worker honours resque-pause's keys, and a
dashboard removal of a dead worker does what Ruby's ``unregister_worker`` does, atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from resque_web import Resque, times
from resque_web.keys import Keys
from resque_web.model.operations import PRUNE, Pausing, Pruning, dirty_exit_record
from resque_web.worker import FailureRecorder, Registration
from resque_web.worker.unregister import unregister_worker
from tests.support.worker import run_burst

K = Keys()
OLD = "2020-01-01T00:00:00+00:00"
BUSY = '{"queue":"critical","run_at":"2020-01-01T00:00:00Z","payload":{"class":"Archive","args":[35,"tar",1.0e+20]}}'  # noqa: E501


def recorded(r: redis.Redis, path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []


# The worker honours resque-pause ------------------------------------------------------
def test_worker_skips_a_paused_queue_and_takes_the_next(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    for queue in ("critical", "default"):
        resque.enqueue_to(queue, "Record", f"{queue}-0")
    r.set(K.queue_paused("critical"), "true")  # ResquePauseHelper.pause(:critical)
    record = tmp_path / "rec"
    done = run_burst(redis_url, "--queues", "critical,default", "--no-fork", record=record)
    assert done.returncode == 0, done.stderr
    assert recorded(r, record) == ["default-0"]
    assert r.llen(K.queue("critical")) == 1
    Pausing(resque).resume_queue("critical")
    done = run_burst(redis_url, "--queues", "*", "--no-fork", record=record)
    assert recorded(r, record) == ["default-0", "critical-0"]


def test_star_worker_skips_paused_queues_too(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    for queue in ("a", "b", "c"):
        resque.enqueue_to(queue, "Record", queue)
    Pausing(resque).pause_queue("b")
    record = tmp_path / "rec"
    done = run_burst(redis_url, "--queues", "*", "--no-fork", record=record)
    assert done.returncode == 0, done.stderr
    assert recorded(r, record) == ["a", "c"]
    assert r.lrange(K.queue("b"), 0, -1) == ['{"class":"Record","args":["b"]}']


def test_resque_pause_global_key_pauses_the_worker(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    resque.enqueue_to("default", "Record", "x")
    r.set(K.queues_paused_all, "true")  # ResquePauseHelper.global_pause
    record = tmp_path / "rec"
    done = run_burst(redis_url, "--queues", "default", "--no-fork", "-v", record=record)
    assert done.returncode == 0, done.stderr
    assert recorded(r, record) == [] and r.llen(K.queue("default")) == 1
    assert "pause-all-workers set" in done.stderr


def test_pause_all_and_per_queue_keys_as_resque_and_the_gem_spell_them(
    resque: Resque, r: redis.Redis
) -> None:
    pausing = Pausing(resque)
    assert pausing.pause_all() and not pausing.pause_all()
    assert r.get("resque:pause-all-workers") == "true"
    r.set(K.pause_all_workers, " TRUE\n")  # Ruby: .to_s.strip.downcase == "true"
    assert pausing.state().all_workers
    r.set(K.pause_all_workers, "false")
    assert not pausing.state().all_workers
    assert pausing.pause_all()
    assert pausing.resume_all() and not pausing.resume_all()
    assert r.get("resque:pause-all-workers") is None
    assert pausing.pause_queue("mail") and not pausing.pause_queue("mail")
    assert r.get("resque:pause:queue:mail") == "true"
    assert pausing.paused_queues(["mail", "other"]) == {"mail"}
    assert pausing.resume_queue("mail") and r.get("resque:pause:queue:mail") is None
    r.set("resque:pause:all", "true")
    assert pausing.state().all_queues


# Prune ---------------------------------------------------------------------------------
def dead_worker(r: redis.Redis, wid: str, beat: str = OLD, job: str | None = BUSY) -> None:
    r.sadd(K.workers, wid)
    r.set(K.worker_started(wid), "2020-01-01 00:00:00 +0000")
    r.hset(K.heartbeats, wid, beat)
    r.set(K.worker_stat("processed", wid), 7)
    r.set(K.worker_stat("failed", wid), 2)
    if job is not None:
        r.set(K.worker(wid), job)


def worker_keys(r: redis.Redis, wid: str) -> list[str]:
    names = [K.worker(wid), K.worker_started(wid)]
    names += [K.worker_stat("processed", wid), K.worker_stat("failed", wid)]
    left = [k for k in names if r.exists(k)]
    left += ["workers"] * r.sismember(K.workers, wid) + ["heartbeat"] * r.hexists(K.heartbeats, wid)
    return left


def test_removal_writes_what_rubys_unregister_worker_writes(
    r: redis.Redis, resque: Resque, redis_url: str
) -> None:
    """The same dead worker removed by our worker core's unregister_worker (pinned against
    Ruby in tests/test_worker.py and tests/test_ruby_bytes.py) and by the dashboard leaves
    the same failure record (but for failed_at) and removes the same keys."""
    dead_worker(r, "h:1:critical")
    recorder = FailureRecorder(resque, "redis", __import__("logging").getLogger("t"))
    unregister_worker(Registration(r, K, "h:1:critical"), recorder, recorder.log)
    by_worker = json.loads(r.lpop(K.failed))
    assert worker_keys(r, "h:1:critical") == []
    dead_worker(r, "h:1:critical")
    result = Pruning(resque).remove_all_stale()
    assert result.removed == ["h:1:critical"] and result.jobs_failed == 1
    assert worker_keys(r, "h:1:critical") == []
    raw = r.lpop(K.failed)
    by_dashboard = json.loads(raw)
    by_worker.pop("failed_at"), by_dashboard.pop("failed_at")
    assert by_dashboard == by_worker
    assert by_dashboard["exception"] == "Resque::DirtyExit"
    assert by_dashboard["error"] == "Job still being processed"
    assert '"args":[35,"tar",1.0e+20]' in raw  # Ruby's encoding of the payload, kept
    assert list(json.loads(raw)) == [
        "failed_at", "payload", "exception", "error", "backtrace", "worker", "queue",
    ]  # fmt: skip
    assert r.get(K.failed_count) is None  # Ruby does not count a DirtyExit here either


def test_only_workers_resque_would_prune_are_removed(r: redis.Redis, resque: Resque) -> None:
    seconds, _ = r.time()
    dead_worker(r, "h:1:a")
    dead_worker(r, "h:2:a", beat=times.heartbeat(seconds - 10))  # alive
    dead_worker(r, "h:3:a", beat=times.heartbeat(seconds - 290), job=None)  # not yet
    r.sadd(K.workers, "h:4:a")  # never beat: another client; Ruby leaves it alone
    dead_worker(r, "h:5:a", beat=times.heartbeat(seconds - 400), job=None)
    _, stale = Pruning(resque).stale()
    assert sorted(stale) == ["h:1:a", "h:5:a"]
    result = Pruning(resque).remove_all_stale()
    assert sorted(result.removed) == ["h:1:a", "h:5:a"] and result.jobs_failed == 1
    assert r.smembers(K.workers) == {"h:2:a", "h:3:a", "h:4:a"}
    assert r.llen(K.failed) == 1


def test_a_worker_that_beats_or_changes_job_meanwhile_is_left_alone(
    r: redis.Redis, resque: Resque
) -> None:
    """The check runs inside the script: a heartbeat or job written between the read and the
    removal leaves the worker, its job and its keys as they are."""
    dead_worker(r, "h:1:a")
    dead_worker(r, "h:2:a")
    pruning = Pruning(resque)
    real_apply = pruning._apply

    def apply_after_a_beat(beats: dict[str, str]):  # type: ignore[no-untyped-def]
        r.hset(K.heartbeats, "h:1:a", times.heartbeat())  # it came back
        return real_apply(beats)

    pruning._apply = apply_after_a_beat  # type: ignore[method-assign]
    result = pruning.remove_all_stale()
    assert result.removed == ["h:2:a"] and result.left == {"h:1:a": "alive"}
    assert worker_keys(r, "h:1:a") == [
        K.worker("h:1:a"), K.worker_started("h:1:a"), K.worker_stat("processed", "h:1:a"),
        K.worker_stat("failed", "h:1:a"), "workers", "heartbeat",
    ]  # fmt: skip
    assert r.llen(K.failed) == 1
    # A changed job (it finished one and took another under the old heartbeat) is refused.
    dead_worker(r, "h:3:a")
    record, queue = dirty_exit_record("h:3:a", BUSY)
    script = r.register_script(PRUNE)
    around = ["resque:worker:", "", "resque:worker:", ":started", "resque:stat:processed:", "",
              "resque:stat:failed:", ""]  # fmt: skip
    r.set(K.worker("h:3:a"), BUSY.replace("35", "36"))
    reply = script(
        keys=[K.workers, K.heartbeats, K.failed, K.failed_queues],
        args=[*around, "resque:", "_failed", "h:3:a", OLD, BUSY, record, queue],
    )
    assert json.loads(reply) == [["h:3:a", "changed"]]
    assert r.sismember(K.workers, "h:3:a") and r.llen(K.failed) == 1


def test_single_removal_needs_the_heartbeat_the_user_saw(r: redis.Redis, resque: Resque) -> None:
    dead_worker(r, "h:1:a")
    pruning = Pruning(resque)
    assert pruning.remove("h:1:a", "2019-06-01T00:00:00+00:00").left == {"h:1:a": "alive"}
    fresh = times.heartbeat()
    assert pruning.remove("h:1:a", fresh).left == {"h:1:a": "alive"}  # not expired: refused
    assert r.sismember(K.workers, "h:1:a")
    assert pruning.remove("h:1:a", OLD).removed == ["h:1:a"]
    assert pruning.remove("h:1:a", OLD).left == {"h:1:a": "gone"}


def test_multi_queue_backend_gets_the_failure_in_the_queues_list(r: redis.Redis) -> None:
    resque = Resque(r, namespace="mq")
    keys = resque.keys
    r.sadd(keys.failed_queues, "other_failed")
    r.sadd(keys.workers, "h:1:critical")
    r.hset(keys.heartbeats, "h:1:critical", OLD)
    r.set(keys.worker("h:1:critical"), BUSY)
    assert Pruning(resque).remove_all_stale().removed == ["h:1:critical"]
    assert r.smembers(keys.failed_queues) == {"other_failed", "critical_failed"}
    assert json.loads(r.lindex(keys.failed_queue("critical"), 0))["worker"] == "h:1:critical"
    assert r.llen(keys.failed) == 0


@pytest.mark.parametrize("busy", ["not json {", '"a string"', ""])
def test_an_unreadable_job_is_kept_whole(r: redis.Redis, resque: Resque, busy: str) -> None:
    dead_worker(r, "h:1:a", job=busy)
    assert Pruning(resque).remove_all_stale().removed == ["h:1:a"]
    if busy:
        failure = json.loads(r.lindex(K.failed, 0))
        assert failure["payload"] == busy and failure["queue"] == ""
    else:
        assert r.llen(K.failed) == 0  # Ruby: an empty worker key holds no job


# Captured from real Resque 3.0.0 (Ruby 3.1, MultiJson.use(:json_gem)): a registered worker
# with this job in worker:<id>, then Worker#unregister_worker. Redis then held only `failed`.
RUBY_BUSY = '{"queue":"critical","run_at":"2020-01-01T00:00:00Z","payload":{"class":"Archive","args":[35,"tar",1.0e+20,{"k":"ünï"}]}}'  # noqa: E501
RUBY_FAILURE = '{"failed_at":"2026/12/03 21:05:35 UTC","payload":{"class":"Archive","args":[35,"tar",1.0e+20,{"k":"ünï"}]},"exception":"Resque::DirtyExit","error":"Job still being processed","backtrace":[],"worker":"vm:23621:critical","queue":"critical"}'  # noqa: E501


def test_the_failure_record_is_rubys_byte_for_byte(r: redis.Redis, resque: Resque) -> None:
    dead_worker(r, "vm:23621:critical", job=RUBY_BUSY)
    r.delete(K.worker_stat("processed", "vm:23621:critical"))  # as in the Ruby run: none
    assert Pruning(resque).remove_all_stale().removed == ["vm:23621:critical"]
    ours = r.lindex(K.failed, 0)
    at = json.loads(ours)["failed_at"]
    assert ours == RUBY_FAILURE.replace("2026/12/03 21:05:35 UTC", at)
    assert r.keys("*") == [K.failed]
