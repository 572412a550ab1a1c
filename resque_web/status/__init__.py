"""Job status, compatible with Ruby's resque-status 0.5: a job reports its progress, the
app (or its front end) asks how far it got, operators see every status in the dashboard.

::

    uuid = Thumb.create(photo=4)                 # a StatusJob subclass
    resque_web.status.get(uuid).pct_complete     # 0 .. 100
    resque_web.status.kill(uuid)                 # stops at its next at()/tick()

The functions use :func:`resque_web.default`'s connection unless given ``resque=``.
"""

from __future__ import annotations

from typing import Any

from ..client import Resque, default
from .job import Killed, NotANumber, StatusJob
from .record import (
    COMPLETED,
    FAILED,
    FINISHED,
    KILLED,
    QUEUED,
    STATES,
    WORKING,
    Status,
)
from .record import pct_complete as _pct_complete
from .store import CLEARABLE, Cleared, Found, StatusStore, generate_uuid

__all__ = [
    "CLEARABLE",
    "COMPLETED",
    "FAILED",
    "FINISHED",
    "KILLED",
    "QUEUED",
    "STATES",
    "WORKING",
    "Cleared",
    "Found",
    "Killed",
    "NotANumber",
    "Status",
    "StatusJob",
    "StatusStore",
    "clear",
    "count",
    "generate_uuid",
    "get",
    "kill",
    "pct_complete",
    "remove",
    "statuses",
]


def _store(resque: Resque | None) -> StatusStore:
    return StatusStore(resque or default())


def get(uuid: str, resque: Resque | None = None) -> Status | None:
    """The status of job ``uuid``, or None (never created, cleared, or expired)."""
    return _store(resque).get(uuid)


def statuses(start: int = 0, count: int = 50, resque: Resque | None = None) -> list[Status]:
    """Up to ``count`` statuses from position ``start``, newest first."""
    return _store(resque).statuses(start, count)


def count(resque: Resque | None = None) -> int:
    """How many statuses ``_statuses`` holds."""
    return _store(resque).count()


def kill(uuid: str, resque: Resque | None = None) -> bool:
    """Ask job ``uuid`` to stop at its next ``at``/``tick``. False when there is no such
    status or it has already finished (nothing is written then)."""
    return _store(resque).kill(uuid) == 1


def clear(which: str = "all", resque: Resque | None = None) -> int:
    """Remove the ``completed``, ``failed`` or ``all`` statuses (in bounded atomic chunks);
    returns how many went."""
    return _store(resque).clear(which)


def remove(uuid: str, resque: Resque | None = None) -> None:
    """Remove one status."""
    _store(resque).remove(uuid)


def pct_complete(status: Status | dict[str, Any]) -> int:
    """How far a status is, 0 .. 100, as resque-status computes it."""
    if isinstance(status, Status):
        return status.pct_complete
    return _pct_complete(status)
