"""Pausing work and removing dead workers, as an operator does during an incident.

Pause: Resque 3.0 workers (Ruby's and ours) take no job while ``pause-all-workers`` holds
``true``; the resque-pause gem pauses one queue with ``pause:queue:<name>`` (and every queue
with ``pause:all``), which its job plugin and our worker honour.

Prune: a worker whose heartbeat is older than the prune interval is one Resque would prune
(``Worker.all_workers_with_expired_heartbeats``). Removing it does what Ruby's
``unregister_worker`` does: a job still in ``worker:<id>`` becomes a ``Resque::DirtyExit``
failure ("Job still being processed", not counted in ``stat:failed``), then the worker's
keys, heartbeat and per-worker counters go. One Lua call checks and applies each removal:
a worker whose heartbeat or job changed since it was judged dead is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import payload as jsonp
from .. import times
from ..client import Resque
from ..errors import DirtyExit
from ..failure.record import build_record
from ..keys import FAILED_QUEUE_SUFFIX
from .workers import PRUNE_INTERVAL

# Ruby's check (Worker#paused?): the value, stripped and downcased, is "true".
PAUSE_VALUE = "true"
# Workers removed per script call: each call is short, so Redis never stalls for long.
PRUNE_BATCH = 200

# KEYS: 1 workers set, 2 heartbeats hash, 3 failed list, 4 failed_queues set
# ARGV: 1-8 head and tail of worker:<id>, worker:<id>:started, stat:processed:<id>,
#       stat:failed:<id>; 9 namespace prefix; 10 failed-list suffix ("_failed");
#       then per worker: id, heartbeat seen, job seen ("" for none), failure record ("" for
#       none), the job's queue.
# -> JSON [[id, "removed" | "gone" | "alive" | "changed"], ...]
PRUNE = """
local call = redis.call
local prefix, suffix = ARGV[9], ARGV[10]
local multi = call('SCARD', KEYS[4]) > 0
local out = {}
for i = 11, #ARGV, 5 do
  local id, beat, job, record, queue = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local busy_key = ARGV[1] .. id .. ARGV[2]
  local status = 'removed'
  local now_beat = call('HGET', KEYS[2], id)
  if call('SISMEMBER', KEYS[1], id) == 0 and not now_beat then
    status = 'gone'
  elseif (now_beat or '') ~= beat then
    status = 'alive'
  else
    local now_job = redis.pcall('GET', busy_key)
    if type(now_job) == 'table' or (now_job or '') ~= job then status = 'changed' end
  end
  if status == 'removed' then
    if record ~= '' then
      if multi then
        call('SADD', KEYS[4], queue .. suffix)
        call('RPUSH', prefix .. queue .. suffix, record)
      else
        call('RPUSH', KEYS[3], record)
      end
    end
    call('SREM', KEYS[1], id)
    call('DEL', busy_key, ARGV[3] .. id .. ARGV[4], ARGV[5] .. id .. ARGV[6],
         ARGV[7] .. id .. ARGV[8])
    call('HDEL', KEYS[2], id)
  end
  out[#out + 1] = {id, status}
end
if #out == 0 then return '[]' end
return cjson.encode(out)
"""

# KEYS: workers set, heartbeats hash -> JSON [[seconds, micros], [id, heartbeat or false]...]
BEATS = """
local ids = redis.call('SMEMBERS', KEYS[1])
local out = {redis.call('TIME')}
for first = 1, #ids, 1000 do
  local last = math.min(first + 999, #ids)
  local beats = redis.call('HMGET', KEYS[2], unpack(ids, first, last))
  for j = 1, last - first + 1 do out[#out + 1] = {ids[first + j - 1], beats[j]} end
end
return cjson.encode(out)
"""


def is_pause_value(value: object) -> bool:
    """Resque 3.0's ``paused?``: ``"true"`` in any case, padded with whitespace."""
    return isinstance(value, str) and value.strip().lower() == PAUSE_VALUE


@dataclass(frozen=True)
class PauseState:
    all_workers: bool  # Resque 3.0's pause-all-workers
    all_queues: bool  # resque-pause's pause:all


class Pausing:
    """Resque 3.0's global pause and resque-pause's per-queue pauses."""

    def __init__(self, resque: Resque) -> None:
        self.redis = resque.redis
        self.keys = resque.keys

    def state(self) -> PauseState:
        workers, queues = self.redis.mget(self.keys.pause_all_workers, self.keys.queues_paused_all)
        return PauseState(is_pause_value(workers), queues is not None)

    def pause_all(self) -> bool:
        """Set ``pause-all-workers`` to ``true``; False when it already was."""
        before = self.redis.set(self.keys.pause_all_workers, PAUSE_VALUE, get=True)
        return not is_pause_value(before)

    def resume_all(self) -> bool:
        """Delete ``pause-all-workers``; False when no pause was set."""
        return bool(self.redis.delete(self.keys.pause_all_workers))

    def paused_queues(self, names: Iterable[str]) -> set[str]:
        """Which of ``names`` (a page of queues) resque-pause has paused: one MGET."""
        names = list(names)
        if not names:
            return set()
        values = self.redis.mget([self.keys.queue_paused(n) for n in names])
        return {n for n, v in zip(names, values) if v is not None}

    def is_queue_paused(self, name: str) -> bool:
        return bool(self.redis.exists(self.keys.queue_paused(name)))

    def pause_queue(self, name: str) -> bool:
        """``SET pause:queue:<name> true`` as the gem does; False when already paused."""
        return bool(self.redis.set(self.keys.queue_paused(name), PAUSE_VALUE, nx=True))

    def resume_queue(self, name: str) -> bool:
        return bool(self.redis.delete(self.keys.queue_paused(name)))


@dataclass
class PruneResult:
    removed: list[str] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)  # id -> why it was left alone
    jobs_failed: int = 0  # in-flight jobs recorded as DirtyExit failures


class Pruning:
    """Removes workers Resque would prune, each checked and applied in one Lua step."""

    def __init__(self, resque: Resque, prune_interval: int = PRUNE_INTERVAL) -> None:
        self.redis = resque.redis
        self.keys = resque.keys
        self.prune_interval = prune_interval
        self._prune = self.redis.register_script(PRUNE)
        self._beats = self.redis.register_script(BEATS)

    def expired(self, heartbeat: str | None, now: float) -> bool:
        """Resque's rule: a heartbeat more than the prune interval old (whole seconds, by
        Redis' clock); a worker that never beat is not pruned."""
        at = times.epoch(heartbeat)
        return at is not None and int(now - at) > self.prune_interval

    def stale(self) -> tuple[float, dict[str, str]]:
        """Redis' time and {id: heartbeat} of every registered worker Resque would prune."""
        data = json.loads(self._beats(keys=[self.keys.workers, self.keys.heartbeats]))
        seconds, micros = data[0]
        now = int(seconds) + int(micros) / 1e6
        found = {wid: beat for wid, beat in data[1:] if isinstance(beat, str)}
        return now, {wid: beat for wid, beat in found.items() if self.expired(beat, now)}

    def remove(self, worker_id: str, heartbeat_seen: str) -> PruneResult:
        """Remove one worker the user saw as stale with ``heartbeat_seen``: refused (left)
        unless its heartbeat is still that one, and that one is expired now."""
        now = self._now()
        if not self.expired(heartbeat_seen, now):
            return PruneResult(left={worker_id: "alive"})
        return self._apply({worker_id: heartbeat_seen})

    def remove_all_stale(self) -> PruneResult:
        _, stale = self.stale()
        result = PruneResult()
        ids = sorted(stale)
        for start in range(0, len(ids), PRUNE_BATCH):
            part = self._apply({wid: stale[wid] for wid in ids[start : start + PRUNE_BATCH]})
            result.removed += part.removed
            result.left.update(part.left)
            result.jobs_failed += part.jobs_failed
        return result

    def _now(self) -> float:
        seconds, micros = self.redis.time()
        return int(seconds) + int(micros) / 1e6

    def _apply(self, beats: dict[str, str]) -> PruneResult:
        keys = self.keys
        ids = list(beats)
        jobs = self.redis.mget([keys.worker(wid) for wid in ids])
        around = keys.worker_key_parts()
        args: list[str] = [*around, keys.prefix, FAILED_QUEUE_SUFFIX]
        records = 0
        for wid, job in zip(ids, jobs):
            record, queue = ("", "") if not job else dirty_exit_record(wid, job)
            records += bool(record)
            args += [wid, beats[wid], job or "", record, queue]
        reply = self._prune(
            keys=[keys.workers, keys.heartbeats, keys.failed, keys.failed_queues], args=args
        )
        result = PruneResult()
        with_job = {wid for wid, job in zip(ids, jobs) if job}
        for wid, status in json.loads(reply):
            if status == "removed":
                result.removed.append(wid)
                result.jobs_failed += wid in with_job
            else:
                result.left[wid] = status
        return result


def dirty_exit_record(worker_id: str, busy: str) -> tuple[str, str]:
    """The failure Ruby's ``unregister_worker`` records for the job in ``worker:<id>``
    (``busy``), encoded as Resque encodes it, and the job's queue. A value that is not a
    JSON object is kept whole as the payload, so the job is never lost without a trace."""
    try:
        data: Any = jsonp.decode(busy)
    except jsonp.PayloadError:
        data = None
    if isinstance(data, dict):
        queue = data.get("queue") if isinstance(data.get("queue"), str) else ""
        payload = data.get("payload")
    else:
        queue, payload = "", busy
    record = build_record(DirtyExit("Job still being processed"), worker_id, queue, payload, [])
    return jsonp.encode(record, "failure"), queue
