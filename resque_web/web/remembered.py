"""A yes/no answer that pages ask often and Redis answers rarely: a plugin tab's
``Tab.visible`` (is there anything to show?). The first ask of a process reads Redis once;
later asks get the remembered answer at no cost, and once it is ``ttl`` seconds old one
background thread asks again while pages keep the last answer. A Redis error keeps the last
answer (the page itself reports the outage), so an error page still renders its tabs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import redis

from ..model import Dashboard
from .request import dashboard

TTL = 10.0


class Remembered:
    """``ask(dashboard) -> bool``, remembered per process (one per blueprint and question)."""

    def __init__(self, ask: Callable[[Dashboard], bool], ttl: float = TTL, name: str = "") -> None:
        self.ask = ask
        self.ttl = ttl
        self.name = name or "resque-web-remembered"
        self._shown: bool | None = None  # None: not asked yet in this process
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
                        target=self._refresh, args=(dashboard(),), name=self.name, daemon=True
                    ).start()
                return known
        self._refresh(dashboard())
        return bool(self._shown)

    def _refresh(self, d: Dashboard) -> None:
        try:
            shown = self.ask(d)
        except redis.RedisError:
            shown = bool(self._shown)
        with self._lock:
            self._shown = shown
            self._until = time.monotonic() + self.ttl
            self._refreshing = False
