"""resque-scheduler 5.0, in Python: delayed jobs, recurring schedules, the scheduler process.

The delaying API is on :class:`resque_web.Resque` (``enqueue_at``, ``enqueue_in``,
``remove_delayed`` ...) and in :mod:`.delaying`; schedule entries in :mod:`.entries`;
persistent schedules in :mod:`.schedules`; the process in :mod:`.process`.
"""

from __future__ import annotations

from .delaying import encode_delayed, epoch_of
from .entries import (
    ScheduleEntry,
    ScheduleError,
    load_schedule_file,
    parse_duration,
    parse_entry,
    parse_schedule,
)
from .plan import Plan, PlanError

__all__ = [
    "Plan",
    "PlanError",
    "ScheduleEntry",
    "ScheduleError",
    "encode_delayed",
    "epoch_of",
    "load_schedule_file",
    "parse_duration",
    "parse_entry",
    "parse_schedule",
]
