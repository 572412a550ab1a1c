"""Failures across the backend's lists, for the dashboard. One idea a module:

- :mod:`.lists`: which failure lists there are (``failed``, ``<queue>_failed``);
- :mod:`.view`: looking at one (a filtered page with its counts, groups, facets, exports);
- :mod:`.search`: finding failures by reading them, bounded in time and concurrency;
- :mod:`.actions`: retry, remove, edit and restore, each on exactly the failure shown.

Paging and every action go through :class:`resque_web.failure.FailureList`, the one
implementation; which failures a view covers is one :class:`FailureFilter`, answered by
the failure index.
"""

from __future__ import annotations

from .actions import FailureActions
from .lists import FailureListInfo, FailureLists, NoSuchFailureList, failure_lists
from .search import MAX_SEARCHES, TEXT_BUDGET, Selection
from .view import INDEX_WAIT, Failures, FailureView

__all__ = [
    "INDEX_WAIT",
    "MAX_SEARCHES",
    "TEXT_BUDGET",
    "FailureActions",
    "FailureListInfo",
    "FailureLists",
    "FailureView",
    "Failures",
    "NoSuchFailureList",
    "Selection",
    "failure_lists",
]
