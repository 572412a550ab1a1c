"""Recurring-job schedules in resque-scheduler's format: YAML files and ``persistent_schedules``.

An entry is what Ruby's ``Resque.schedule`` holds under a name::

    nightly_report:
      cron: "0 5 * * *"              # or "30 8 * * 1-5 America/New_York", or every: 5m / 1h30m
      class: Reports::Nightly        # default: the entry's name (schedule files only)
      queue: reports-nightly         # default: the job class's own queue
      args: [1]                      # a list is the arguments; anything else is one argument
      description: Nightly report

Cron expressions go to croniter; ``every`` takes rufus/fugit durations (``30s``, ``5m``,
``1h30m``, ``1d``, ``2w``) with the ``first_in``/``first_at`` options. A bad entry raises
:class:`ScheduleError` naming it and why; keys the Python scheduler does not act on
(``rails_env``, unknown ones) are warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import CroniterError, croniter

from .plan import config_params

KNOWN_KEYS = frozenset(
    {"cron", "every", "class", "queue", "args", "description", "custom_job_class", "persist"}
)
# Ruby loads these only when Resque::Scheduler.env matches; the Python scheduler has no env.
ENV_KEYS = frozenset({"rails_env", "env"})

_UNITS = {
    "y": 365 * 86400.0,
    "M": 30 * 86400.0,
    "w": 7 * 86400.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
}
_CRON_FIELD = re.compile(r"[\d*/,\-?LW#]+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|[yMwdhms])")


class ScheduleError(ValueError):
    """One schedule entry that cannot run; ``name`` says which, ``reason`` why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"schedule {name!r}: {reason}")
        self.name = name
        self.reason = reason


def parse_duration(text: Any) -> float:
    """A rufus/fugit duration (``5m``, ``1h30m``, ``1d``, ``90``) in seconds; ValueError if not."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        compact = str(text).strip().replace(" ", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", compact):
            seconds = float(compact)
        else:
            parts = _DURATION_PART.findall(compact)
            if not parts or "".join(n + u for n, u in parts) != compact:
                raise ValueError(f"{text!r} is not a duration like 30s, 5m, 1h30m or 1d")
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return seconds


def _split_cron(text: str) -> tuple[str, ZoneInfo | None]:
    """``"30 8 * * 1-5 America/New_York"`` -> the expression and its zone (rufus' syntax:
    five or six fields, seconds first, then an optional time zone)."""
    fields = text.split()
    if len(fields) >= 6 and not _CRON_FIELD.fullmatch(fields[-1]):
        try:
            return " ".join(fields[:-1]), ZoneInfo(fields[-1])
        except (ZoneInfoNotFoundError, ValueError):
            if "/" in fields[-1] or len(fields) > 6:
                raise ValueError(f"unknown time zone {fields[-1]!r}") from None
    return text, None


@dataclass
class ScheduleEntry:
    """One recurring job: when (``cron`` or ``every``) and what (class, queue, args)."""

    name: str
    class_name: str
    cron: str | None = None
    every: str | None = None
    queue: str | None = None
    args: Any = None
    description: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    interval: float | None = None
    first_in: float | None = None
    first_at: datetime | None = None
    _expression: str | None = None
    _zone: ZoneInfo | None = None

    @property
    def params(self) -> list[Any]:
        """The job's arguments as the scheduler passes them (Ruby's ``Array(args)``)."""
        return config_params(self.args)

    def job_config(self) -> dict[str, Any]:
        """What the scheduler enqueues: ``{"class", "args", "queue", "custom_job_class"}``."""
        job = {"class": self.class_name, "args": self.args, "queue": self.queue}
        if self.config.get("custom_job_class"):
            job["custom_job_class"] = self.config["custom_job_class"]
        return job

    def next_run(self, after: datetime) -> datetime | None:
        """The first time after ``after`` (aware) the entry fires; for ``every``, ``after``
        plus the interval (the scheduler anchors its own ``every`` runs)."""
        after = _aware(after)
        if self.interval is not None:
            return after + timedelta(seconds=self.interval)
        if self._expression is None:
            return None
        base = after.astimezone(self._zone) if self._zone else after
        seconds_first = len(self._expression.split()) == 6
        found = croniter(self._expression, base, second_at_beginning=seconds_first).get_next(
            datetime
        )
        return found.astimezone(timezone.utc)

    def first_run(self, now: datetime) -> datetime | None:
        """When a freshly loaded entry fires first: rufus' ``first_in``/``first_at`` for
        ``every`` (else one interval from now), the next cron match otherwise."""
        now = _aware(now)
        if self.interval is not None:
            if self.first_at is not None:
                return max(self.first_at, now)
            if self.first_in is not None:
                return now + timedelta(seconds=self.first_in)
        return self.next_run(now)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.astimezone()


def _interval_value(name: str, kind: str, value: Any) -> tuple[Any, dict[str, Any]]:
    """``cron: "..."`` or rufus' ``cron: ["...", {first_in: 10s}]`` -> value, options."""
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[1], dict):
            return value[0], dict(value[1])
        if value:
            return value[0], {}
        raise ScheduleError(name, f"{kind} is an empty list")
    return value, {}


def parse_entry(name: str, config: Any, default_class: bool = False) -> ScheduleEntry:
    """Check one entry; raise :class:`ScheduleError` naming ``name`` and what is wrong.

    ``default_class``: a missing ``class`` means the entry's name (Ruby's ``schedule=``, used
    for schedule files); persistent schedules must name their class.
    """
    name = str(name)
    if not isinstance(config, dict):
        raise ScheduleError(name, f"expected a mapping of cron/every/class/..., not {config!r:.80}")
    config = {str(k): v for k, v in config.items()}
    warnings = [
        f"{key}: ignored (the Python scheduler runs every entry, whatever the environment)"
        for key in sorted(ENV_KEYS & config.keys())
    ]
    warnings += [
        f"{key}: unknown key, ignored" for key in sorted(config.keys() - KNOWN_KEYS - ENV_KEYS)
    ]
    class_name = config.get("class", name if default_class else None)
    if not isinstance(class_name, str) or not class_name.strip():
        raise ScheduleError(name, "no class: say which job to enqueue (class: MyJob)")
    queue = config.get("queue")
    if queue is not None and (not isinstance(queue, str) or not queue):
        raise ScheduleError(name, f"queue must be a non-empty string, not {queue!r}")
    description = config.get("description")
    entry = ScheduleEntry(
        name=name,
        class_name=class_name,
        queue=queue,
        args=config.get("args"),
        description=None if description is None else str(description),
        config=config,
        warnings=warnings,
    )
    cron, every = config.get("cron"), config.get("every")
    if cron not in (None, "", []):  # cron wins over every, as in Ruby
        _parse_cron(entry, cron)
    elif every not in (None, "", []):
        _parse_every(entry, every)
    else:
        raise ScheduleError(name, "no cron or every: say when it runs (cron: '0 5 * * *')")
    return entry


def _parse_cron(entry: ScheduleEntry, value: Any) -> None:
    text, options = _interval_value(entry.name, "cron", value)
    if not isinstance(text, str):
        raise ScheduleError(entry.name, f"cron must be a string, not {text!r}")
    try:
        expression, zone = _split_cron(text.strip())
    except ValueError as exc:
        raise ScheduleError(entry.name, f"cron {text!r}: {exc}") from None
    seconds_first = len(expression.split()) == 6
    if not croniter.is_valid(expression, second_at_beginning=seconds_first):
        raise ScheduleError(entry.name, f"cron {text!r} is not a valid cron expression")
    try:
        croniter(
            expression, datetime.now(timezone.utc), second_at_beginning=seconds_first
        ).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as exc:
        raise ScheduleError(entry.name, f"cron {text!r} never fires ({exc})") from None
    entry.cron, entry._expression, entry._zone = text, expression, zone
    entry.warnings += [f"cron option {k}: ignored" for k in sorted(options)]


def _parse_every(entry: ScheduleEntry, value: Any) -> None:
    text, options = _interval_value(entry.name, "every", value)
    try:
        entry.interval = parse_duration(text)
    except ValueError as exc:
        raise ScheduleError(entry.name, f"every: {exc}") from None
    entry.every = str(text)
    for key, option in options.items():
        try:
            if key == "first_in":
                entry.first_in = parse_duration(option)
            elif key == "first_at":
                entry.first_at = _aware(
                    option if isinstance(option, datetime) else datetime.fromisoformat(str(option))
                )
            else:
                entry.warnings.append(f"every option {key}: ignored")
        except ValueError as exc:
            raise ScheduleError(entry.name, f"every option {key}: {exc}") from None


def parse_schedule(
    schedule: Any, default_class: bool = True, source: str = "schedule"
) -> tuple[list[ScheduleEntry], list[ScheduleError]]:
    """Every entry of a schedule mapping: the good ones, and an error per bad one."""
    if schedule is None:
        return [], []
    if not isinstance(schedule, dict):
        return [], [ScheduleError(source, "expected a mapping of entry names to entries")]
    entries: list[ScheduleEntry] = []
    errors: list[ScheduleError] = []
    for name, config in schedule.items():
        try:
            entries.append(parse_entry(str(name), config, default_class))
        except ScheduleError as exc:
            errors.append(exc)
    return entries, errors


def load_schedule_file(path: str | Path) -> tuple[list[ScheduleEntry], list[ScheduleError]]:
    """A resque-scheduler YAML schedule: entries that run, and an error per one that cannot.
    An unreadable file is one error named after the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [ScheduleError(str(path), f"cannot read the file ({exc})")]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [], [ScheduleError(str(path), f"not valid YAML ({exc})")]
    return parse_schedule(data, default_class=True, source=str(path))
