"""Registered workers: who they are, what they are doing, and whether Resque would prune them."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import payload as jsonp
from .. import times
from ..client import Resque
from ..defaults import PRUNE_INTERVAL
from ..job import Job
from .convert import as_int
from .page import Page, clamp_page, clamp_per_page
from .scripts import ROSTER, WORKER_ROWS, WORKING, json_array

# Workers read in full per script call (a page is at most 500; Lua's unpack() takes ~8,000).
LOAD_BATCH = 1000


@dataclass(frozen=True)
class WorkingJob:
    """The job a busy worker holds (``worker:<id>``): queue, start time and payload."""

    queue: str
    run_at: datetime | None
    job: Job
    raw: str
    error: str | None = None

    @classmethod
    def parse(cls, raw: str) -> WorkingJob:
        try:
            data: Any = jsonp.decode(raw)
        except jsonp.PayloadError as exc:
            return cls("", None, Job.from_raw("", raw), raw, str(exc))
        if not isinstance(data, dict):
            return cls("", None, Job.from_raw("", raw), raw, "not a JSON object")
        queue = data.get("queue") if isinstance(data.get("queue"), str) else ""
        payload = data.get("payload")
        if isinstance(payload, str):
            job = Job.from_raw(queue, payload)
        else:
            try:
                job = Job(queue, payload)
            except (TypeError, ValueError):
                job = Job.from_raw(queue, repr(payload))
        return cls(queue, times.parse(data.get("run_at")), job, raw, job.error)


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    host: str
    pid: str
    queues: list[str]
    started_at: datetime | None
    heartbeat_at: datetime | None
    processed: int
    failed: int
    job: WorkingJob | None
    stale_reason: str | None = None
    # How Resque's prune treats it (Worker#prune_dead_workers): "expired" (a heartbeat
    # older than the prune interval: the next worker to start unregisters it), "never" (no
    # heartbeat at all: only a same-host worker with the same queues removes it, if its pid
    # is gone), "unreadable" (Ruby's Time.parse raises on it: the pruning Ruby worker fails).
    stale_kind: str | None = None
    heartbeat_text: str | None = None  # as stored: what a Remove button sends back

    @property
    def prunable(self) -> bool:
        """Resque would prune it: its heartbeat is too old (one that never beat, or beat
        something unreadable, is left alone, as Ruby leaves it)."""
        return self.stale and self.stale_kind == "expired"

    @property
    def working(self) -> bool:
        return self.job is not None

    @property
    def stale(self) -> bool:
        return self.stale_reason is not None

    @property
    def state(self) -> str:
        if self.stale:
            return "stale"
        return "busy" if self.working else "idle"

    @staticmethod
    def split_id(worker_id: str) -> tuple[str, str, list[str]]:
        """``host:pid:q1,q2`` -> (host, pid, [q1, q2]). Queue names may hold ``:``."""
        host, _, rest = worker_id.partition(":")
        pid, _, queues = rest.partition(":")
        return host, pid, [q for q in queues.split(",") if q]


class Workers:
    """Reads every worker in one pipelined round trip after listing them."""

    def __init__(
        self,
        resque: Resque,
        prune_interval: float = PRUNE_INTERVAL,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        self.prune_interval = prune_interval
        # Staleness is judged by Redis' clock (as Resque does) unless a clock is given.
        self.clock = clock
        self._ids: list[str] | None = None
        self._working: int | None = None
        self._roster = self.redis.register_script(ROSTER)
        self._busy = self.redis.register_script(WORKING)
        self._rows = self.redis.register_script(WORKER_ROWS)

    def ids(self) -> list[str]:
        """Every registered worker id, sorted; read once per request (a Workers object
        lives for one request), however many of the methods below a page calls."""
        return self._read_roster()[0]

    def working_count(self) -> int:
        """How many registered workers hold a job (their ``worker:<id>`` key exists),
        counted in Redis with the ids: in whichever order a page asks, one round trip."""
        return self._read_roster()[1]

    def _read_roster(self) -> tuple[list[str], int]:
        """The ids (one JSON string, not a thousand replies for redis-py to parse) and the
        busy count, read once per request."""
        if self._ids is None or self._working is None:
            blob, working = self._roster(keys=[self.keys.workers], args=[self.keys.worker(""), "1"])
            self._ids, self._working = sorted(json_array(blob)), as_int(working)
        return self._ids, self._working

    def count(self) -> int:
        """How many workers are registered (SCARD unless the ids were read already)."""
        if self._ids is None:
            return int(self.redis.scard(self.keys.workers))
        return len(self._ids)

    def all(self) -> list[WorkerInfo]:
        return self._load(self.ids())

    def page(self, page: int = 1, per_page: int = 50, host: str | None = None) -> Page[WorkerInfo]:
        """A page of workers (of one host when given): only that page's workers are read."""
        ids = self.ids() if host is None else self._of_host(host)
        return self._page(ids, page, per_page)

    def working_page(self, page: int = 1, per_page: int = 50) -> Page[WorkerInfo]:
        """A page of the busy workers, longest-running first (as resque-web sorts them).
        One script finds who is busy and since when (each busy worker's ``run_at``, not
        its payload); only the page's workers are read in full."""
        spelled, whole = (
            json_array(r) for r in self._busy(keys=[self.keys.workers], args=[self.keys.worker("")])
        )
        epoch = times.epoch
        busy = [(epoch(run_at) or 0.0, i) for i, run_at in zip(spelled[::2], spelled[1::2])]
        busy += [(epoch(_run_at(raw)) or 0.0, i) for i, raw in zip(whole[::2], whole[1::2])]
        busy.sort()
        return self._page([i for _, i in busy], page, per_page)

    def _page(self, ids: list[str], page: int, per_page: int) -> Page[WorkerInfo]:
        per_page = clamp_per_page(per_page, 50)
        number = clamp_page(page, per_page, len(ids))
        offset = (number - 1) * per_page
        rows = self._load(ids[offset : offset + per_page])
        return Page(
            rows, number, per_page, len(ids), False, list(range(offset, offset + len(rows)))
        )

    def get(self, worker_id: str) -> WorkerInfo | None:
        if not self.redis.sismember(self.keys.workers, worker_id):
            return None
        found = self._load([worker_id])
        return found[0] if found else None

    def working(self) -> list[WorkerInfo]:
        return [w for w in self.all() if w.working]

    def hosts(self) -> dict[str, int]:
        """Workers per host, by host name. The ids are sorted, so the ids of host ``h``
        (those starting ``h:``) are one run: a binary search per host finds its end,
        and a thousand workers on twenty hosts cost twenty searches, not a thousand splits.
        """
        ids = self.ids()
        counts: dict[str, int] = {}
        i = 0
        while i < len(ids):
            host, colon, _ = ids[i].partition(":")
            end = bisect_left(ids, host + ";", i) if colon else i + 1  # ";" follows ":"
            counts[host] = counts.get(host, 0) + end - i
            i = end
        return dict(sorted(counts.items()))

    def _of_host(self, host: str) -> list[str]:
        """The sorted ids whose host is ``host``: a slice found by binary search (plus an
        id that is the bare host name, which sorts just before it)."""
        if ":" in host:
            return []  # no id's host holds a colon
        ids = self.ids()
        bare = bisect_left(ids, host)
        start = bisect_left(ids, host + ":", bare)
        found = ids[start : bisect_left(ids, host + ";", start)]  # ";" follows ":"
        return [host, *found] if bare < len(ids) and ids[bare] == host else found

    def _load(self, ids: list[str]) -> list[WorkerInfo]:
        """The workers ``ids`` in full: a script call per ``LOAD_BATCH`` of them."""
        out: list[WorkerInfo] = []
        for start in range(0, len(ids), LOAD_BATCH):
            out += self._load_batch(ids[start : start + LOAD_BATCH])
        return out

    def _load_batch(self, ids: list[str]) -> list[WorkerInfo]:
        keys = self.keys
        around = keys.worker_key_parts()
        now_pair, *columns = json_array(self._rows(keys=[keys.heartbeats], args=[*around, *ids]))
        # JSON false (Lua's nil) is a missing key.
        jobs, started, processed, failed, beats = (
            [v if isinstance(v, str) else None for v in column] for column in columns
        )
        now = self.clock() if self.clock else float(now_pair[0]) + float(now_pair[1]) / 1e6
        out = []
        for n, worker_id in enumerate(ids):
            host, pid, queues = WorkerInfo.split_id(worker_id)
            beat = times.parse(beats[n])
            out.append(
                WorkerInfo(
                    id=worker_id,
                    host=host,
                    pid=pid,
                    queues=queues,
                    started_at=times.parse(started[n]),
                    heartbeat_at=beat,
                    processed=as_int(processed[n]),
                    failed=as_int(failed[n]),
                    job=WorkingJob.parse(jobs[n]) if jobs[n] else None,
                    **self._staleness(beats[n], beat, now),
                    heartbeat_text=beats[n],
                )
            )
        return out

    def _staleness(self, text: str | None, beat: datetime | None, now: float) -> dict[str, Any]:
        """Why the worker looks dead (``stale_reason``) and which of Resque's prune rules
        applies to it (``stale_kind``); both None while it looks alive."""
        if text is None:
            return {"stale_reason": "no heartbeat", "stale_kind": "never"}
        if beat is None:
            return {"stale_reason": "unreadable heartbeat", "stale_kind": "unreadable"}
        age = now - beat.timestamp()
        if age > self.prune_interval:
            return {"stale_reason": f"no heartbeat for {_duration(age)}", "stale_kind": "expired"}
        return {}


def _duration(seconds: float) -> str:
    """``3610`` -> ``1 h 0 min``: an age a person reads at a glance."""
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days"


def _run_at(raw: str) -> str | None:
    """A busy worker's ``run_at``, read without decoding the whole payload when possible."""
    marker = raw.find('"run_at":"')
    if marker >= 0:
        start = marker + len('"run_at":"')
        return raw[start : raw.find('"', start)]
    try:
        data = jsonp.decode(raw)
    except jsonp.PayloadError:
        return None
    return data.get("run_at") if isinstance(data, dict) else None
