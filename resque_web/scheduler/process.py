"""The scheduler process: Ruby's ``Resque::Scheduler.run`` loop, sharing Redis with Ruby.

Every ``interval`` seconds (and whenever a recurring job is due): ask for the master lock
(:mod:`.lock`); as master, move every due delayed job (:mod:`.mover`), pick up changed
persistent schedules (``schedules_changed``) and enqueue the recurring jobs that are due,
recording ``delayed:last_enqueued_at`` as Ruby does. Only the master enqueues, so any mix of
Ruby and Python schedulers enqueues each job once. TERM, INT and QUIT stop it between two
steps and release the lock. A Redis outage is logged and waited out: each step is one
atomic script, so a step either happened or will happen again, never twice.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import redis

from .. import payload as jsonp
from .. import times
from .entries import ScheduleEntry, ScheduleError, load_schedule_file, parse_entry
from .lock import DEFAULT_TIMEOUT, MasterLock
from .mover import DEFAULT_BATCH, DelayedMover, MoveResult
from .plan import Plan, PlanError, Resolver, finish, plan
from .scripts import ENQUEUE_RECURRING, script

if TYPE_CHECKING:  # built by the CLI; only annotations name it here
    from ..client import Resque

try:
    from setproctitle import setproctitle
except ImportError:  # pragma: no cover - optional
    setproctitle = None

DEFAULT_INTERVAL = 5.0  # RESQUE_SCHEDULER_INTERVAL's default
LOGGER_NAME = "resque_web.scheduler"
_ENQUEUE_RECURRING = script(ENQUEUE_RECURRING)
# Give up on a timestamp someone else keeps changing after this many rounds without progress.
_STALLED_ROUNDS = 100
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


@dataclass
class _Pending:
    """A recurring enqueue decided but not confirmed (Redis went away mid-way): retried with
    the same ``last_enqueued_at`` stamp, which the script uses to never push it twice."""

    entry: ScheduleEntry
    plan: Plan
    stamp: str


class Scheduler:
    def __init__(
        self,
        resque: Resque,
        raw: redis.Redis,
        schedule_file: str | Path | None = None,
        interval: float = DEFAULT_INTERVAL,
        lock_prefix: str = "",
        lock_timeout: int = DEFAULT_TIMEOUT,
        batch_size: int = DEFAULT_BATCH,
        log: logging.Logger | None = None,
        lock_value: str | None = None,
    ) -> None:
        self.resque = resque
        self.keys = resque.keys
        self.log = log or logging.getLogger(LOGGER_NAME)
        self.interval = max(0.01, float(interval))
        self.schedule_file = schedule_file
        self.lock = MasterLock(
            raw, self.keys.scheduler_master_lock(lock_prefix), lock_value, lock_timeout
        )
        self.mover = DelayedMover(
            raw, self.keys, resque.registry, self.lock.key, self.lock.value, self.log, batch_size
        )
        self.resolve = Resolver(resque.registry)
        self.shutdown = False
        self._wake = threading.Event()
        self._file_entries: dict[str, ScheduleEntry] = {}
        self._entries: dict[str, ScheduleEntry] = {}
        self._next: dict[str, datetime] = {}
        self._pending: dict[str, _Pending] = {}
        self.am_master = False
        self.outage = False
        self.totals = MoveResult()

    # Lifecycle ----------------------------------------------------------------------------
    def install_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(sig, self._stop)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        if not self.shutdown:
            self.log.info("Shutting down (%s)", signal.Signals(signum).name)
        self.stop()

    def stop(self) -> None:
        self.shutdown = True
        self._wake.set()

    def run(self) -> None:
        """Loop until stopped; release the master lock on the way out."""
        self._procline("Starting")
        self._load_file()
        was_master: bool | None = None
        try:
            while not self.shutdown:
                was_master = self.tick(was_master)
                self._sleep()
        finally:
            self._release()
            self.log.info("Exiting")

    def tick(self, was_master: bool | None) -> bool | None:
        """One pass of Ruby's loop; returns what to compare the next pass's mastership with."""
        try:
            self.am_master = self.lock.master()
            if self.am_master != was_master:
                self._procline("Master scheduler" if self.am_master else "Child scheduler")
                self.load_schedule()
            if self.am_master:
                self.handle_delayed_items()
                self.update_schedule()
                self.enqueue_due_recurring()
            if self.outage:
                self.log.info("Redis is back")
                self.outage = False
            return self.am_master
        except _REDIS_DOWN as exc:
            if not self.outage:
                self.log.warning(
                    "Redis unreachable (%s); retrying every %ss, nothing is lost meanwhile",
                    exc,
                    self.interval,
                )
            self.outage = True
            self.am_master = False
            self._release()  # as Ruby: let another scheduler take over if Redis is flaky
            return None

    def _sleep(self) -> None:
        if self.shutdown:
            return
        delay = self.interval
        if self.am_master and self._next:
            due = min(self._next.values())
            delay = min(delay, max(0.0, (due - _now()).total_seconds()) + 0.001)
        self._wake.wait(delay)
        self._wake.clear()

    def _release(self) -> None:
        try:
            if self.lock.release():
                self.log.info("Released the master lock %s", self.lock.key)
        except _REDIS_DOWN:
            pass

    def _procline(self, text: str) -> None:
        self.log.info(text)
        if setproctitle is not None:
            setproctitle(f"resque-web-scheduler: {text}")

    # Delayed jobs -------------------------------------------------------------------------
    def handle_delayed_items(self, at: int | None = None) -> MoveResult:
        """Move every job due at ``at`` (default now), in bounded rounds, while master."""
        total = MoveResult()
        stalled = 0
        renewed = time.monotonic()
        while not self.shutdown:
            result = self.mover.move_round(int(time.time()) if at is None else at)
            total.add(result)
            if result.idle:
                break
            if result.lost_master:
                self.log.warning("Lost the master lock to %s; stopped moving", self.lock.holder())
                self.am_master = False
                break
            stalled = 0 if result.moved or not result.conflicts else stalled + 1
            if stalled >= _STALLED_ROUNDS:
                break
            if time.monotonic() - renewed > 5:
                renewed = time.monotonic()
                if not self.lock.locked():
                    self.am_master = False
                    break
        if total.moved:
            self.log.info(
                "moved %d delayed jobs (%d enqueued, %d dropped)",
                total.moved,
                total.pushed,
                total.dropped,
            )
        self.totals.add(total)
        return total

    # Recurring jobs -----------------------------------------------------------------------
    def _load_file(self) -> None:
        if self.schedule_file is None:
            return
        entries, errors = load_schedule_file(self.schedule_file)
        for error in errors:
            self.log.error("%s: skipped: %s", self.schedule_file, error)
        for entry in entries:
            for warning in entry.warnings:
                self.log.warning("schedule %r: %s", entry.name, warning)
        self._file_entries = {e.name: e for e in entries}
        self.log.info("%s: %d schedule entries", self.schedule_file, len(entries))

    def load_schedule(self) -> None:
        """The file's entries, overridden by ``persistent_schedules`` (Ruby's
        ``all_schedules``); next runs start from now, as a fresh rufus scheduler's do."""
        self._entries = dict(self._file_entries)
        raw = self.resque.redis.hgetall(self.keys.persistent_schedules)
        for name, value in sorted(raw.items()):
            entry = self._persistent_entry(name, value)
            if entry is not None:
                self._entries[name] = entry
        if self.am_master:
            self.resque.redis.delete(self.keys.schedules_changed)
        now = _now()
        self._next = {}
        for name, entry in self._entries.items():
            first = entry.first_run(now)
            if first is not None:
                self._next[name] = first
        if self._entries:
            self.log.info("Schedules loaded: %s", ", ".join(sorted(self._entries)))
        else:
            self.log.info("Schedule empty (no --schedule file, no persistent schedules)")

    def _persistent_entry(self, name: str, value: str | None) -> ScheduleEntry | None:
        try:
            entry = parse_entry(name, None if value is None else jsonp.decode(value))
        except (ScheduleError, jsonp.PayloadError) as exc:
            self.log.error("persistent schedule %r skipped: %s", name, exc)
            return None
        for warning in entry.warnings:
            self.log.warning("schedule %r: %s", name, warning)
        return entry

    def update_schedule(self) -> None:
        """Ruby's ``update_schedule``: SPOP each changed name, reload that entry."""
        if not self.resque.redis.scard(self.keys.schedules_changed):
            return
        while True:
            name = self.resque.redis.spop(self.keys.schedules_changed)
            if name is None:
                break
            value = self.resque.redis.hget(self.keys.persistent_schedules, name)
            entry = self._persistent_entry(name, value) if value is not None else None
            entry = entry or self._file_entries.get(name)
            self._next.pop(name, None)
            self._entries.pop(name, None)
            if entry is None:
                self.log.info("Removed schedule %s", name)
                continue
            self._entries[name] = entry
            first = entry.first_run(_now())
            if first is not None:
                self._next[name] = first
            self.log.info("Scheduled %s", name)

    def enqueue_due_recurring(self) -> None:
        """Enqueue each entry whose time has come, once, then compute its next time."""
        for pending in list(self._pending.values()):
            self._push_recurring(pending)
        now = _now()
        for name, due in sorted(self._next.items(), key=lambda item: item[1]):
            if due > now or not self.am_master:
                continue
            entry = self._entries[name]
            self._next[name] = _following(entry, due, now)
            try:
                decided = plan(entry.job_config(), self.resolve)
            except PlanError as exc:
                self.log.error("schedule %r not enqueued: %s", name, exc)
                continue
            except Exception as exc:  # a job's own hook raised
                self.log.error("schedule %r not enqueued: a hook raised %r", name, exc)
                continue
            pending = _Pending(entry, decided, times.started())
            self._pending[name] = pending
            self._push_recurring(pending)

    def _push_recurring(self, pending: _Pending) -> None:
        entry, decided = pending.entry, pending.plan
        if decided.item is None:  # refused by a hook, or handed to ``scheduled``
            del self._pending[entry.name]
            finish(decided)
            self.resque.last_enqueued_at(entry.name, pending.stamp)
            return
        reply = _ENQUEUE_RECURRING(
            keys=[
                self.lock.key,
                self.keys.queues,
                self.keys.queue(decided.queue),
                self.keys.delayed_last_enqueued_at,
            ],
            args=[self.lock.value, decided.queue, decided.item, entry.name, pending.stamp],
            client=self.resque.redis,
        )
        del self._pending[entry.name]
        if int(reply) == -1:
            self.am_master = False
            self.log.warning("not master any more: %s not enqueued", entry.name)
            return
        if int(reply) == 1:
            self.log.info("queueing %s (%s) on %s", decided.class_name, entry.name, decided.queue)
            finish(decided)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _following(entry: ScheduleEntry, due: datetime, now: datetime) -> datetime:
    """The next run after one at ``due``: ``every`` keeps its phase (skipping runs missed
    while not master), cron takes its next match after now."""
    if entry.interval is not None:
        step = timedelta(seconds=entry.interval)
        missed = int((now - due) / step) + 1
        return due + step * missed
    return entry.next_run(now) or now + timedelta(days=3650)
