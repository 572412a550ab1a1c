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
    workers = d.workers.all()
    return render_page(
        "overview/index.html",
        title="Overview",
        queues=d.queues.all(),
        failure_lists=d.failures.lists(),
        workers=workers,
        working=[w for w in workers if w.working],
        stats=d.stats.resque(),
    )
