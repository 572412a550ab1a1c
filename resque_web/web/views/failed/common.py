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
    failure_list = values.get("list") or None
    if failure_list is not None and not dashboard().failures.exists(failure_list):
        raise NoSuchFailureList(failure_list)
    return failure_list


def list_name(failure_list: str | None) -> str:
    return (
        "failed"
        if failure_list is None
        else dashboard().resque.keys.failed_queue_name(failure_list)
    )


def failed_url(failure_list: str | None, where: FailureFilter | None = None, **args: Any) -> str:
    """The failure list page showing ``where``."""
    args.update(where.to_args() if where else {})
    if failure_list is None:
        return url_for(".failed", **args)
    return url_for(".failed_queue", failure_list=failure_list, **args)
