"""The scheduler process against a real redis-server: moving due delayed jobs (Python- and
Ruby-written), master election, recurring jobs, bad entries, signals and a Redis outage."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from resque_web import Resque
from resque_web.connection import connect
from resque_web.keys import Keys
from resque_web.redis_server import RedisServer
from resque_web.scheduler import encode_delayed
from resque_web.scheduler.command import raw_client
from resque_web.scheduler.lock import MasterLock
from resque_web.scheduler.mover import DelayedMover
from resque_web.scheduler.process import Scheduler
from tests.support.worker import ROOT, wait_until

K = Keys()
LOCK = "resque:resque:resque_scheduler_master_lock"


def scheduler_for(url: str, **options: object) -> Scheduler:
    client = connect(url, socket_timeout=options.pop("socket_timeout", 5.0))  # type: ignore[arg-type]
    options.setdefault("interval", 0.05)
    return Scheduler(Resque(client), raw_client(client), **options)  # type: ignore[arg-type]


def delay(resque: Resque, epoch: int, queue: str, name: str, *args: object) -> None:
    """A delayed job at ``epoch``, even a past one (``enqueue_at`` would enqueue that now)."""
    resque.delayed_push(epoch, encode_delayed(name, args, queue))


def residue(r: redis.Redis) -> list[str]:
    return sorted(k for k in r.scan_iter("resque:*") if "delayed" in k or "timestamps:" in k)


def test_a_run_moves_due_jobs_and_leaves_no_residue(r: redis.Redis, redis_url: str) -> None:
    resque = Resque(r)
    now = int(time.time())
    for i in range(250):  # several timestamps, some with more jobs than a batch reads
        delay(resque, now - 1 - i % 3, "default", "Remote::Job", i)
        delay(resque, now - 5, "other", "Remote::Job", "o", i)
    delay(resque, now + 3600, "later", "Remote::Job", "later")
    process = scheduler_for(redis_url, batch_size=64, lock_value="test:1")
    assert process.tick(None) is True
    assert r.llen("resque:queue:default") == 250
    assert r.llen("resque:queue:other") == 250
    assert r.lindex("resque:queue:default", 0) == '{"class":"Remote::Job","args":[2]}'
    assert r.smembers("resque:queues") == {"default", "other"}
    assert residue(r) == [
        "resque:delayed:" + str(now + 3600),
        "resque:delayed_queue_schedule",
        'resque:timestamps:{"class":"Remote::Job","args":["later"],"queue":"later"}',
    ]
    assert process.totals.moved == 500
    process._release()
    assert not r.exists(LOCK)


def test_ruby_written_delayed_jobs_are_moved(
    ruby_plugins_data: redis.Redis, redis_url: str
) -> None:
    """The fixture's two due delayed retries (written by resque-retry through Ruby's
    resque-scheduler) land on their queue as Ruby's scheduler enqueues them."""
    r = ruby_plugins_data
    r.delete(LOCK)  # the fixture's Ruby master (sched-host.example.com:4242) is long gone
    process = scheduler_for(redis_url, lock_value="test:1")
    process.tick(None)
    assert r.lrange("resque:queue:flaky", 0, -1) == [
        '{"class":"Backoff","args":["acct-9"]}',
        '{"class":"Flaky","args":[42,"x"]}',
        '{"class":"Flaky","args":[43,"y"]}',
    ]
    assert "flaky" in r.smembers("resque:queues")
    assert not r.exists("resque:delayed:1796329840", "resque:delayed:1796330380")
    assert not r.exists('resque:timestamps:{"class":"Flaky","args":[42,"x"],"queue":"flaky"}')
    assert Resque(r).count_all_scheduled_jobs() == 22  # the future ones stay


def test_a_held_master_lock_is_respected(ruby_plugins_data: redis.Redis, redis_url: str) -> None:
    """The fixture's Ruby master still holds the lock: we move nothing."""
    r = ruby_plugins_data
    process = scheduler_for(redis_url, lock_value="test:1")
    assert process.tick(None) is False
    assert not r.exists("resque:queue:flaky")
    assert r.get(LOCK) == "sched-host.example.com:4242"


def test_lock_semantics(r: redis.Redis) -> None:
    raw = redis.Redis(connection_pool=r.connection_pool)
    one, two = MasterLock(raw, LOCK, "h:1", 60), MasterLock(raw, LOCK, "h:2", 60)
    assert one.master() and not two.master()
    assert r.get(LOCK) == "h:1" and r.ttl(LOCK) == 60
    r.expire(LOCK, 5)
    assert one.master() and r.ttl(LOCK) == 60  # renewed while ours
    assert not two.release() and r.exists(LOCK)
    assert one.release() and not r.exists(LOCK)
    assert two.master()


def test_movers_racing_without_a_lock_move_each_job_once(r: redis.Redis, redis_url: str) -> None:
    """Even with no lock, the identity check alone keeps concurrent movers from
    duplicating or losing a job (as Ruby's WATCH does)."""
    resque = Resque(r)
    now = int(time.time())
    for i in range(3000):
        delay(resque, now - i % 7, "q", "J", i)
    errors: list[BaseException] = []

    def drain() -> None:
        client = connect(redis_url)
        mover = DelayedMover(raw_client(client), K, resque.registry, LOCK, "", batch_size=50)
        try:
            while not mover.move_round(now).idle:
                pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    counts = Counter(r.lrange("resque:queue:q", 0, -1))
    assert len(counts) == 3000 and set(counts.values()) == {1}
    assert residue(r) == []


def _run_cli(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "resque_web", "scheduler", "--redis", url, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ready(proc: subprocess.Popen[str]) -> bool:
    """The process set its title, which it does once its signal handlers are in place."""
    try:
        return b"resque-web-scheduler:" in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_two_scheduler_processes_enqueue_each_job_once(r: redis.Redis, redis_url: str) -> None:
    resque = Resque(r)
    now = int(time.time())
    procs = [_run_cli(redis_url, "--interval", "0.05") for _ in range(2)]
    try:
        wait_until(lambda: all(ready(p) for p in procs), timeout=30, what="both started")
        for i in range(2000):  # due now and due over the next two seconds, while both run
            delay(resque, now + i % 3, "q", "J", i)
        wait_until(lambda: r.llen("resque:queue:q") >= 2000, timeout=30, what="all moved")
        time.sleep(0.3)
        counts = Counter(r.lrange("resque:queue:q", 0, -1))
        assert len(counts) == 2000 and set(counts.values()) == {1}
        assert residue(r) == []
        holder = r.get(LOCK)
        assert holder is not None and holder.rsplit(":", 1)[1] in {str(p.pid) for p in procs}
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        outputs = [p.communicate(timeout=20) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert not r.exists(LOCK)  # released on a clean exit
    assert sum("Master scheduler" in err for _, err in outputs) >= 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT])
def test_signals_stop_cleanly(r: redis.Redis, redis_url: str, sig: signal.Signals) -> None:
    proc = _run_cli(redis_url, "--interval", "0.05")
    wait_until(lambda: r.exists(LOCK) and ready(proc), timeout=20, what="the master lock")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Exiting" in err and not r.exists(LOCK)


SCHEDULE = """\
good:
  every: 1s
  class: Good::Job
  queue: recurring
  args: [1, "x"]
  rails_env: production
  colour: blue
bad_cron:
  cron: "61 * * * *"
  class: X
no_when:
  class: X
no_class_is_its_name:
  every: 1h
  queue: q
"""


def test_schedule_file_bad_entries_reported_the_rest_runs(
    r: redis.Redis, redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "schedule.yml"
    path.write_text(SCHEDULE)
    process = scheduler_for(redis_url, schedule_file=path, lock_value="test:1")
    caplog.set_level(logging.INFO, logger="resque_web.scheduler")
    thread = threading.Thread(target=process.run)
    thread.start()
    try:
        wait_until(lambda: r.llen("resque:queue:recurring") >= 2, timeout=10, what="two runs")
    finally:
        process.stop()
        thread.join(10)
    text = caplog.text
    assert "schedule 'bad_cron': cron '61 * * * *' is not a valid cron expression" in text
    assert "schedule 'no_when': no cron or every" in text
    assert "schedule 'good': colour: unknown key, ignored" in text
    assert "schedule 'good': rails_env: ignored" in text
    assert r.lrange("resque:queue:recurring", 0, 0) == ['{"class":"Good::Job","args":[1,"x"]}']
    stamp = r.hget("resque:delayed:last_enqueued_at", "good")
    assert stamp is not None and time.strftime("%Y-%m-%d %H:%M:%S %z") >= stamp  # Time#to_s
    assert len(stamp) == len("2026-12-03 20:50:15 +0000")
    assert not r.exists(LOCK)


def test_persistent_schedules_and_changes_picked_up(r: redis.Redis, redis_url: str) -> None:
    resque = Resque(r)
    resque.set_schedule("p", {"every": "1h", "class": "P", "queue": "pq"})
    process = scheduler_for(redis_url, lock_value="test:1")
    process.tick(None)
    assert set(process._entries) == {"p"} and not r.exists("resque:schedules_changed")
    resque.set_schedule("fast", {"every": "1s", "class": "F", "queue": "fq", "args": "one"})
    resque.remove_schedule("p")
    process.tick(True)
    assert set(process._entries) == {"fast"}
    process._next["fast"] = process._next["fast"].replace(year=2000)  # make it due
    process.tick(True)
    assert r.lrange("resque:queue:fq", 0, -1) == ['{"class":"F","args":["one"]}']
    assert r.hexists("resque:delayed:last_enqueued_at", "fast")


def test_a_redis_outage_is_waited_out_without_loss_or_duplicates(tmp_path: Path) -> None:
    """redis-server frozen (SIGSTOP) mid-drain: commands time out, some of them run when it
    thaws; every job still lands exactly once."""
    with RedisServer() as server:
        r = redis.Redis(port=server.port, decode_responses=True)
        resque = Resque(r)
        now = int(time.time())
        for i in range(20000):
            delay(resque, now - i % 50, "q", "J", i)
        resque.set_schedule("tick", {"every": "1s", "class": "T", "queue": "t"})
        process = scheduler_for(server.url, batch_size=100, lock_value="test:1", socket_timeout=0.3)
        process.interval = 0.05
        thread = threading.Thread(target=process.run)
        thread.start()
        try:
            wait_until(lambda: r.llen("resque:queue:q") > 0, timeout=10, what="moving")
            assert server.process is not None
            moved_before = r.llen("resque:queue:q")
            for _ in range(3):
                os.kill(server.process.pid, signal.SIGSTOP)
                time.sleep(0.8)
                os.kill(server.process.pid, signal.SIGCONT)
                time.sleep(0.2)
            wait_until(lambda: r.llen("resque:queue:q") >= 20000, timeout=30, what="the rest")
            wait_until(lambda: r.llen("resque:queue:t") >= 2, timeout=10, what="recurring runs")
            assert moved_before < 20000  # the outages came mid-drain
            assert process.outage is False
        finally:
            process.stop()
            thread.join(15)
        counts = Counter(r.lrange("resque:queue:q", 0, -1))
        assert len(counts) == 20000 and set(counts.values()) == {1}
        assert residue(r) == ["resque:delayed:last_enqueued_at"]
        r.close()
