"""Jobs waiting to retry (resque-retry 1.8), as the Retry tab shows them.

resque-retry keeps no list of them: a retry is a delayed job (resque-scheduler's
``delayed:<epoch>``) whose attempt key ``resque-retry:<class>:<sha1 of args>`` exists, and
whose last error, with the ``MultipleWithRetrySuppression`` backend, waits in
``failure-<that key>``. So the tab reads delayed items oldest first, a chunk per script call,
works out each one's attempt key as resque-retry does (:mod:`resque_web.retry`; a class
registered here may have its own ``retry_identifier``), and reads the keys of the whole
chunk in a second script call that answers with the retries only. The read is bounded
(``SCAN_BUDGET`` items, about 60 us of Python each): beyond it the page says it is
partial. Actions name a job by epoch, list position and the SHA-1 of the item the user saw,
and go through the Delayed tab's checked Lua steps.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..client import Resque
from ..failure import ActionResult, FailedJob
from ..job import Job
from ..keys import Keys
from ..registry import JobRegistry
from ..registry import registry as default_registry
from ..retry import Retry, retry_identifier
from .delayed import Delayed, DelayedJob
from .page import Page, clamp_per_page

log = logging.getLogger("resque_web.retry")

# Delayed items read per script call, and at most per page view (oldest first).
SCAN_CHUNK = 500
SCAN_BUDGET = 2000
# Timestamps one call may step over (empty or not lists), so a call stays short.
SCAN_STEPS = 2000
# Stored items whose attempt key a process remembers (about 200 bytes each).
KEY_CACHE = 20_000
# Tab visibility: SCAN calls (COUNT 1000 each) looking for any attempt key.
SEEN_SCANS = 10

# KEYS: delayed_queue_schedule
# ARGV: delayed: key prefix, first rank, first list position, item budget, step budget
# -> {next rank (-1: the schedule is read to its end), next position, {member, first
#    index, n, item 1 .. item n, member, ...}}: items oldest first from (rank, position)
#    on, at most the item budget of them, grouped by timestamp.
READ = """
local call = redis.call
local prefix = ARGV[1]
local rank, pos = tonumber(ARGV[2]), tonumber(ARGV[3])
local budget, steps = tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}
while budget > 0 and steps > 0 do
  local member = call('ZRANGE', KEYS[1], rank, rank)[1]
  if not member then return {-1, 0, out} end
  local key = prefix .. member
  local n = redis.pcall('LLEN', key)
  if type(n) ~= 'number' then n = 0 end
  if pos < n then
    local items = call('LRANGE', key, pos, pos + budget - 1)
    out[#out + 1] = member
    out[#out + 1] = pos
    out[#out + 1] = #items
    for _, item in ipairs(items) do out[#out + 1] = item end
    pos = pos + #items
    budget = budget - #items
  end
  if pos >= n then
    rank = rank + 1
    pos = 0
  end
  steps = steps - 1
end
return {rank, pos, out}
"""

# KEYS: none (the keys are named from prefixes, as resque-retry's data model needs)
# ARGV: the namespace prefix, the failure-<key> prefix, then bare attempt-key names
# -> {i, attempts, kept error or false, ...} for each i whose attempt key exists: a chunk's
#    retry state in one call, its reply as small as the retries found.
JOIN = """
local prefix, failure = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV do
  local attempts = redis.call('GET', prefix .. ARGV[i])
  if attempts then
    out[#out + 1] = i - 2
    out[#out + 1] = attempts
    out[#out + 1] = redis.call('GET', failure .. ARGV[i])
  end
end
return out
"""

# KEYS: none; ARGV: MATCH pattern, SCAN calls -> 1 when some key matches, else 0.
ANY_KEY = """
local cursor = '0'
for _ = 1, tonumber(ARGV[2]) do
  local found = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  if #found[2] > 0 then return 1 end
  cursor = found[1]
  if cursor == '0' then return 0 end
end
return 0
"""


@dataclass(frozen=True)
class RetryKey:
    """Where a job's retry state lives: its bare attempt-key name, and its retry limit
    when the class is one of ours (a Ruby class's limit is not in Redis)."""

    name: str
    limit: int | None


@dataclass(frozen=True)
class RetryJob:
    """A delayed job and its retry state: ``attempts`` is the attempt key's value (0 after
    the first failure), ``failure`` the last error when the suppression backend kept it."""

    delayed: DelayedJob
    key: RetryKey | None
    attempts: int | None
    failure: FailedJob | None

    @property
    def retrying(self) -> bool:
        return self.attempts is not None

    @property
    def retry_number(self) -> int | None:
        """Which retry this is: the first after the first failure (the key then holds 0)."""
        return None if self.attempts is None else max(self.attempts + 1, 1)

    @property
    def limit(self) -> int | None:
        return self.key.limit if self.key else None

    @property
    def epoch(self) -> int:
        return self.delayed.epoch

    @property
    def index(self) -> int:
        return self.delayed.index

    @property
    def digest(self) -> str:
        return self.delayed.digest

    @property
    def job(self) -> Job:
        return self.delayed.job


@dataclass(frozen=True)
class RetryScan:
    """Jobs waiting to retry, oldest first. ``complete``: the whole delayed queue was read
    (``read`` items) and ``total`` retries found in it; ``more``: there are retries past
    the rows asked for."""

    rows: list[RetryJob]
    complete: bool
    read: int
    more: bool
    total: int | None = None


def _to_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return 0  # Ruby's to_i of a counter someone overwrote


class Retries:
    def __init__(
        self,
        resque: Resque,
        delayed: Delayed | None = None,
        registry: JobRegistry | None = None,
    ) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys: Keys = resque.keys
        self.registry = registry or default_registry
        self.delayed = delayed or Delayed(resque)
        self._read = self.redis.register_script(READ)
        self._join = self.redis.register_script(JOIN)
        self._any_key = self.redis.register_script(ANY_KEY)

    # Which key a job has ----------------------------------------------------------------
    def key_for(self, class_name: Any, args: Any) -> RetryKey | None:
        """resque-retry's attempt key for a payload's class and args (see :func:`key_for`)."""
        return key_for(self.keys, self.registry, class_name, args)

    # Reading ------------------------------------------------------------------------------
    def waiting(self, want: int, budget: int = SCAN_BUDGET, chunk: int = SCAN_CHUNK) -> RetryScan:
        """The first ``want`` delayed jobs that are retries, oldest first, reading at most
        ``budget`` delayed items."""
        rank, position, read = 0, 0, 0
        rows: list[RetryJob] = []
        while len(rows) < want:
            take = min(chunk, budget - read)
            if take <= 0:
                return RetryScan(rows, False, read, False)
            rank, position, found = self._read(
                keys=[self.keys.delayed_schedule],
                args=[self.keys.delayed_prefix, rank, position, take, SCAN_STEPS],
            )
            rank, position = int(rank), int(position)
            stored = list(_stored(found))
            read += len(stored)
            keyed = [(item, _key_of(item[2], self.keys, self.registry)) for item in stored]
            state = self._state([key for _, key in keyed])
            for (epoch, index, raw), key in keyed:
                if key is not None and key.name in state:
                    delayed = DelayedJob(epoch, index, Job.from_raw("", raw))
                    rows.append(_row(delayed, key, *state[key.name]))
            if rank < 0:
                return RetryScan(rows[:want], True, read, len(rows) > want, len(rows))
        return RetryScan(rows[:want], False, read, True)

    def page(self, number: int, per_page: int) -> tuple[RetryScan, list[RetryJob]]:
        """Page ``number`` of the jobs waiting to retry (the scan runs up to its end)."""
        per_page = clamp_per_page(per_page)
        number = max(1, number)
        scan = self.waiting(number * per_page + 1)
        shown = scan.rows[(number - 1) * per_page : number * per_page]
        more = scan.more or len(scan.rows) > number * per_page
        return RetryScan(scan.rows, scan.complete, scan.read, more, scan.total), shown

    def timestamp(self, epoch: int, number: int = 1, per_page: int = 20) -> Page[RetryJob]:
        """Every job due at ``epoch`` (retries or not), with its retry state.
        Raises :class:`TimestampNotFound` when nothing is delayed to that time."""
        page = self.delayed.timestamp(epoch, number, per_page)
        rows = self.join(page.items)
        return Page(rows, page.number, page.per_page, page.total, False, page.indexes)

    def join(self, items: Iterable[DelayedJob]) -> list[RetryJob]:
        """Each delayed item with its attempt key and kept error: one script call."""
        keyed = [(item, _key_of(item.job.raw, self.keys, self.registry)) for item in items]
        state = self._state([key for _, key in keyed])
        rows = []
        for item, key in keyed:
            found = state.get(key.name) if key is not None else None
            rows.append(_row(item, key, *found) if found else RetryJob(item, key, None, None))
        return rows

    def _state(self, keys: list[RetryKey | None]) -> dict[str, tuple[Any, Any]]:
        """Bare attempt-key name -> (attempts, kept error or None) for the keys that exist:
        one script call, whose reply holds the retries only."""
        names = list(dict.fromkeys(key.name for key in keys if key is not None))
        if not names:
            return {}
        found = self._join(
            keys=[], args=[self.keys.retry_attempts(""), self.keys.retry_failure(""), *names]
        )
        return {
            names[int(found[i]) - 1]: (found[i + 1], found[i + 2]) for i in range(0, len(found), 3)
        }

    def attempts_for(self, failures: Iterable[FailedJob]) -> dict[int, int]:
        """Failed rows whose job still has an attempt key: list index -> attempts stored.
        One pipelined read for the rows of a page."""
        wanted: list[tuple[int, str]] = []
        for failure in failures:
            payload = failure.payload
            if failure.parse_error or not isinstance(payload, dict):
                continue
            key = self.key_for(payload.get("class"), payload.get("args"))
            if key is not None:
                wanted.append((failure.position, key.name))
        if not wanted:
            return {}
        values = self.redis.mget([self.keys.retry_attempts(name) for _, name in wanted])
        found = {}
        for (index, _), value in zip(wanted, values):
            count = _to_int(value)
            if count is not None:
                found[index] = count
        return found

    def in_use(self) -> bool:
        """Are retries in use here? A job class registered in this process retries, or a
        bounded SCAN (``SEEN_SCANS`` x 1,000 keys) finds an attempt key."""
        for name in self.registry.names():
            if _is_retry(self.registry.resolve(name)):
                return True
        return bool(int(self._any_key(keys=[], args=[self.keys.retry_scan_pattern, SEEN_SCANS])))

    # Actions ------------------------------------------------------------------------------
    def retry_now(self, epoch: int, index: int, digest: str) -> ActionResult:
        """Enqueue the retry now (its attempt count stays: it is still that retry)."""
        return self.delayed.queue_job(epoch, index, digest)

    def remove(self, epoch: int, index: int, digest: str) -> ActionResult:
        """Delete the delayed retry, then its attempt key and kept error, as resque-retry's
        own Remove does (it deletes every copy of the job; this, the one the user saw)."""
        found = self.delayed.find(epoch, index, digest)
        if found is None:
            return self.delayed.remove_job(epoch, index, digest)  # says it is gone
        key = self.key_for(found.job.class_name, found.job.args)
        result = self.delayed.remove_job(epoch, index, digest)
        if not result.count or key is None:
            return result
        self.redis.delete(self.keys.retry_attempts(key.name), self.keys.retry_failure(key.name))
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
        return ActionResult(
            True,
            f"Removed the retry of {found.job.display_class} due at {when}, with its "
            "attempt count and last error.",
            1,
        )


def _stored(found: list[Any]) -> Iterable[tuple[int, int, str]]:
    """The READ script's groups (member, first index, n, n items) as (epoch, index, item)."""
    i = 0
    while i < len(found):
        member, first, n = str(found[i]), int(found[i + 1]), int(found[i + 2])
        if member.lstrip("-").isdigit():
            for j in range(n):
                yield int(member), first + j, found[i + 3 + j]
        i += 3 + n


def _row(item: DelayedJob, key: RetryKey | None, attempts: Any, raw: Any) -> RetryJob:
    failure = FailedJob(0, raw) if isinstance(raw, (str, bytes)) else None
    return RetryJob(item, key, _to_int(attempts), failure)


def key_for(keys: Keys, registry: JobRegistry, class_name: Any, args: Any) -> RetryKey | None:
    """resque-retry's attempt key for a payload's class and args. A class registered
    here answers itself (its own identifier and limit), unless it does not retry; any
    other name gets resque-retry's default key."""
    if not isinstance(class_name, str) or not class_name or not isinstance(args, list):
        return None
    if class_name in registry:
        try:
            job_class = registry.resolve(class_name)
            if not callable(getattr(job_class, "redis_retry_key", None)):
                return None
            limit = job_class.effective_retry_limit() if _is_retry(job_class) else None
            return RetryKey(job_class.redis_retry_key(*args), limit)
        except Exception as exc:  # a class's own identifier must not break the page
            log.warning("%s: cannot work out its retry key: %r", class_name, exc)
    return RetryKey(keys.retry_name(class_name, retry_identifier(args)), None)


@functools.lru_cache(maxsize=KEY_CACHE)
def _key_of(raw: str, keys: Keys, registry: JobRegistry) -> RetryKey | None:
    """:func:`key_for` of a stored item, remembered: a page polled every few seconds reads
    the same items again, and their JSON and SHA-1 cost more than the rest of the page."""
    job = Job.from_raw("", raw)
    return key_for(keys, registry, job.class_name, job.args)


def _is_retry(job_class: Any) -> bool:
    return isinstance(job_class, type) and issubclass(job_class, Retry)
