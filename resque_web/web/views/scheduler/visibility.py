"""Whether the Delayed and Schedule tabs show. Asked on every page, so it must cost no
Redis round trip: the first page of a process asks Redis once; afterwards the answer is
remembered and, once ``TTL`` seconds old, refreshed by a background thread while pages
keep using the last answer (a tab appears or goes within about ``TTL`` seconds)."""

from __future__ import annotations

import threading
import time

import redis

from ....model import Schedule
from ...request import dashboard
from ...settings import Settings

TTL = 10.0


class SchedulerSeen:
    """``Tab.visible`` for the scheduler's tabs: ``on``/``off`` as set; ``auto``: a schedule
    file is set, or the namespace holds one of resque-scheduler's keys."""

    def __init__(self, settings: Settings, ttl: float = TTL) -> None:
        self.settings = settings
        self.ttl = ttl
        self._shown: bool | None = None  # None: not asked yet
        self._until = 0.0
        self._refreshing = False
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        mode = self.settings.scheduler_tabs
        if mode != "auto":
            return mode == "on"
        if self.settings.schedule_file:
            return True
        with self._lock:
            known = self._shown
            if known is not None and time.monotonic() < self._until:
                return known
            if known is not None:
                if not self._refreshing:
                    self._refreshing = True
                    schedule = dashboard().schedule
                    threading.Thread(
                        target=self._refresh, args=(schedule,), name="resque-web-tabs", daemon=True
                    ).start()
                return known
        self._refresh(dashboard().schedule)
        return bool(self._shown)

    def _refresh(self, schedule: Schedule) -> None:
        try:
            shown = schedule.in_use()
        except redis.RedisError:
            shown = bool(self._shown)  # keep the last answer; the pages report the outage
        with self._lock:
            self._shown = shown
            self._until = time.monotonic() + self.ttl
            self._refreshing = False
