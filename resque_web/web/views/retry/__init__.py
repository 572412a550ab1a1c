"""resque-retry's tab at its own URLs: ``/retry`` (jobs waiting to retry, oldest first)
and ``/retry/<timestamp>`` (the jobs due at one time, with their retry state), the actions
Retry now and Remove, and the JSON twin ``/api/v1/retry``. The tab shows where retries are
in use (see :mod:`.visibility`); the pages answer either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...tabs import Tab, register_tab
from . import api, pages
from .visibility import TAB, attempts_on, retry_seen

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

__all__ = ["attempts_on", "register"]

# After Stats (60), before the scheduler's Schedule and Delayed tabs (64, 66).
RETRY_ORDER = 67  # after Delayed, as resque-web lists resque-retry's tab


def register(bp: DashboardBlueprint) -> None:
    pages.register(bp)
    api.register(bp)
    register_tab(bp, Tab(TAB, "Retry", ".retry", RETRY_ORDER, retry_seen()))
