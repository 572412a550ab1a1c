"""``/retry``: jobs waiting to retry, oldest first; ``/retry/<timestamp>``: every job due at
one time with its retry state. Actions POST to ``/retry/<timestamp>`` with an ``action``
(``retry_now`` or ``remove``), the job's list ``index`` and the ``digest`` of the item the
user saw, so they hit that job or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from werkzeug.wrappers import Response

from ...exceptions import PageError
from ...paging import page_args
from ...request import current_settings, dashboard, render_page
from ...security import require
from ..scheduler.time_pages import TimePages, job_ref

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

ACTIONS = {"retry_now": "retry.enqueue", "remove": "retry.remove"}
# A form on the list (``from=list``) goes back to that page of it.
PAGES = TimePages(
    "Jobs waiting to retry",
    ".retry",
    ".retry_timestamp",
    fields=("page", "per_page"),
    origin="list",
)


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/retry", "retry", retry_index)
    bp.add_url_rule(
        "/retry/<timestamp>", "retry_timestamp", retry_timestamp, methods=["GET", "POST"]
    )


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
    epoch = PAGES.epoch_from(timestamp)
    if request.method == "POST":
        return retry_action(epoch)
    page = PAGES.jobs_at(dashboard().retries.timestamp, epoch)
    return render_page("retry/timestamp.html", title=f"Retries at {epoch}", epoch=epoch, page=page)


def retry_action(epoch: int) -> Response:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise PageError(400, "Bad request", f"Unknown retry action {action!r}.")
    require(current_settings(), ACTIONS[action])
    index, digest = job_ref()
    retries = dashboard().retries
    if action == "retry_now":
        result = retries.retry_now(epoch, index, digest)
    else:
        result = retries.remove(epoch, index, digest)
    return PAGES.acted(ACTIONS[action], epoch, result)
