"""What the failure views share: reading the filter and the list from the request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import url_for

from ....model import FailureFilter, FilterError, NoSuchFailureList
from ...exceptions import PageError
from ...request import dashboard


def filter_from(values: Mapping[str, str]) -> FailureFilter:
    """The filter in a query or form; a malformed one (a bad time) is a 400 saying why."""
    try:
        return FailureFilter.from_args(values)
    except FilterError as exc:
        raise PageError(400, "Bad filter", str(exc)) from None


def list_from(values: Mapping[str, str]) -> str | None:
    """``?list=<queue>`` names a multi-queue backend's list; absent: the ``failed`` list."""
    queue = values.get("list") or None
    if queue is not None and not dashboard().failures.exists(queue):
        raise NoSuchFailureList(queue)
    return queue


def list_name(queue: str | None) -> str:
    return "failed" if queue is None else dashboard().resque.keys.failed_queue_name(queue)


def failed_url(queue: str | None, where: FailureFilter | None = None, **args: Any) -> str:
    """The failure list page showing ``where``."""
    args.update(where.to_args() if where else {})
    if queue is None:
        return url_for(".failed", **args)
    return url_for(".failed_queue", queue=queue, **args)
