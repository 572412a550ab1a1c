"""resque-scheduler 5.0, in Python: delayed jobs, recurring schedules, the scheduler process.

The delaying API is on :class:`resque_web.Resque` (``enqueue_at``, ``enqueue_in``,
``remove_delayed`` ...) and in :mod:`.delaying`; schedule entries in :mod:`.entries`;
persistent schedules in :mod:`.schedules`; the process in :mod:`.process`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .delaying import encode_delayed, epoch_of
from .plan import Plan, PlanError

if TYPE_CHECKING:
    from .entries import (
        ScheduleEntry,
        ScheduleError,
        load_schedule_file,
        parse_duration,
        parse_entry,
        parse_schedule,
    )

# :mod:`.entries` imports croniter, dateutil and yaml; the client imports :mod:`.delaying`
# (so this file) in every process, workers included: load it on first use (PEP 562).
_ENTRIES = frozenset(
    (
        "ScheduleEntry",
        "ScheduleError",
        "load_schedule_file",
        "parse_duration",
        "parse_entry",
        "parse_schedule",
    )
)


def __getattr__(name: str) -> Any:
    if name not in _ENTRIES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.entries"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ENTRIES})


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
