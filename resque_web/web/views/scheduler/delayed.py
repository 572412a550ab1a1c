"""``/delayed``: resque-scheduler's delayed jobs by time, oldest first, with a search by
class and arguments text; ``/delayed/<timestamp>``: the jobs due at one time.

Actions POST to the page they are on with an ``action`` field: ``clear`` (every delayed
job) on ``/delayed``; ``queue_now`` (every job of the time), and ``queue_job`` / ``remove``
(one job, named by its list ``index`` and the ``digest`` of the item the user saw) on
``/delayed/<timestamp>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ....model import DelayedSearch, DelayedTotals
from ...exceptions import PageError
from ...paging import page_args
from ...recording import record
from ...request import current_settings, dashboard, notify, render_page
from ...security import require
from .time_pages import TimePages, job_ref

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

SEARCH_FIELD_LIMIT = 200
COUNT_BUDGET = 5.0
ONE_JOB = {"queue_job": "delayed.enqueue", "remove": "delayed.remove"}
# A timestamp row or a search carries back to the page it came from what it showed.
PAGES = TimePages(
    "Delayed jobs",
    ".delayed",
    ".delayed_timestamp",
    fields=("page", "per_page", "class", "args"),
    origin="search",
)


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/delayed", "delayed", delayed, methods=["GET", "POST"])
    bp.add_url_rule(
        "/delayed/<timestamp>", "delayed_timestamp", delayed_timestamp, methods=["GET", "POST"]
    )


def search_terms() -> tuple[str, str]:
    """``?class=&args=``: bounded, since each is searched for in every delayed job."""
    found = []
    for name in ("class", "args"):
        value = request.args.get(name, "").strip()
        if len(value) > SEARCH_FIELD_LIMIT:
            raise PageError(
                400,
                "Search too long",
                f"Search for at most {SEARCH_FIELD_LIMIT} characters of {name}.",
                back=("Delayed jobs", url_for(".delayed")),
            )
        found.append(value)
    return found[0], found[1]


def counted() -> DelayedTotals | None:
    """``?count=1``: every job counted (beyond the oldest timestamps a page counts)."""
    if request.args.get("count") != "1":
        return None
    return dashboard().delayed.totals(budget=COUNT_BUDGET)


def run_search(class_text: str, args_text: str, page: int, per_page: int) -> DelayedSearch:
    """The matches up to the end of the page asked for (the search stops there)."""
    return dashboard().delayed.search(class_text, args_text, want=page * per_page)


def delayed() -> str | Response:
    if request.method == "POST":
        return clear()
    d = dashboard()
    args = page_args(newest_first_default=False)
    class_text, args_text = search_terms()
    summary, page = d.delayed.overview(args.page, args.per_page)
    found = None
    if class_text or args_text:
        found = run_search(class_text, args_text, args.page, args.per_page)
    return render_page(
        "delayed/index.html",
        title="Delayed",
        summary=summary,
        totals=counted(),
        page=page,
        search={"class": class_text, "args": args_text},
        found=found,
        found_rows=found.rows[(args.page - 1) * args.per_page :] if found else [],
        search_page=args.page,
        search_per_page=args.per_page,
    )


def clear() -> Response:
    require(current_settings(), "delayed.clear")
    if request.form.get("action") != "clear":
        raise PageError(400, "Bad request", f"Unknown action {request.form.get('action')!r}.")
    result = dashboard().delayed.clear()
    if result.count:
        record("delayed.clear", "delayed_queue_schedule", result)
    notify(result.ok, result.message)
    return redirect(url_for(".delayed"), 303)


def delayed_timestamp(timestamp: str) -> str | Response:
    epoch = PAGES.epoch_from(timestamp)
    if request.method == "POST":
        return timestamp_action(epoch)
    page = PAGES.jobs_at(dashboard().delayed.timestamp, epoch)
    return render_page(
        "delayed/timestamp.html", title=f"Delayed to {epoch}", epoch=epoch, page=page
    )


def timestamp_action(epoch: int) -> Response:
    action = request.form.get("action", "")
    d = dashboard()
    if action == "queue_now":
        require(current_settings(), "delayed.enqueue")
        return PAGES.acted("delayed.enqueue", epoch, d.delayed.queue_timestamp(epoch))
    if action not in ONE_JOB:
        raise PageError(400, "Bad request", f"Unknown delayed-job action {action!r}.")
    require(current_settings(), ONE_JOB[action])
    index, digest = job_ref()
    if action == "queue_job":
        result = d.delayed.queue_job(epoch, index, digest)
    else:
        result = d.delayed.remove_job(epoch, index, digest)
    return PAGES.acted(ONE_JOB[action], epoch, result)
