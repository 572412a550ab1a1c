"""The dashboard's history: processed, failed and pending per minute (last 24 h) and per
hour (last 30 days), plus the ten deepest queues, sampled by the dashboard itself.

Resque keeps only running totals, so a graph of the past needs samples. Every dashboard
process samples at most once per minute (a :class:`Sampler` thread per blueprint, off the
request path); however many processes run, each time bucket is written once, by the first
(one Lua script: ``HSETNX`` the bucket, then trim what is past retention). A bucket no
dashboard sampled stays absent and is drawn as a gap (``None``), never as zero.

Samples hold the counters (``stat:processed``, ``stat:failed``) as they were; the series
are the differences between consecutive buckets, so a gap before a bucket leaves that
bucket's rate unknown too, and a counter that went down (reset) gives no rate.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from ..client import Resque
from .stats import Stats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolution:
    name: str
    step: int  # seconds per bucket
    keep: int  # buckets kept


RESOLUTIONS = {
    "minute": Resolution("minute", 60, 24 * 60),
    "hour": Resolution("hour", 3600, 30 * 24),
}
TOP_QUEUES = 10  # the deepest queues stored per bucket and drawn over time
TRIM_BATCH = 500  # buckets past retention removed per write: a write stays bounded

# KEYS: 1 minute hash, 2 minute index, 3 hour hash, 4 hour index
# ARGV: 1 minute bucket, 2 hour bucket, 3 the sample (JSON), 4 minute cutoff, 5 hour cutoff,
#       6 trim batch
# -> {minute written (0/1), hour written (0/1)}
WRITE = """
local function put(hash, index, bucket, value, cutoff, batch)
  local wrote = redis.call('HSETNX', hash, bucket, value)
  if wrote == 1 then redis.call('ZADD', index, bucket, bucket) end
  local old = redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. cutoff, 'LIMIT', 0, batch)
  if #old > 0 then
    redis.call('HDEL', hash, unpack(old))
    redis.call('ZREM', index, unpack(old))
  end
  return wrote
end
local batch = tonumber(ARGV[6])
return {put(KEYS[1], KEYS[2], ARGV[1], ARGV[3], ARGV[4], batch),
        put(KEYS[3], KEYS[4], ARGV[2], ARGV[3], ARGV[5], batch)}
"""


def bucket_of(now: float, resolution: Resolution) -> int:
    """The start (epoch seconds) of the bucket holding ``now``."""
    return int(now) // resolution.step * resolution.step


@dataclass(frozen=True)
class Sample:
    processed: int
    failed: int
    pending: int
    queues: list[tuple[str, int]]  # the deepest, deepest first

    def encode(self) -> str:
        fields = {"processed": self.processed, "failed": self.failed, "pending": self.pending}
        return json.dumps({**fields, "queues": [list(q) for q in self.queues]})

    @staticmethod
    def decode(raw: Any) -> Sample | None:
        """None for anything that is not a sample this module wrote (shown as a gap)."""
        try:
            data = json.loads(raw)
            queues = [(str(name), int(size)) for name, size in data.get("queues", [])]
            return Sample(int(data["processed"]), int(data["failed"]), int(data["pending"]), queues)
        except (TypeError, ValueError, KeyError, AttributeError):
            return None


@dataclass(frozen=True)
class QueueSeries:
    name: str
    sizes: list[int | None]


@dataclass(frozen=True)
class Series:
    """One resolution's buckets, oldest first; ``None`` where nothing is known."""

    resolution: str
    step: int
    time: list[int]
    processed: list[int | None]  # jobs processed during the bucket
    failed: list[int | None]  # jobs failed during the bucket (Resque's counter)
    pending: list[int | None]  # jobs queued when the bucket was sampled
    queues: list[QueueSeries] = field(default_factory=list)

    def latest(self) -> dict[str, Any] | None:
        """The newest bucket with a sample: what the page prints beside the charts."""
        for i in range(len(self.time) - 1, -1, -1):
            if self.pending[i] is not None:
                return {
                    "time": self.time[i],
                    "processed": self.processed[i],
                    "failed": self.failed[i],
                    "pending": self.pending[i],
                    "queues": [(q.name, q.sizes[i]) for q in self.queues if q.sizes[i] is not None],
                }
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "resolution": self.resolution,
            "step": self.step,
            "time": self.time,
            "processed": self.processed,
            "failed": self.failed,
            "pending": self.pending,
            "queues": [{"name": q.name, "sizes": q.sizes} for q in self.queues],
            "latest": self.latest(),
        }


def _rate(now: int | None, before: int | None) -> int | None:
    if now is None or before is None or now < before:
        return None
    return now - before


class History:
    """Samples and series of one Resque namespace."""

    def __init__(self, resque: Resque, stats: Stats | None = None) -> None:
        self.redis = resque.redis
        self.keys = resque.keys
        self.stats = stats or Stats(resque)
        self._write = self.redis.register_script(WRITE)

    def _targets(self, now: float) -> tuple[list[str], list[int]]:
        keys: list[str] = []
        buckets: list[int] = []
        for res in RESOLUTIONS.values():
            keys += [self.keys.history(res.name), self.keys.history_index(res.name)]
            buckets.append(bucket_of(now, res))
        return keys, buckets

    def sample(self, now: float | None = None) -> tuple[bool, bool]:
        """Record the numbers in this minute's and this hour's bucket unless another
        dashboard already did: (minute written, hour written). One round trip when both
        buckets are taken; otherwise the summary's reads and one script call."""
        now = time.time() if now is None else now
        keys, (minute, hour) = self._targets(now)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hexists(keys[0], str(minute))
        pipe.hexists(keys[2], str(hour))
        if all(pipe.execute()):
            return False, False
        numbers, sizes = self.stats.with_queue_sizes()
        deepest = sorted(sizes, key=lambda item: (-item[1], item[0]))[:TOP_QUEUES]
        sample = Sample(numbers.processed, numbers.failed, numbers.pending, deepest)
        m, h = RESOLUTIONS["minute"], RESOLUTIONS["hour"]
        wrote = self._write(
            keys=keys,
            args=[minute, hour, sample.encode(), minute - (m.keep - 1) * m.step,
                  hour - (h.keep - 1) * h.step, TRIM_BATCH],
        )  # fmt: skip
        return bool(wrote[0]), bool(wrote[1])

    def series(self, resolution: str, now: float | None = None) -> Series:
        """The retention window up to ``now``, in one round trip (HMGET of exactly the
        window's buckets, so the work is bounded whatever else the hash holds). One more
        bucket is read before the window, for the first bucket's rates."""
        res = RESOLUTIONS[resolution]
        now = time.time() if now is None else now
        last = bucket_of(now, res)
        buckets = [last - (res.keep - i) * res.step for i in range(res.keep + 1)]
        raw = self.redis.hmget(self.keys.history(res.name), [str(b) for b in buckets])
        samples = [Sample.decode(v) if v is not None else None for v in raw]
        processed: list[int | None] = []
        failed: list[int | None] = []
        pending: list[int | None] = []
        for before, sample in itertools.pairwise(samples):
            processed.append(_rate(sample and sample.processed, before and before.processed))
            failed.append(_rate(sample and sample.failed, before and before.failed))
            pending.append(sample.pending if sample else None)
        return Series(
            resolution=res.name,
            step=res.step,
            time=buckets[1:],
            processed=processed,
            failed=failed,
            pending=pending,
            queues=_deepest(samples[1:]),
        )


def _deepest(samples: list[Sample | None]) -> list[QueueSeries]:
    """The TOP_QUEUES queues that were deepest at any time in the window, each with its
    size in every bucket where it was among that bucket's deepest (``None`` elsewhere)."""
    peak: dict[str, int] = {}
    for sample in samples:
        for name, size in sample.queues if sample else ():
            peak[name] = max(size, peak.get(name, size))
    names = sorted(peak, key=lambda n: (-peak[n], n))[:TOP_QUEUES]
    maps = [dict(s.queues) if s else {} for s in samples]
    return [QueueSeries(name, [m.get(name) for m in maps]) for name in names]


class Sampler:
    """A daemon thread per dashboard blueprint that samples once per minute bucket (and
    retries the next tick when Redis is away): pages never wait for it."""

    def __init__(self, history: History, tick: float = 5.0) -> None:
        self.history = history
        self.tick = tick
        self.last_bucket: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def sample_if_due(self, now: float | None = None) -> bool:
        """Sample unless this process already did in this minute; True if it tried."""
        now = time.time() if now is None else now
        bucket = bucket_of(now, RESOLUTIONS["minute"])
        if bucket == self.last_bucket:
            return False
        try:
            self.history.sample(now)
        except RedisError as exc:  # an outage: the bucket stays a gap unless a retry lands
            log.warning("history sample failed: %s", exc)
            return True
        self.last_bucket = bucket
        return True

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="resque-web-history", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_if_due()
            self._stop.wait(self.tick)
