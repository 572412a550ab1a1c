"""``/`` and ``/overview``: the queues with their sizes and failures, then who is working."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, url_for
from werkzeug.wrappers import Response

from ..blueprint import dashboard, render_page

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/overview", "overview", overview)


def index() -> Response:
    return redirect(url_for(".overview"))


def overview() -> str:
    d = dashboard()
    queues = d.queues.all()
    failure_lists = d.failures.lists()
    workers = d.workers.all()
    working = [w for w in workers if w.working]
    # The headline numbers come from what the tables read anyway: the page stays at a fixed
    # handful of round trips. Resque's own counters are on /stats/resque.
    summary = {
        "pending": sum(q.size for q in queues),
        "queues": len(queues),
        "failed": sum(f.count for f in failure_lists),
        "workers": len(workers),
        "working": len(working),
    }
    return render_page(
        "overview/index.html",
        title="Overview",
        queues=queues,
        failure_lists=failure_lists,
        workers=workers,
        working=working,
        summary=summary,
    )
