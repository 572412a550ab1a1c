"""Pruning dead workers at start-up, by Resque 3.0's rules (``Worker#prune_dead_workers``):

1. only the worker that wins ``SET pruning_dead_workers_in_progress <id> EX 60 NX`` prunes;
2. any worker whose heartbeat (Redis time) is more than the prune interval (300 s) old is
   unregistered, its job recorded as ``PruneDeadWorkerDirtyExit`` (a worker that never
   beat is left alone: it may be another client that sends none);
3. a worker on this host whose pid is not a live worker process is unregistered, if its
   queues equal ours as a set or we take ``*`` (a worker on other queues may be another
   language's and is none of our business).
"""

from __future__ import annotations

import logging
import re
import socket
import subprocess
from pathlib import Path

import redis

from .. import times
from ..keys import Keys
from ..registry import JobRegistry
from .exits import PruneDeadWorkerDirtyExit
from .failures import FailureRecorder
from .queue_spec import QueueSpec
from .registration import Registration, split_worker_id
from .unregister import unregister_worker

# Ruby finds its workers with `ps -A -o pid,command | grep -E "[r]esque:work|[r]esque:\sStarting|
# [r]esque-[0-9]" | grep -v "resque-web"`. Ours carry the same titles once running (see
# .procline), and `resque-web worker` / `python -m resque_web.worker` before the first.
_RUBY_WORKER = re.compile(r"resque:work|resque:\sStarting|resque-[0-9]")
_PYTHON_WORKER = re.compile(r"resque[-_]web(?:\.worker\b|\s+worker\b)")
# A title's status part ("Waiting for <queues>", "Processing <queue> ...") may name a queue
# called resque-web-something: Ruby's `grep -v` then misses that worker, but we need not.
_STATUS = re.compile(r"resque(?:-[0-9][^:]*)?: ")
_PROC = Path("/proc")


def command_line(pid: int) -> str | None:
    """The command line of ``pid``; None when there is no such process."""
    if (_PROC / "self" / "cmdline").exists():
        try:
            data = (_PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            return None
        return data.replace(b"\0", b" ").decode("utf-8", errors="replace").strip()
    done = subprocess.run(
        ["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def is_worker_process(pid: str) -> bool:
    """Is ``pid`` a live Resque worker (Ruby's or ours) on this machine?"""
    if not pid.isdigit():
        return False
    command = command_line(int(pid))
    if not command:
        return False
    if _PYTHON_WORKER.search(command):
        return True
    title = _STATUS.search(command)
    program = command[: title.end()] if title else command
    return bool(_RUBY_WORKER.search(command)) and "resque-web" not in program


def expired_heartbeats(client: redis.Redis, keys: Keys, now: int, interval: float) -> list[str]:
    """Workers whose beat is more than ``interval`` s old by Redis' clock."""
    expired = []
    for wid, beat in client.hgetall(keys.heartbeats).items():
        at = times.epoch(beat)
        if at is not None and int(now - at) > interval:
            expired.append(wid)
    return expired


def prune_dead_workers(
    me: Registration,
    spec: QueueSpec,
    recorder: FailureRecorder,
    log: logging.Logger,
    lock_ttl: float,
    prune_interval: float,
    hostname: str | None = None,
    registry: JobRegistry | None = None,
) -> list[str]:
    """Prune as Resque 3.0 does; returns the ids pruned."""
    if not me.acquire_prune_lock(lock_ttl):
        log.debug("Another worker is pruning dead workers")
        return []
    client, keys = me.redis, me.keys
    registered = client.smembers(keys.workers)
    expired = expired_heartbeats(client, keys, me.server_time(), prune_interval)
    pruned: list[str] = []
    for wid in expired:
        log.info("Pruning dead worker: %s", wid)
        dead = Registration(client, keys, wid)
        held = dead.processing() or {}
        payload = held.get("payload")
        job_class = payload.get("class") if isinstance(payload, dict) else None
        exit_error = PruneDeadWorkerDirtyExit(
            wid, job_class if isinstance(job_class, str) else None
        )
        unregister_worker(dead, recorder, log, exit_error, registry=registry)
        pruned.append(wid)
    host = hostname or socket.gethostname()
    for wid in sorted(registered):
        if wid in expired:
            continue
        parts = split_worker_id(wid)
        if parts is None:
            continue
        their_host, pid, their_queues = parts
        if not spec.matches_set(their_queues) or their_host != host:
            continue
        if is_worker_process(pid):
            continue
        log.info("Pruning dead worker: %s", wid)
        unregister_worker(Registration(client, keys, wid), recorder, log, registry=registry)
        pruned.append(wid)
    return pruned
