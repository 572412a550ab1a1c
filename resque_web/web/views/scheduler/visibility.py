"""Whether the Delayed and Schedule tabs show: asked on every page, answered from a memo
that lasts ``TTL`` seconds per dashboard, so most pages pay no Redis round trip for it."""

from __future__ import annotations

import threading
import time

import redis

from ...blueprint import dashboard
from ...settings import Settings

TTL = 10.0


class SchedulerSeen:
    """``Tab.visible`` for the scheduler's tabs: ``on``/``off`` as set; ``auto``: a schedule
    file is set, or the namespace holds one of resque-scheduler's keys."""

    def __init__(self, settings: Settings, ttl: float = TTL) -> None:
        self.settings = settings
        self.ttl = ttl
        self._shown = False
        self._until = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        mode = self.settings.scheduler_tabs
        if mode != "auto":
            return mode == "on"
        if self.settings.schedule_file:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self._until:
                return self._shown
            self._until = now + self.ttl  # one request asks; the others keep the last answer
        try:
            shown = dashboard().schedule.in_use()
        except redis.RedisError:
            return self._shown  # the page itself reports the outage
        self._shown = shown
        return shown
