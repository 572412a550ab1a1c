"""A running worker is seen by Ruby's own live-worker check (``Worker#linux_worker_pids``), so
a Ruby worker starting on the same host (``QUEUE=*``) does not unregister it: its process
title is Ruby's ``procline``, in the parent and in the child it forks for a job."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from resque_web import Resque
from resque_web.keys import Keys
from resque_web.worker import QueueSpec, Registration, is_worker_process, prune_dead_workers
from resque_web.worker.failures import FailureRecorder
from resque_web.worker.procline import Procline
from tests.support.worker import HOST, RunningWorker, wait_until

K = Keys()

# Copied verbatim from resque 3.0.0 lib/resque/worker.rb (linux_worker_pids, between the
# backticks). Backticks are a double-quoted Ruby literal, where "\s" is a space: checked by
# hand, Ruby hands the shell `... [r]esque: Starting ...`.
RUBY_WORKER_RB = r'''ps -A -o pid,command | grep -E "[r]esque:work|[r]esque:\sStarting|[r]esque-[0-9]" | grep -v "resque-web"'''  # noqa: E501
RUBY_PS = RUBY_WORKER_RB.replace("\\s", " ")


def ruby_sees() -> dict[str, str]:
    """pid -> command line of every process Ruby's check counts as a live worker (Ruby keeps
    ``line.split(' ')[0]`` of each line)."""
    out = subprocess.run(RUBY_PS, shell=True, capture_output=True, text=True, check=False)
    found = {}
    for line in out.stdout.splitlines():
        pid, _, command = line.strip().partition(" ")
        found[pid] = command.strip()
    return found


def title(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()


def test_the_ruby_pipeline_is_the_one_ruby_runs() -> None:
    assert RUBY_PS == (
        'ps -A -o pid,command | grep -E "[r]esque:work|[r]esque: Starting|[r]esque-[0-9]" '
        '| grep -v "resque-web"'
    )


def test_ruby_sees_a_live_worker_idle_and_mid_job_parent_and_child(
    redis_url: str, r: redis.Redis, resque: Resque
) -> None:
    with RunningWorker(redis_url, "critical,default") as worker:
        pid = str(worker.process.pid)
        wait_until(lambda: r.sismember(K.workers, worker.id), what="registration")
        wait_until(lambda: ruby_sees().get(pid), what="Ruby's ps check to see the worker")
        assert ruby_sees()[pid] == "resque-3.0.0: Waiting for critical,default"

        resque.enqueue_to("default", "Sleep", 30, "long")
        forked = wait_until(
            lambda: re.fullmatch(
                r"resque-3\.0\.0: Forked (\d+) at (\d+)", ruby_sees().get(pid, "")
            ),
            what="the parent's Forked title",
        )
        child, at = forked.group(1), int(forked.group(2))
        assert abs(at - time.time()) < 30
        processing = re.fullmatch(
            r"resque-3\.0\.0: Processing default since (\d+) \[Sleep\]", ruby_sees()[child]
        )
        assert processing and at - 1 <= int(processing.group(1)) <= at  # set before the fork
        assert r.exists(K.worker(worker.id))  # it holds the job while Ruby sees both
        # Our own prune check recognises both as live workers too.
        assert is_worker_process(pid) and is_worker_process(child)

        # A `*` prune from this host (as a starting Ruby QUEUE=* worker would) spares it.
        r.delete(K.prune_lock)
        me = Registration(r, K, f"{HOST}:1:*")
        log = logging.getLogger("tests.procline")
        recorder = FailureRecorder(resque, "redis", log)
        pruned = prune_dead_workers(
            me, QueueSpec(["*"]), recorder, log, lock_ttl=60, prune_interval=300
        )
        assert pruned == [] and r.sismember(K.workers, worker.id)
        assert r.llen(K.failed) == 0


def test_a_worker_that_cannot_reach_redis_yet_is_starting(redis_url: str) -> None:
    """Ruby's ``resque: Starting`` from the first moment (here: waiting for Redis)."""
    with RunningWorker("redis://127.0.0.1:1/0", "critical") as worker:
        pid = str(worker.process.pid)
        wait_until(lambda: ruby_sees().get(pid), what="Ruby's ps check to see the worker")
        assert ruby_sees()[pid] == "resque: Starting"


def test_the_prefix_and_paused_titles_as_ruby_writes_them(redis_url: str, r: redis.Redis) -> None:
    r.set(K.pause_all_workers, "true")
    with RunningWorker(redis_url, "critical", RESQUE_PROCLINE_PREFIX="billing ") as worker:
        pid = str(worker.process.pid)
        wait_until(lambda: ruby_sees().get(pid) == "billing resque-3.0.0: Paused", what="Paused")


TITLED_SLEEPER = (
    "import setproctitle, sys, time; setproctitle.setproctitle(sys.argv[1]); "
    "print(1, flush=True); time.sleep(60)"
)


@pytest.mark.parametrize(
    ("command", "live"),
    [
        ("resque-3.0.0: Waiting for critical", True),  # Ruby's, or ours once running
        ("resque-3.0.0: Processing resque-web-hooks since 1 [A]", True),  # Ruby's grep misses it
        ("resque: Starting", True),
        ("resque-web worker --queues critical", True),  # ours before its first title
        ("ruby /usr/bin/resque-web -p 5678", False),
        ("something-else", False),
    ],
)
def test_our_prune_recognises_ruby_and_python_titles(command: str, live: bool) -> None:
    sleeper = subprocess.Popen(
        [sys.executable, "-c", TITLED_SLEEPER, command], stdout=subprocess.PIPE
    )
    try:
        assert sleeper.stdout is not None and sleeper.stdout.readline()
        assert title(sleeper.pid) == command
        assert is_worker_process(str(sleeper.pid)) is live
    finally:
        sleeper.kill()
        sleeper.wait()


def test_procline_sets_the_title_only_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr("setproctitle.setproctitle", calls.append)
    line = Procline()
    line.waiting(["a", "b"])
    line.waiting(["a", "b"])
    line.processing("a", None, now=1700000000.9)
    line.forked(42, now=1700000001)
    assert calls == [
        "resque-3.0.0: Waiting for a,b",
        "resque-3.0.0: Processing a since 1700000000 [No Name]",
        "resque-3.0.0: Forked 42 at 1700000001",
    ]
