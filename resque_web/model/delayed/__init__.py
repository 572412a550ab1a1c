"""resque-scheduler's delayed jobs as the Delayed tab sees them: timestamps oldest first,
one timestamp's jobs (:mod:`.reads`), a bounded search (:mod:`.search`), and the actions
Queue now, Delete and Clear (:mod:`.actions`); the rows they answer in :mod:`.rows`.

resque-scheduler 5.0 keeps ``delayed_queue_schedule`` (a zset of epochs, score = member),
one list ``delayed:<epoch>`` of job JSON per epoch (``{"class","args","queue"}``), and a set
``timestamps:<job JSON>`` naming the lists that hold each job. A page reads one script's
answer: its rows and the totals, never the whole schedule. Actions name a job by epoch,
list position and the SHA-1 of the item the user saw, and are checked and applied in one
Lua step (:mod:`resque_web.model.scheduler_scripts`), so a job the scheduler moved
meanwhile is never hit.
"""

from __future__ import annotations

from .actions import DelayedActions, queue_item
from .reads import DelayedReads
from .rows import (
    DelayedJob,
    DelayedSearch,
    DelayedSummary,
    DelayedTimestamp,
    DelayedTotals,
    NotQueueable,
    TimestampNotFound,
    epoch_time,
)
from .search import DelayedSearching

__all__ = [
    "Delayed",
    "DelayedActions",
    "DelayedJob",
    "DelayedReads",
    "DelayedSearch",
    "DelayedSearching",
    "DelayedSummary",
    "DelayedTimestamp",
    "DelayedTotals",
    "NotQueueable",
    "TimestampNotFound",
    "epoch_time",
    "queue_item",
]


class Delayed(DelayedActions, DelayedSearching):
    """The Delayed tab's data layer (``Dashboard.delayed``): its reads, search and actions
    on one connection."""
