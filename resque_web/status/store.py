"""Statuses in Redis, written and read as resque-status 0.5 does (``Status::Hash``'s class
methods), so a Ruby app reads what Python jobs report and the other way round.

- ``status:<uuid>``: the JSON object, re-written whole on each change, with ``EXPIRE`` when
  ``expire_in`` is set;
- ``_statuses``: a sorted set of uuids scored by creation time (epoch seconds); creating a
  status with ``expire_in`` also drops the uuids older than that from it;
- ``_kill``: uuids whose job should stop at its next ``at``/``tick``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from .. import payload as jsonp
from ..client import Resque
from . import scripts
from .record import COMPLETED, FAILED, STATES, Status, merge

Which = Literal["all", "completed", "failed"]
CLEARABLE: tuple[str, ...] = ("all", COMPLETED, FAILED)
CLEAR_CHUNK = 500
# A search by state reads at most this many statuses per call (one Lua round trip).
FIND_BUDGET = 2000


def now() -> float:
    """The clock statuses are stamped with (tests pin it)."""
    return time.time()


def generate_uuid() -> str:
    """``SecureRandom.hex``: 32 lowercase hex digits."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Found:
    """A bounded search's answer: the matches (newest first), how many uuids it read from
    ``offset``, and whether it reached the oldest status."""

    statuses: list[Status]
    offset: int
    read: int
    total: int

    @property
    def next_offset(self) -> int:
        return self.offset + self.read

    @property
    def exhausted(self) -> bool:
        return self.next_offset >= self.total


class StatusStore:
    """The statuses of one Resque namespace. ``expire_in`` (seconds) is resque-status's
    ``Status::Hash.expire_in``: each write sets that TTL on the status."""

    def __init__(self, resque: Resque, expire_in: int | None = None) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        self.expire_in = int(expire_in) if expire_in else None
        self._kill = self.redis.register_script(scripts.KILL)
        self._clear = self.redis.register_script(scripts.CLEAR)
        self._find = self.redis.register_script(scripts.FIND)

    # Writing ---------------------------------------------------------------------
    def create(self, uuid: str, options: Any) -> dict[str, Any]:
        """``Hash.create(uuid, options: options)``: the queued status and its ``_statuses``
        entry in one transaction (nothing is written if ``options`` is not JSON)."""
        stamp = int(now())
        data = merge(uuid, {"options": options}, now=stamp)
        encoded = jsonp.encode(data, "options")
        pipe = self.redis.pipeline(transaction=True)
        self._write(pipe, uuid, encoded)
        pipe.zadd(self.keys.statuses, {uuid: stamp})
        if self.expire_in:
            pipe.zremrangebyscore(self.keys.statuses, 0, stamp - self.expire_in)
        pipe.execute()
        return data

    def set(self, uuid: str, *messages: str | dict[str, Any] | None) -> dict[str, Any]:
        """``Hash.set``: the status made of ``messages`` alone (pass the current one first
        to keep its fields)."""
        data = merge(uuid, *messages, now=int(now()))
        encoded = jsonp.encode(data, "status")
        pipe = self.redis.pipeline(transaction=True)
        self._write(pipe, uuid, encoded)
        pipe.execute()
        return data

    def _write(self, pipe: Any, uuid: str, encoded: str) -> None:
        pipe.set(self.keys.status(uuid), encoded)
        if self.expire_in:
            pipe.expire(self.keys.status(uuid), self.expire_in)

    def remove(self, uuid: str) -> None:
        """``Hash.remove``: the status and its ``_statuses`` entry."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.status(uuid))
        pipe.zrem(self.keys.statuses, uuid)
        pipe.execute()

    # Reading ---------------------------------------------------------------------
    def get(self, uuid: str) -> Status | None:
        """The status, or None when there is none (never stored, cleared, or expired)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.keys.status(uuid))
        pipe.zscore(self.keys.statuses, uuid)
        pipe.sismember(self.keys.status_kill, uuid)
        raw, score, kill = pipe.execute()
        if raw is None:
            return None
        return Status.from_raw(uuid, raw, _score(score), bool(kill))

    def current(self, uuid: str) -> tuple[dict[str, Any] | None, bool]:
        """What a running job needs before each update, in one round trip: its stored
        object (None if missing or unreadable) and whether a kill was requested."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.sismember(self.keys.status_kill, uuid)
        pipe.get(self.keys.status(uuid))
        kill, raw = pipe.execute()
        data = Status.from_raw(uuid, raw).data if raw is not None else None
        return data or None, bool(kill)

    def count(self) -> int:
        return int(self.redis.zcard(self.keys.statuses))

    def window(self, start: int, count: int) -> tuple[int, list[Status | None], list[str]]:
        """Positions ``start`` .. ``start + count - 1`` of ``_statuses``, newest first, in
        two round trips: (total, statuses with None where the value has expired, uuids)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.zcard(self.keys.statuses)
        pipe.zrevrange(self.keys.statuses, start, start + count - 1, withscores=True)
        total, rows = pipe.execute()
        if not rows:
            return int(total), [], []
        uuids = [uuid for uuid, _ in rows]
        pipe = self.redis.pipeline(transaction=False)
        pipe.mget([self.keys.status(u) for u in uuids])
        pipe.smismember(self.keys.status_kill, uuids)
        raws, kills = pipe.execute()
        found: list[Status | None] = [
            None if raw is None else Status.from_raw(uuid, raw, _score(score), bool(kill))
            for (uuid, score), raw, kill in zip(rows, raws, kills)
        ]
        return int(total), found, uuids

    def statuses(self, start: int = 0, count: int = 50) -> list[Status]:
        """Up to ``count`` statuses from position ``start``, newest first (Ruby's
        ``Hash.statuses``: expired ones left out)."""
        if count <= 0 or start < 0:
            return []
        return [s for s in self.window(start, count)[1] if s is not None]

    def find(self, state: str, offset: int = 0, want: int = 50, budget: int | None = None) -> Found:
        """Statuses in ``state`` from position ``offset`` on, newest first: at most ``want``
        of them, reading at most ``budget`` uuids, in one round trip."""
        budget = budget or FIND_BUDGET
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}: one of {', '.join(STATES)}")
        pipe = self.redis.pipeline(transaction=True)
        pipe.zcard(self.keys.statuses)
        self._find(
            keys=[self.keys.statuses],
            args=[self.keys.status(""), max(0, offset), max(1, budget), max(1, want), state],
            client=pipe,
        )
        total, (read, flat) = pipe.execute()
        matches = []
        for i in range(0, len(flat), 3):
            status = Status.from_raw(flat[i], flat[i + 2], _score(flat[i + 1]))
            if status.status == state:  # Lua's cjson and Python may disagree on odd JSON
                matches.append(status)
        if matches:
            kills = self.redis.smismember(self.keys.status_kill, [s.uuid for s in matches])
            for status, kill in zip(matches, kills):
                status.kill_requested = bool(kill)
        return Found(matches, max(0, offset), int(read), int(total))

    # Killing ---------------------------------------------------------------------
    def kill(self, uuid: str) -> int:
        """Ask a queued or working job to stop at its next ``at``/``tick``: 1 when asked,
        0 when it has finished, -1 when there is no such status, -2 when it is unreadable.
        (Ruby's ``Hash.kill`` adds any uuid; this one looks first, in the same step.)"""
        return int(self._kill(keys=[self.keys.status(uuid), self.keys.status_kill], args=[uuid]))

    def killed(self, uuid: str) -> None:
        """``Hash.killed``: the job stopped, take it off the kill list."""
        self.redis.srem(self.keys.status_kill, uuid)

    def should_kill(self, uuid: str) -> bool:
        return bool(self.redis.sismember(self.keys.status_kill, uuid))

    def kill_ids(self) -> list[str]:
        return sorted(self.redis.smembers(self.keys.status_kill))

    # Clearing --------------------------------------------------------------------
    def clear(self, which: str = "all", chunk: int = CLEAR_CHUNK) -> int:
        """Remove the statuses that are ``completed`` or ``failed`` (or ``all``) among
        those listed when it began, newest first, ``chunk`` per atomic step; returns how
        many went."""
        return self.clear_for(which, None, chunk).removed

    def clear_for(self, which: str, seconds: float | None, chunk: int = CLEAR_CHUNK) -> Cleared:
        """:meth:`clear`, stopping after the step that passes ``seconds`` (None: go on to
        the end). A later call carries on: what it already kept costs a re-read only."""
        if which not in CLEARABLE:
            raise ValueError(f"clear what? one of {', '.join(CLEARABLE)}, not {which!r}")
        newest = self.redis.zrevrange(self.keys.statuses, 0, 0, withscores=True)
        if not newest:
            return Cleared(0, True)
        upto = newest[0][1]  # statuses listed later are left alone
        deadline = None if seconds is None else time.monotonic() + seconds
        removed = position = 0
        while True:
            done, read = self._clear(
                keys=[self.keys.statuses],
                args=[self.keys.status(""), which, position, chunk, _lua_score(upto)],
            )
            removed += int(done)
            if int(read) < chunk:
                return Cleared(removed, True)
            position += int(read) - int(done)  # the ones kept stay in place: read past them
            if deadline is not None and time.monotonic() >= deadline:
                return Cleared(removed, False)


@dataclass(frozen=True)
class Cleared:
    """How many statuses a clear removed, and whether it looked at every one."""

    removed: int
    finished: bool


def _lua_score(value: float) -> str:
    """A score as the scripts read it (Redis spells infinities ``inf`` and ``-inf``)."""
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def _score(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
