"""``/queues``: every queue; ``/queues/<name>``: a page of its jobs and the queue actions.

Queue names may hold ``/``, ``?``, ``#``, ``%``, spaces or any unicode: the ``path``
converter and ``url_for`` carry them. Actions POST to the queue's own URL with an
``action`` field, so no queue name can be mistaken for an action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ...model import ActionResult, QueueNotFound
from ...shorten import shorten
from .. import inputs
from ..exceptions import PageError
from ..paging import carried_args, page_args, path_url
from ..recording import record
from ..request import current_settings, dashboard, notify, render_page
from ..security import require
from .operations import queue_pauses

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

PAGING_FIELDS = ("page", "per_page", "order")
QUEUES_PER_PAGE = 50


def row_links() -> dict[str, Callable[[str], str]]:
    """The link builders the queue, worker and working tables call per row."""
    return {
        "queue_url": path_url(".queue", "name"),
        "worker_url": path_url(".worker", "target"),
        "working_url": path_url(".working_job", "worker_id"),
        "failed_queue_url": path_url(".failed_queue", "failure_list"),
        "queue_pause_url": path_url(".queue_pause", "name"),
    }


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/queues", "queues", queues)
    bp.add_url_rule(
        "/queues/<path:name>", "queue", queue, methods=["GET", "POST"], merge_slashes=False
    )


def queues() -> str:
    args = page_args(newest_first_default=False, per_page_default=QUEUES_PER_PAGE)
    found = dashboard().stats.summary(count_working=False)  # one pass, one round trip
    page = found.queue_page(args.page, args.per_page)
    return render_page(
        "queues/index.html",
        title="Queues",
        queues=page,
        **queue_pauses(page.items),
        failure_lists=found.failure_lists,
        stats=found.numbers,
        more_url=None,
        **row_links(),
    )


def not_found(name: str) -> PageError:
    return PageError(
        404,
        "No such queue",
        f"There is no queue named {name!r}: it is not registered and holds no jobs.",
        back=("All queues", url_for(".queues")),
    )


def queue(name: str) -> str | Response:
    if request.method == "POST":
        return queue_action(name)
    args = page_args(newest_first_default=False)
    try:
        page = dashboard().queues.page(name, args.page, args.per_page, args.newest_first)
    except QueueNotFound:
        raise not_found(name) from None
    return render_page("queues/show.html", title=f"Queue {name}", name=name, page=page)


def queue_action(name: str) -> Response:
    action = request.form.get("action", "")
    d = dashboard()
    back = url_for(".queue", name=name, **carried_args(request.form, PAGING_FIELDS))
    if action == "clear":
        require(current_settings(), "queue.clear")
        count = d.queues.clear(name)
        message = f"Cleared {count:,} job{'s' if count != 1 else ''} from {shorten(name)}."
        record("queue.clear", name, ActionResult(True, message, count))
        notify(True, message)
        return redirect(back, 303)
    if action == "remove":
        require(current_settings(), "queue.remove")
        count = d.queues.remove(name)
        message = f"Removed queue {shorten(name)} and its {count:,} job{'s' if count != 1 else ''}."
        record("queue.remove", name, ActionResult(True, message, count))
        notify(True, message)
        return redirect(url_for(".queues"), 303)
    if action == "delete_job":
        require(current_settings(), "queue.delete_job")
        raw = request.form.get("raw")
        if raw is None and "digest" in request.form:
            # A job too long to carry back in a form is named by position and SHA-1.
            index = inputs.list_index(request.form.get("index", ""))
            raw = d.queues.find_job(name, index, inputs.digest(request.form["digest"])) or ""
        if raw is None:
            raise PageError(400, "Bad request", "Which job? The form carried no job.")
        if raw and d.queues.delete_job(name, raw):
            record("queue.delete_job", name, ActionResult(True, f"Deleted one job: {raw}", 1))
            notify(True, f"Deleted one job from {shorten(name)}.")
        else:
            notify(
                False,
                "That job is no longer in the queue (a worker took it, or it was "
                "deleted); nothing was changed.",
            )
        return redirect(back, 303)
    raise PageError(400, "Bad request", f"Unknown queue action {action!r}.")
