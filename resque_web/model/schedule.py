"""resque-scheduler's recurring jobs as the Schedule tab sees them.

Entries come from two places, as Ruby's ``Resque.schedule`` merges them: a schedule file
given to the dashboard (``schedule_file``, resque-scheduler's YAML) and the
``persistent_schedules`` hash (``Resque.set_schedule``), which wins on a shared name. Each
row says when the entry runs next (computed here with the scheduler's own parser), when a
scheduler last enqueued it (``delayed:last_enqueued_at``) and which scheduler holds the
master lock. Everything is read in one round trip. Queue now enqueues the entry's job as
Ruby's "Queue now" does; Delete removes a persistent schedule (Ruby's ``remove_schedule``).
Both check, in one Lua step, that the stored config is still the one the user saw.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .. import payload as jsonp
from .. import times
from ..client import Resque
from ..failure import ActionResult
from ..failure.record import digest as record_digest
from ..scheduler.entries import ScheduleEntry, ScheduleError, load_schedule_file, parse_entry
from .delayed import NotQueueable, queue_item
from .scheduler_scripts import SCHEDULE_ACTION

PERSISTENT = "redis"
FILE = "file"
# Ruby reads $RESQUE_SCHEDULER_MASTER_LOCK_PREFIX for the lock's name.
LOCK_PREFIX_ENV = "RESQUE_SCHEDULER_MASTER_LOCK_PREFIX"

_FILES: dict[str, tuple[tuple[float, int], FileSchedule]] = {}
_FILES_LOCK = threading.Lock()
# Parsing a cron entry costs about a millisecond and its next run half of one (croniter):
# a hundred schedules would cost a page 150 ms. Both are remembered per process: a parsed
# entry by its stored JSON, a next run until that time has passed.
_PARSED: OrderedDict[tuple[str, str], tuple[ScheduleEntry | None, str | None]] = OrderedDict()
_NEXT: dict[tuple[str, str, str], datetime] = {}
_MEMO_LOCK = threading.Lock()
_KEPT = 4096


@dataclass(frozen=True)
class FileSchedule:
    path: str
    entries: list[ScheduleEntry]
    errors: list[ScheduleError]


def read_schedule_file(path: str) -> FileSchedule:
    """A schedule file's entries, parsed again only when the file changes (mtime, size)."""
    try:
        stat = Path(path).stat()
        stamp = (stat.st_mtime, stat.st_size)
    except OSError:
        stamp = (-1.0, -1)
    with _FILES_LOCK:
        cached = _FILES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    entries, errors = load_schedule_file(path)
    found = FileSchedule(path, entries, errors)
    with _FILES_LOCK:
        _FILES[path] = (stamp, found)
    return found


@dataclass(frozen=True)
class ScheduleRow:
    """One named entry. ``entry`` is None when it cannot run (``error`` says why); ``raw``
    is the stored JSON of a persistent schedule (its identity for the actions)."""

    name: str
    source: str  # PERSISTENT or FILE
    config: Any
    entry: ScheduleEntry | None
    error: str | None
    raw: str | None = None
    last_enqueued: str | None = None  # Ruby's Time#to_s, as the scheduler wrote it
    next_run: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def persistent(self) -> bool:
        return self.source == PERSISTENT

    @property
    def digest(self) -> str | None:
        return None if self.raw is None else record_digest(self.raw)

    @property
    def last_enqueued_at(self) -> datetime | None:
        return times.parse(self.last_enqueued) if self.last_enqueued else None

    def _get(self, key: str) -> Any:
        return self.config.get(key) if isinstance(self.config, dict) else None

    @property
    def interval(self) -> str:
        """As Ruby's page says it: ``cron: 0 5 * * *``, ``every: 5m``."""
        cron, every = self._get("cron"), self._get("every")
        if cron not in (None, "", []):
            return f"cron: {_text(cron)}"
        if every not in (None, "", []):
            return f"every: {_text(every)}"
        return "Not currently scheduled"

    @property
    def class_name(self) -> str | None:
        """Ruby's ``schedule_class``: ``custom_job_class`` when no class is given."""
        if self.entry is not None:
            return self.entry.class_name
        value = self._get("class") or self._get("custom_job_class")
        return value if isinstance(value, str) else None

    @property
    def queue(self) -> str | None:
        value = self._get("queue")
        return value if isinstance(value, str) else None

    @property
    def args(self) -> Any:
        return self._get("args")

    @property
    def description(self) -> str | None:
        value = self._get("description")
        return None if value is None else str(value)

    @property
    def every_seconds(self) -> float | None:
        return None if self.entry is None else self.entry.interval


@dataclass(frozen=True)
class ScheduleView:
    """The Schedule tab: its rows by name, the master lock, and the file's own errors."""

    rows: list[ScheduleRow]
    master: str | None
    master_ttl: int | None  # seconds; None: no expiry set
    changed: int  # names in schedules_changed a scheduler has yet to reload
    file: str | None
    file_errors: list[ScheduleError]
    now: datetime

    def find(self, name: str) -> ScheduleRow | None:
        return next((row for row in self.rows if row.name == name), None)


def _text(value: Any) -> str:
    """A cron/every value as written (a rufus ``[value, {options}]`` pair joined)."""
    if isinstance(value, list):
        head = _text(value[0]) if value else ""
        rest = value[1] if len(value) > 1 and isinstance(value[1], dict) else {}
        options = ", ".join(f"{str(k).replace('_', ' ')} {v}" for k, v in rest.items())
        return f"{head} ({options})" if options else head
    return str(value)


class Schedule:
    """``schedule_file`` (the dashboard's setting) is passed to each call: the same data
    layer serves dashboards configured with different files."""

    def __init__(self, resque: Resque, lock_prefix: str | None = None) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        prefix = os.environ.get(LOCK_PREFIX_ENV, "") if lock_prefix is None else lock_prefix
        self.lock_key = resque.keys.scheduler_master_lock(prefix)
        self._action = self.redis.register_script(SCHEDULE_ACTION)

    def in_use(self) -> bool:
        """Does this namespace show any sign of resque-scheduler (one EXISTS)?"""
        keys = self.keys
        return bool(
            self.redis.exists(
                keys.delayed_schedule,
                keys.persistent_schedules,
                keys.delayed_last_enqueued_at,
                self.lock_key,
            )
        )

    def view(self, schedule_file: str | None = None, now: datetime | None = None) -> ScheduleView:
        """Every entry, the master and the pending reloads: one round trip (and the file,
        parsed again only when it changed)."""
        now = now or datetime.now(timezone.utc)
        keys = self.keys
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(keys.persistent_schedules)
        pipe.hgetall(keys.delayed_last_enqueued_at)
        pipe.get(self.lock_key)
        pipe.ttl(self.lock_key)
        pipe.scard(keys.schedules_changed)
        stored, last, master, ttl, changed = pipe.execute()
        rows: dict[str, ScheduleRow] = {}
        loaded = read_schedule_file(schedule_file) if schedule_file else None
        for entry in loaded.entries if loaded else []:
            rows[entry.name] = _file_row(entry, last, now)
        for name, raw in stored.items():  # a persistent schedule wins, as in Ruby
            rows[name] = _persistent_row(name, raw, last, now)
        return ScheduleView(
            [rows[name] for name in sorted(rows)],
            master,
            int(ttl) if int(ttl) >= 0 else None,
            int(changed),
            schedule_file or None,
            list(loaded.errors) if loaded else [],
            now,
        )

    def enqueue(
        self, name: str, digest: str | None = None, schedule_file: str | None = None
    ) -> ActionResult:
        """Queue the entry's job now, as Ruby's "Queue now" (``enqueue_from_config``);
        a persistent entry only while its stored config has the SHA-1 ``digest``."""
        row = self.view(schedule_file).find(name)
        if row is None:
            return _missing(name)
        if row.persistent and row.digest != digest:
            return _changed(name)
        if row.entry is None:
            return ActionResult(False, f"Schedule {name} cannot run: {row.error}")
        try:
            queue, item = queue_item(row.entry.job_config())
        except NotQueueable as exc:
            return ActionResult(False, f"Schedule {name} cannot be queued: {exc}")
        keys = self.keys
        if row.persistent:
            done = self._action(
                keys=[
                    keys.persistent_schedules,
                    keys.schedules_changed,
                    keys.queues,
                    keys.queue(queue),
                ],
                args=[name, digest, "enqueue", queue, item],
            )
            if not int(done):
                return _changed(name)
        else:
            self.resque.push_raw(queue, item)
        return ActionResult(True, f"Queued {row.class_name} on {queue} from schedule {name}.", 1)

    def remove(self, name: str, digest: str) -> ActionResult:
        """Delete a persistent schedule (Ruby's ``remove_schedule``) if it is still the
        config the user saw; schedulers drop it on their next look at schedules_changed."""
        keys = self.keys
        done = self._action(
            keys=[keys.persistent_schedules, keys.schedules_changed, keys.queues, keys.queues],
            args=[name, digest, "delete", "", ""],
        )
        if not int(done):
            return _changed(name)
        return ActionResult(True, f"Deleted schedule {name}.", 1)


def _parsed(name: str, config: Any, raw: str) -> tuple[ScheduleEntry | None, str | None]:
    """A persistent schedule parsed (or why it cannot run), remembered by its stored JSON."""
    key = (name, raw)
    with _MEMO_LOCK:
        found = _PARSED.get(key)
    if found is not None:
        return found
    try:
        found = (parse_entry(name, config), None)
    except ScheduleError as exc:
        found = (None, exc.reason)
    with _MEMO_LOCK:
        _PARSED[key] = found
        while len(_PARSED) > _KEPT:
            _PARSED.popitem(last=False)
    return found


def _next_cron_run(source: str, entry: ScheduleEntry, now: datetime) -> datetime | None:
    """The entry's next cron match after ``now``; the one found before while still ahead."""
    key = (source, entry.name, entry.cron or "")
    with _MEMO_LOCK:
        found = _NEXT.get(key)
    if found is not None and found > now:
        return found
    found = entry.next_run(now)
    if found is not None:
        with _MEMO_LOCK:
            if len(_NEXT) > _KEPT:
                _NEXT.clear()
            _NEXT[key] = found
    return found


def _persistent_row(name: str, raw: str, last: dict[str, str], now: datetime) -> ScheduleRow:
    """A ``persistent_schedules`` entry; one that is not a JSON object still shows, with why."""
    try:
        config = jsonp.decode(raw)
    except jsonp.PayloadError:
        config = None
    entry, error = _parsed(name, config, raw)
    row = ScheduleRow(
        name,
        PERSISTENT,
        config,
        entry,
        error,
        raw,
        last.get(name),
        warnings=list(entry.warnings) if entry else [],
    )
    return _with_next_run(row, now)


def _file_row(entry: ScheduleEntry, last: dict[str, str], now: datetime) -> ScheduleRow:
    """A schedule file's entry, parsed when the file was read."""
    row = ScheduleRow(
        entry.name,
        FILE,
        entry.config,
        entry,
        None,
        None,
        last.get(entry.name),
        warnings=list(entry.warnings),
    )
    return _with_next_run(row, now)


def _with_next_run(row: ScheduleRow, now: datetime) -> ScheduleRow:
    """A cron entry's next match; an ``every`` entry's last run plus its interval, when that
    is still ahead (a scheduler anchors ``every`` at its own start, which Redis does not
    hold: the page then says "within" the interval)."""
    entry = row.entry
    if entry is None:
        return row
    if entry.interval is None:
        found = _next_cron_run(row.source, entry, now)
    else:
        last = row.last_enqueued_at
        found = last + timedelta(seconds=entry.interval) if last else None
        if found is not None and found <= now:
            found = None
    return ScheduleRow(**{**row.__dict__, "next_run": found})


def _missing(name: str) -> ActionResult:
    return ActionResult(False, f"There is no schedule named {name}; nothing was changed.")


def _changed(name: str) -> ActionResult:
    return ActionResult(
        False,
        f"Schedule {name} was changed or deleted since the page was shown; nothing was "
        "changed. Look at it again.",
    )
