"""What ``/metrics`` reports: one summary of a Resque namespace per scrape, in one Lua call.

A scrape every 15 s from each Prometheus must cost Redis little and the dashboard less, at
1,000 queues and 1,000 workers as at ten: one script reads every queue's length, the
failure lists, the counters, who is busy, every registered worker's heartbeat and the
scheduler's delayed jobs, and answers with one JSON string (one bulk reply for redis-py to
parse, split by ``json.loads`` in C). Per-key reads use ``pcall``: a key of the wrong type
(a queue that is not a list) leaves that one number out rather than failing the scrape.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from redis.exceptions import NoScriptError

from .. import times
from ..client import Resque
from .convert import as_int
from .workers import PRUNE_INTERVAL

# Delayed timestamps whose lists are counted one by one per scrape; beyond this many, each
# further timestamp counts as one job (it holds at least one), so the figure is a lower
# bound (``delayed_exact`` is False) and a scrape stays bounded however big the schedule.
DELAYED_COUNT_CAP = 10_000

# KEYS: 1 queues, 2 workers, 3 failed_queues, 4 failed, 5 stat:processed, 6 stat:failed,
#       7 workers:heartbeat, 8 delayed_queue_schedule
# ARGV: 1 queue key prefix, 2 worker key prefix, 3 namespace prefix, 4 delayed:<epoch>
#       prefix, 5 how many delayed timestamps to count one by one
# -> JSON {time, queues, sizes, workers, busy, beats, processed, failed, failed_len,
#          lists, list_sizes, delayed (false, or {timestamps, jobs, oldest})}
METRICS = """
local function try(...)
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply.err then return nil end
  return reply
end
local queue_prefix, worker_prefix, prefix = ARGV[1], ARGV[2], ARGV[3]
local delayed_prefix, cap = ARGV[4], tonumber(ARGV[5])
local queues = try('SMEMBERS', KEYS[1]) or {}
local sizes = {}
for i, name in ipairs(queues) do sizes[i] = try('LLEN', queue_prefix .. name) or -1 end
local ids = try('SMEMBERS', KEYS[2]) or {}
local busy, beats = 0, {}
for first = 1, #ids, 1000 do
  local last = math.min(first + 999, #ids)
  local keys = {}
  for i = first, last do keys[#keys + 1] = worker_prefix .. ids[i] end
  busy = busy + redis.call('EXISTS', unpack(keys))
  local got = try('HMGET', KEYS[7], unpack(ids, first, last))
  for j = 1, last - first + 1 do beats[#beats + 1] = got and got[j] or false end
end
local lists, list_sizes = try('SMEMBERS', KEYS[3]) or {}, {}
for i, name in ipairs(lists) do list_sizes[i] = try('LLEN', prefix .. name) or -1 end
local delayed = false
if redis.call('EXISTS', KEYS[8]) == 1 then
  local stamps = try('ZCARD', KEYS[8])
  if stamps then
    local jobs = 0
    for _, epoch in ipairs(redis.call('ZRANGE', KEYS[8], 0, cap - 1)) do
      jobs = jobs + (try('LLEN', delayed_prefix .. epoch) or 0)
    end
    if stamps > cap then jobs = jobs + stamps - cap end
    local first = redis.call('ZRANGE', KEYS[8], 0, 0, 'WITHSCORES')
    delayed = {timestamps = stamps, jobs = jobs, oldest = first[2] or false}
  end
end
return cjson.encode({
  time = redis.call('TIME'), queues = queues, sizes = sizes,
  workers = #ids, busy = busy, beats = beats,
  processed = try('GET', KEYS[5]) or '0', failed = try('GET', KEYS[6]) or '0',
  failed_len = try('LLEN', KEYS[4]) or 0, lists = lists, list_sizes = list_sizes,
  delayed = delayed,
})
"""


@dataclass(frozen=True)
class Delayed:
    """resque-scheduler's delayed jobs: how many, and how late the earliest one is."""

    timestamps: int
    jobs: int
    exact: bool  # False when there were more timestamps than DELAYED_COUNT_CAP
    oldest_due_seconds: float  # seconds the earliest delayed job has been due (0: none yet)


@dataclass(frozen=True)
class MetricsSummary:
    queues: dict[str, int]  # pending jobs per registered queue
    processed: int  # stat:processed
    failed: int  # stat:failed
    failed_stored: int  # records in every failure list
    failed_lists: dict[str, int]  # multi-queue failure lists (``<queue>_failed``)
    workers: int
    busy: int
    stale: int  # registered workers Resque would prune (heartbeat older than the interval)
    delayed: Delayed | None = None  # None when the scheduler's keys do not exist

    @property
    def idle(self) -> int:
        return self.workers - self.busy


class Metrics:
    """Reads a :class:`MetricsSummary` in one round trip."""

    def __init__(self, resque: Resque, prune_interval: int = PRUNE_INTERVAL) -> None:
        self.redis = resque.redis
        self.keys = resque.keys
        self.prune_interval = prune_interval
        self._sha = hashlib.sha1(METRICS.encode()).hexdigest()

    def summary(self) -> MetricsSummary:
        keys = self.keys
        names = [
            keys.queues,
            keys.workers,
            keys.failed_queues,
            keys.failed,
            keys.processed,
            keys.failed_count,
            keys.heartbeats,
            keys.delayed_schedule,
        ]
        args = [keys.queue(""), keys.worker(""), keys.prefix, keys.delayed(0).removesuffix("0"),
                DELAYED_COUNT_CAP]  # fmt: skip
        try:
            reply = self.redis.evalsha(self._sha, len(names), *names, *args)
        except NoScriptError:
            # EVAL, not redis-py's SCRIPT LOAD + EVALSHA: a cold scrape is two round trips.
            reply = self.redis.eval(METRICS, len(names), *names, *args)
        data = json.loads(reply)
        seconds, micros = data["time"]
        now = int(seconds) + int(micros) / 1e6
        queues = {n: int(s) for n, s in zip(_list(data["queues"]), _list(data["sizes"])) if s >= 0}
        lists = {
            n: int(s) for n, s in zip(_list(data["lists"]), _list(data["list_sizes"])) if s >= 0
        }
        return MetricsSummary(
            queues=queues,
            processed=as_int(data["processed"]),
            failed=as_int(data["failed"]),
            failed_stored=int(data["failed_len"]) + sum(lists.values()),
            failed_lists=lists,
            workers=int(data["workers"]),
            busy=int(data["busy"]),
            stale=sum(1 for beat in _list(data["beats"]) if self._expired(beat, now)),
            delayed=_delayed(data["delayed"], now),
        )

    def _expired(self, beat: object, now: float) -> bool:
        """Resque's rule (``all_workers_with_expired_heartbeats``): a heartbeat older than
        the prune interval; a worker that never beat is not pruned."""
        at = times.epoch(beat)
        return at is not None and int(now - at) > self.prune_interval


def _list(value: Any) -> list[Any]:
    """cjson spells an empty table ``{}``."""
    return value if isinstance(value, list) else []


def _delayed(value: Any, now: float) -> Delayed | None:
    if not isinstance(value, dict):
        return None
    stamps = int(value.get("timestamps") or 0)
    oldest = value.get("oldest")
    try:
        due = max(0.0, now - float(oldest)) if oldest not in (None, False) else 0.0
    except (TypeError, ValueError):
        due = 0.0
    return Delayed(stamps, int(value.get("jobs") or 0), stamps <= DELAYED_COUNT_CAP, due)
