"""``/working``: the workers holding a job; ``/working/<id>``: one worker's current job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import url_for

from ..exceptions import PageError
from ..paging import page_args
from ..request import dashboard, render_page
from .queues import row_links

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

PER_PAGE = 50


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/working", "working", working)
    bp.add_url_rule("/working/<path:worker_id>", "working_job", working_job, merge_slashes=False)


def working() -> str:
    d = dashboard()
    args = page_args(newest_first_default=False, per_page_default=PER_PAGE)
    return render_page(
        "working/index.html",
        title="Working",
        working=d.workers.working_page(args.page, args.per_page),
        workers_total=d.workers.count(),
        more_url=None,
        **row_links(),
    )


def working_job(worker_id: str) -> str:
    worker = dashboard().workers.get(worker_id)
    if worker is None:
        raise PageError(
            404,
            "No such worker",
            f"No worker {worker_id!r} is registered (it may have shut down).",
            back=("Workers working", url_for(".working")),
        )
    return render_page("working/job.html", title=f"{worker.id}'s job", worker=worker)
