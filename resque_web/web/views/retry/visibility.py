"""Whether retries are in use here, asked on every page (the tab) and by the Failed page
(whether to look up attempt counts): the first ask of a process reads Redis once, later
asks use the remembered answer, refreshed by a background thread once ``TTL`` seconds old.

"In use": a job class registered in this process retries, or a bounded SCAN (10 x 1,000
keys, one script call) finds an attempt key ``resque-retry:*``. A namespace with many more
keys than that may keep the tab hidden a while; ``/retry`` answers all the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from ....model import FailedJob
from ...remembered import TTL, Remembered
from ...request import current_blueprint, dashboard

TAB = "retry"


def retry_seen(ttl: float = TTL) -> Remembered:
    """``Tab.visible`` for the Retry tab; one per dashboard blueprint."""
    return Remembered(lambda d: d.retries.in_use(), ttl, "resque-web-retry-tab")


def attempts_on(failures: Iterable[FailedJob]) -> dict[int, int]:
    """Attempt counts for a page of Failed rows (list index -> attempts stored): one
    pipelined read, and none at all where retries are not in use."""
    tab = next((t for t in current_blueprint().tabs if t.name == TAB), None)
    if tab is None or not tab.shown():
        return {}
    return dashboard().retries.attempts_for(failures)
