"""``/retry``: jobs waiting to retry, oldest first; ``/retry/<timestamp>``: every job due at
one time with its retry state. Actions POST to ``/retry/<timestamp>`` with an ``action``
(``retry_now`` or ``remove``), the job's list ``index`` and the ``digest`` of the item the
user saw, so they hit that job or nothing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ....model.delayed import TimestampNotFound
from ... import inputs
from ...exceptions import PageError
from ...paging import carried_args, page_args
from ...recording import record
from ...request import current_settings, dashboard, notify, render_page
from ...security import require

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

ACTIONS = {"retry_now": "retry.enqueue", "remove": "retry.remove"}
VIEW_FIELDS = ("page", "per_page")
_EPOCH = re.compile(r"-?[0-9]{1,15}")


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/retry", "retry", retry_index)
    bp.add_url_rule(
        "/retry/<timestamp>", "retry_timestamp", retry_timestamp, methods=["GET", "POST"]
    )


def epoch_from(text: str) -> int:
    """The epoch seconds a URL names; anything else is no page of ours (404)."""
    if not _EPOCH.fullmatch(text):
        raise PageError(
            404,
            "No such time",
            f"{text[:40]!r} is not a time in epoch seconds.",
            back=("Jobs waiting to retry", url_for(".retry")),
        )
    return int(text)


def retry_index() -> str:
    args = page_args(newest_first_default=False)
    scan, rows = dashboard().retries.page(args.page, args.per_page)
    return render_page(
        "retry/index.html",
        title="Retry",
        scan=scan,
        rows=rows,
        number=args.page,
        per_page=args.per_page,
    )


def retry_timestamp(timestamp: str) -> str | Response:
    epoch = epoch_from(timestamp)
    if request.method == "POST":
        return retry_action(epoch)
    args = page_args(newest_first_default=False)
    try:
        page = dashboard().retries.timestamp(epoch, args.page, args.per_page)
    except TimestampNotFound:
        raise PageError(
            404,
            "No delayed jobs at that time",
            f"No jobs are delayed to {epoch} (the scheduler may have enqueued them already).",
            back=("Jobs waiting to retry", url_for(".retry")),
        ) from None
    return render_page("retry/timestamp.html", title=f"Retries at {epoch}", epoch=epoch, page=page)


def retry_action(epoch: int) -> Response:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise PageError(400, "Bad request", f"Unknown retry action {action!r}.")
    require(current_settings(), ACTIONS[action])
    index, digest = inputs.failure_ref(
        request.form.get("index", ""), request.form.get("digest", "")
    )
    d = dashboard()
    if action == "retry_now":
        result = d.retries.retry_now(epoch, index, digest)
    else:
        result = d.retries.remove(epoch, index, digest)
    if result.count:
        record(ACTIONS[action], d.resque.keys.delayed_name(epoch), result)
    notify(result.ok, result.message)
    return redirect(back_url(epoch), 303)


def back_url(epoch: int) -> str:
    """Back to the list or the time the form was on (the list when that time is gone)."""
    carried = carried_args(request.form, VIEW_FIELDS)
    if request.form.get("from") == "list":
        return url_for(".retry", **carried)
    try:
        dashboard().delayed.timestamp(epoch, 1, 1)
    except TimestampNotFound:
        return url_for(".retry")
    return url_for(".retry_timestamp", timestamp=epoch, **carried)
