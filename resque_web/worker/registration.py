"""A worker's bookkeeping in Redis, command for command as Resque 3.0's ``DataStore::Workers``.

- register: one pipeline ``SADD workers <id>``, ``SET worker:<id>:started <Time.now.to_s>``;
- heartbeat: ``HSET workers:heartbeat <id> <Redis TIME as iso8601>``;
- busy: ``SET worker:<id> {"queue","run_at","payload"}``; done: one pipeline ``DEL worker:<id>``,
  ``INCRBY stat:processed 1``, ``INCRBY stat:processed:<id> 1``;
- failed: ``INCRBY stat:failed 1``, ``INCRBY stat:failed:<id> 1`` (a child killed by a signal
  is recorded as a failure but not counted, as in Ruby);
- unregister: one pipeline ``SREM workers``, ``DEL worker:<id>``, ``DEL worker:<id>:started``,
  ``HDEL workers:heartbeat``, ``DEL stat:processed:<id>``, ``DEL stat:failed:<id>``.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import redis

from .. import payload as jsonp
from .. import times
from ..keys import Keys


def worker_id(queue_part: str, host: str | None = None, pid: int | None = None) -> str:
    """``host:pid:queues`` (Ruby's ``Worker#to_s``)."""
    return f"{host or socket.gethostname()}:{pid or os.getpid()}:{queue_part}"


def split_worker_id(wid: str) -> tuple[str, str, list[str]] | None:
    """``host:pid:q1,q2`` as Ruby's prune reads it (``split(':')``: a ``:`` in a queue name
    cuts the list there). None when the id has no queue part."""
    parts = wid.split(":")
    if len(parts) < 3:
        return None
    return parts[0], parts[1], parts[2].split(",")


def busy_value(queue: str, run_at: str, payload: Any) -> str:
    """The ``worker:<id>`` value while a job runs, in Ruby's key order."""
    return jsonp.encode({"queue": queue, "run_at": run_at, "payload": payload}, "payload")


class Registration:
    """The Redis state of one worker id (ours, or a dead one being pruned)."""

    def __init__(self, client: redis.Redis, keys: Keys, wid: str) -> None:
        self.redis = client
        self.keys = keys
        self.id = wid
        self.busy_key = keys.worker(wid)

    def register(self, started: str | None = None) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.sadd(self.keys.workers, self.id)
        pipe.set(self.keys.worker_started(self.id), started or times.started())
        pipe.execute()

    def reregister(self, started: str) -> None:
        """After Redis came back (maybe empty): listed and beating again, at once, keeping
        our start time."""
        beat = times.heartbeat(self.server_time())
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(self.keys.workers, self.id)
        pipe.set(self.keys.worker_started(self.id), started, nx=True)
        pipe.hset(self.keys.heartbeats, self.id, beat)
        pipe.execute()

    def server_time(self) -> int:
        """Redis' clock (``TIME``), whole seconds, as Ruby's ``DataStore#server_time``."""
        seconds, _micro = self.redis.time()
        return int(seconds)

    def heartbeat(self) -> None:
        self.redis.hset(self.keys.heartbeats, self.id, times.heartbeat(self.server_time()))

    def remove_heartbeat(self) -> None:
        self.redis.hdel(self.keys.heartbeats, self.id)

    def set_busy(self, value: str) -> None:
        self.redis.set(self.busy_key, value)

    def busy(self) -> str | None:
        return self.redis.get(self.busy_key)

    def state(self) -> tuple[str | None, bool]:
        """The worker key's value, and whether the id is in ``workers``."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.busy_key)
        pipe.sismember(self.keys.workers, self.id)
        busy, listed = pipe.execute()
        return busy, bool(listed)

    def done(self) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(self.busy_key)
        pipe.incrby(self.keys.processed, 1)
        pipe.incrby(self.keys.worker_stat("processed", self.id), 1)
        pipe.execute()

    def count_failed(self) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.incrby(self.keys.failed_count, 1)
        pipe.incrby(self.keys.worker_stat("failed", self.id), 1)
        pipe.execute()

    def processing(self) -> dict[str, Any] | None:
        """The job in ``worker:<id>`` (``{"queue","run_at","payload"}``), if any.

        A value that is not a JSON object is returned as ``{"payload": <raw text>}`` so that
        even a mangled record ends up in the failure list rather than vanishing.
        """
        raw = self.busy()
        if not raw:
            return None
        try:
            data = jsonp.decode(raw)
        except jsonp.PayloadError:
            return {"queue": "", "payload": raw}
        return data if isinstance(data, dict) else {"queue": "", "payload": raw}

    def unregister_keys(self) -> None:
        """Forget the worker: the one pipeline Ruby's ``unregister_worker`` sends."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.srem(self.keys.workers, self.id)
        pipe.delete(self.busy_key)
        pipe.delete(self.keys.worker_started(self.id))
        pipe.hdel(self.keys.heartbeats, self.id)
        pipe.delete(self.keys.worker_stat("processed", self.id))
        pipe.delete(self.keys.worker_stat("failed", self.id))
        pipe.execute()

    def acquire_prune_lock(self, ttl: float) -> bool:
        """``SET pruning_dead_workers_in_progress <id> EX <heartbeat interval> NX``."""
        return bool(self.redis.set(self.keys.prune_lock, self.id, nx=True, ex=max(1, int(ttl))))
