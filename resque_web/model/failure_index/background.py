"""The index's background refresh: one thread per build, which pages wait on only as long
as they can afford (:meth:`.index.FailureIndex.current`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis


class Build:
    """One background refresh; a request waits for it as long as it can afford. ``after``
    runs once the work has answered (saving the index): waiters do not wait for it."""

    def __init__(self, work: Callable[[], int], after: Callable[[], object]) -> None:
        self.total: int | None = None
        self.error: BaseException | None = None
        self.error_after: BaseException | None = None
        self._work = work
        self._after = after
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="failure-index", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.total = self._work()
        except BaseException as exc:  # handed to whoever waits: it names the cause
            self.error = exc
        self._done.set()
        if self.error is None:
            try:
                self._after()
            except redis.RedisError as exc:  # the next build saves again; kept for tests
                self.error_after = exc

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, seconds: float) -> int | None:
        if not self._done.wait(seconds):
            return None
        if self.error is not None:
            raise self.error
        return self.total
