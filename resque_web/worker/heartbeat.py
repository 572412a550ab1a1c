"""The heartbeat thread: ``HSET workers:heartbeat <id> <Redis TIME>`` every interval.

Ruby (``Worker#start_heartbeat``) first deletes the field, then beats from a thread every
``Resque.heartbeat_interval`` (60 s). Other workers prune us once our beat is older than
the prune interval (300 s), so a missed beat is logged, not fatal. The thread has its own
Redis connection: the main thread forks children, and a child must never inherit a pool
that another thread was using at that instant.
"""

from __future__ import annotations

import logging
import threading

from .registration import Registration
from .retry import REDIS_DOWN
from .signals import block_in_this_thread


class Heartbeat:
    def __init__(self, registration: Registration, interval: float, log: logging.Logger) -> None:
        self.registration = registration
        self.interval = interval
        self.log = log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = False  # a first beat reached Redis

    def start(self) -> None:
        """Beat once now (so we are never registered without a beat), then every interval."""
        self.registration.remove_heartbeat()
        self.registration.heartbeat()
        self.started = True
        self._thread = threading.Thread(target=self._run, name="resque-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        block_in_this_thread()
        while not self._stop.wait(self.interval):
            try:
                self.registration.heartbeat()
            except REDIS_DOWN as exc:
                self.log.error("Heartbeat not sent, Redis unavailable: %s", exc)
            except Exception as exc:  # keep beating whatever one attempt did
                self.log.error("Heartbeat not sent: %r", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
