"""``/`` and ``/overview``: the queues with their sizes and failures, then who is working."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from flask import redirect, url_for
from werkzeug.wrappers import Response

from ..request import dashboard, render_page
from .queues import row_links

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

PREVIEW = 25  # rows of each list the overview shows before linking to the rest


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/overview", "overview", overview)


def index() -> Response:
    return redirect(url_for(".overview"))


def overview() -> str:
    """Headline numbers, the first queues and the longest-running jobs, each a fixed-size
    read (links lead to the full lists): the page costs the same at any size."""
    d = dashboard()
    # One pass over every queue (the numbers, the first queues, the failure lists) and one
    # over every worker (who is busy, longest first), then that page's workers: the busy
    # count is the busy list's length, not a second pass.
    working = d.workers.working_page(1, PREVIEW)
    found = d.stats.summary(count_working=False)
    summary = replace(found.numbers, working=working.total)
    queues = found.queue_page(1, PREVIEW)
    return render_page(
        "overview/index.html",
        title="Overview",
        summary=summary,
        queues=queues,
        failure_lists=found.failure_lists,
        working=working,
        workers_total=summary.workers,
        **row_links(),
    )
