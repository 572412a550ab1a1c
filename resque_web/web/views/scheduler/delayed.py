"""``/delayed``: resque-scheduler's delayed jobs by time, oldest first, with a search by
class and arguments text; ``/delayed/<timestamp>``: the jobs due at one time.

Actions POST to the page they are on with an ``action`` field: ``clear`` (every delayed
job) on ``/delayed``; ``queue_now`` (every job of the time), and ``queue_job`` / ``remove``
(one job, named by its list ``index`` and the ``digest`` of the item the user saw) on
``/delayed/<timestamp>``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ....model import DelayedSearch, DelayedTotals, TimestampNotFound
from ... import inputs
from ...exceptions import PageError
from ...paging import carried_args, page_args
from ...recording import record
from ...request import current_settings, dashboard, notify, render_page
from ...security import require

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

# What a timestamp row or a search carries back to the page it came from.
VIEW_FIELDS = ("page", "per_page", "class", "args")
SEARCH_FIELD_LIMIT = 200
COUNT_BUDGET = 5.0
_EPOCH = re.compile(r"-?[0-9]{1,15}")
ONE_JOB = {"queue_job": "delayed.enqueue", "remove": "delayed.remove"}


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/delayed", "delayed", delayed, methods=["GET", "POST"])
    bp.add_url_rule(
        "/delayed/<timestamp>", "delayed_timestamp", delayed_timestamp, methods=["GET", "POST"]
    )


def epoch_from(text: str) -> int:
    """The epoch seconds a URL names; anything else is no page of ours (404)."""
    if not _EPOCH.fullmatch(text):
        raise PageError(
            404,
            "No such time",
            f"{text[:40]!r} is not a time in epoch seconds.",
            back=("Delayed jobs", url_for(".delayed")),
        )
    return int(text)


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
    epoch = epoch_from(timestamp)
    if request.method == "POST":
        return timestamp_action(epoch)
    args = page_args(newest_first_default=False)
    try:
        page = dashboard().delayed.timestamp(epoch, args.page, args.per_page)
    except TimestampNotFound:
        raise PageError(
            404,
            "No delayed jobs at that time",
            f"No jobs are delayed to {epoch} (the scheduler may have enqueued them already).",
            back=("Delayed jobs", url_for(".delayed")),
        ) from None
    return render_page(
        "delayed/timestamp.html", title=f"Delayed to {epoch}", epoch=epoch, page=page
    )


def timestamp_action(epoch: int) -> Response:
    action = request.form.get("action", "")
    d = dashboard()
    target = d.resque.keys.delayed_name(epoch)
    if action == "queue_now":
        require(current_settings(), "delayed.enqueue")
        result = d.delayed.queue_timestamp(epoch)
        audited = "delayed.enqueue"
    elif action in ONE_JOB:
        audited = ONE_JOB[action]
        require(current_settings(), audited)
        index, digest = inputs.failure_ref(
            request.form.get("index", ""), request.form.get("digest", "")
        )
        if action == "queue_job":
            result = d.delayed.queue_job(epoch, index, digest)
        else:
            result = d.delayed.remove_job(epoch, index, digest)
    else:
        raise PageError(400, "Bad request", f"Unknown delayed-job action {action!r}.")
    if result.count:
        record(audited, target, result)
    notify(result.ok, result.message)
    return redirect(back_url(epoch), 303)


def back_url(epoch: int) -> str:
    """Back to the search or the time the form was on; to the list when that time is gone."""
    carried = carried_args(request.form, VIEW_FIELDS)
    if request.form.get("from") == "search":
        return url_for(".delayed", **carried)
    try:
        dashboard().delayed.timestamp(epoch, 1, 1)
    except TimestampNotFound:
        return url_for(".delayed")
    return url_for(".delayed_timestamp", timestamp=epoch, **carried)
