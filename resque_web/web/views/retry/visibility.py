"""Whether retries are in use here, asked on every page (the tab) and by the Failed page
(whether to look up attempt counts): the first ask of a process reads Redis once, later
asks use the remembered answer, refreshed by a background thread once ``TTL`` seconds old.

"In use": a job class registered in this process retries, or a bounded SCAN (10 x 1,000
keys, one script call) finds an attempt key ``resque-retry:*``. A namespace with many more
keys than that may keep the tab hidden a while; ``/retry`` answers all the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import redis

from ....model import FailedJob, Retries
from ...request import current_blueprint, dashboard

TTL = 10.0
TAB = "retry"


class RetrySeen:
    """``Tab.visible`` for the Retry tab; one per dashboard blueprint."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._shown: bool | None = None
        self._until = 0.0
        self._refreshing = False
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            known = self._shown
            if known is not None:
                if time.monotonic() >= self._until and not self._refreshing:
                    self._refreshing = True
                    threading.Thread(
                        target=self._refresh,
                        args=(dashboard().retries,),
                        name="resque-web-retry-tab",
                        daemon=True,
                    ).start()
                return known
        self._refresh(dashboard().retries)
        return bool(self._shown)

    def _refresh(self, retries: Retries) -> None:
        try:
            shown = retries.in_use()
        except redis.RedisError:
            shown = bool(self._shown)  # keep the last answer; the pages report the outage
        with self._lock:
            self._shown = shown
            self._until = time.monotonic() + self.ttl
            self._refreshing = False


def attempts_on(failures: Iterable[FailedJob]) -> dict[int, int]:
    """Attempt counts for a page of Failed rows (list index -> attempts stored): one
    pipelined read, and none at all where retries are not in use."""
    tab = next((t for t in current_blueprint().tabs if t.name == TAB), None)
    if tab is None or not tab.shown():
        return {}
    return dashboard().retries.attempts_for(failures)
