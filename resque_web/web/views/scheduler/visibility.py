"""Whether the Delayed and Schedule tabs show: as set (``on``/``off``), or, in ``auto``,
where a schedule file is set or the namespace holds one of resque-scheduler's keys (asked
through :class:`~resque_web.web.remembered.Remembered`, so pages pay no round trip)."""

from __future__ import annotations

from ...remembered import TTL, Remembered
from ...settings import Settings


class SchedulerSeen:
    """``Tab.visible`` for the scheduler's tabs."""

    def __init__(self, settings: Settings, ttl: float = TTL) -> None:
        self.settings = settings
        self._in_use = Remembered(lambda d: d.schedule.in_use(), ttl, "resque-web-tabs")

    def __call__(self) -> bool:
        mode = self.settings.scheduler_tabs
        if mode != "auto":
            return mode == "on"
        return bool(self.settings.schedule_file) or self._in_use()
