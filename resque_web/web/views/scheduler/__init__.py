"""resque-scheduler's tabs at its own URLs: ``/delayed`` (delayed jobs by time, one time's
jobs, a search, Queue now / Delete / Clear) and ``/schedule`` (recurring jobs, Queue now and
Delete), with their JSON twins under ``/api/v1/``. The tabs show where the namespace holds
scheduler keys or a schedule file is set (the ``scheduler_tabs`` setting forces them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...tabs import Tab, register_tab
from . import api, delayed, schedule
from .visibility import SchedulerSeen

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

__all__ = ["register"]

# After Stats (60), before Audit (70): Ruby's resque-web lists Schedule, then Delayed, last.
SCHEDULE_ORDER = 64
DELAYED_ORDER = 66


def register(bp: DashboardBlueprint) -> None:
    delayed.register(bp)
    schedule.register(bp)
    api.register(bp)
    seen = SchedulerSeen(bp.settings)
    register_tab(bp, Tab("schedule", "Schedule", ".schedule", SCHEDULE_ORDER, seen))
    register_tab(bp, Tab("delayed", "Delayed", ".delayed", DELAYED_ORDER, seen))
