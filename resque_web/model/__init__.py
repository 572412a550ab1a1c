"""The dashboard's data layer: Resque's nouns over Redis, as Sidekiq's ``api.rb`` is to its
web UI. Views call these and never spell a key or a Redis command."""

from __future__ import annotations

from ..client import Resque
from ..failure import ActionResult, FailedJob
from ..job import Job
from .audit import DEFAULT_UNDO_TTL, AuditEntry, AuditLog
from .bulk import BulkOperation, BulkOperations
from .delayed import (
    Delayed,
    DelayedJob,
    DelayedSearch,
    DelayedSummary,
    DelayedTimestamp,
    DelayedTotals,
    TimestampNotFound,
)
from .failure_filter import FailureFilter, FilterError
from .failure_index import GroupSummary
from .failures import (
    INDEX_WAIT,
    FailureListInfo,
    Failures,
    FailureView,
    NoSuchFailureList,
    Selection,
)
from .history import History, Sampler, Series
from .keyspace import KeyContent, Keyspace, KeySummary
from .page import Page, Paging
from .queues import QueueNotFound, Queues, QueueSummary
from .retry import Retries, RetryJob, RetryScan
from .schedule import Schedule, ScheduleRow, ScheduleView
from .stats import ResqueStats, Stats, Summary
from .statuses import Statuses, StatusRow
from .workers import WorkerInfo, Workers, WorkingJob

__all__ = [
    "INDEX_WAIT",
    "ActionResult",
    "AuditEntry",
    "AuditLog",
    "BulkOperation",
    "BulkOperations",
    "Dashboard",
    "Delayed",
    "DelayedJob",
    "DelayedSearch",
    "DelayedSummary",
    "DelayedTimestamp",
    "DelayedTotals",
    "FailedJob",
    "FailureFilter",
    "FailureListInfo",
    "FailureView",
    "Failures",
    "FilterError",
    "GroupSummary",
    "History",
    "Job",
    "KeyContent",
    "KeySummary",
    "Keyspace",
    "NoSuchFailureList",
    "Page",
    "Paging",
    "QueueNotFound",
    "QueueSummary",
    "Queues",
    "ResqueStats",
    "Retries",
    "RetryJob",
    "RetryScan",
    "Sampler",
    "Schedule",
    "ScheduleRow",
    "ScheduleView",
    "Selection",
    "Series",
    "Stats",
    "StatusRow",
    "Statuses",
    "Summary",
    "TimestampNotFound",
    "WorkerInfo",
    "Workers",
    "WorkingJob",
]


class Dashboard:
    """Everything a page can ask about one Resque namespace."""

    def __init__(
        self, resque: Resque, retry_removes: bool = False, undo_ttl: int = DEFAULT_UNDO_TTL
    ) -> None:
        self.resque = resque
        self.queues = Queues(resque)
        self.workers = Workers(resque)
        self.failures = Failures(resque, retry_removes=retry_removes)
        self.stats = Stats(resque)
        self.history = History(resque, self.stats)
        self.keyspace = Keyspace(resque)
        self.audit = AuditLog(resque, undo_ttl=undo_ttl)
        self.bulk = BulkOperations(resque, self.audit, retry_removes=retry_removes)
        self.statuses = Statuses(resque)
        self.delayed = Delayed(resque)  # resque-scheduler: delayed jobs
        self.schedule = Schedule(resque)  # resque-scheduler: recurring jobs
        self.retries = Retries(resque, self.delayed)  # resque-retry: jobs waiting to retry
