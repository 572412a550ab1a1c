"""``/failed`` and ``/failed/<queue>`` (the multi-queue backend's per-queue lists).

Newest first by default; ``?class=`` and ``?exception=`` filter the page and scope the bulk
actions. One failure's retry or remove POSTs its list index *and* the digest of the record
the user saw, so the action hits that record even if the list moved meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ...model import ActionResult, FailureFilter
from ..blueprint import current_settings, dashboard, notify, render_page
from ..exceptions import PageError
from ..paging import carried_args, page_args
from ..security import require

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

VIEW_FIELDS = ("page", "per_page", "order", "class", "exception")
BULK = {
    "retry_all": "failed.retry_all",
    "clear": "failed.clear",
    "clear_retried": "failed.clear_retried",
}


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed", "failed", failed, methods=["GET", "POST"])
    bp.add_url_rule(
        "/failed/<path:queue>",
        "failed_queue",
        failed,
        methods=["GET", "POST"],
        merge_slashes=False,
    )


def filter_from(values: MultiDict[str, str]) -> FailureFilter:
    return FailureFilter(
        job_class=values.get("class") or None, exception=values.get("exception") or None
    )


def back_url(queue: str | None, form: MultiDict[str, str]) -> str:
    args = carried_args(form, VIEW_FIELDS)
    if queue is None:
        return url_for(".failed", **args)
    return url_for(".failed_queue", queue=queue, **args)


def failed(queue: str | None = None) -> str | Response:
    d = dashboard()
    if queue is not None and not d.failures.exists(queue):
        raise PageError(
            404,
            "No such failure list",
            f"There is no failure list for queue {queue!r}.",
            back=("All failures", url_for(".failed")),
        )
    if request.method == "POST":
        return failed_action(queue)
    lists = d.failures.lists()
    multi = d.failures.multi_queue
    # With per-queue lists, /failed lists them; it pages the plain `failed` list only when
    # that list holds something (failures from before the backend was switched).
    show_page = queue is not None or not multi or any(i.queue is None for i in lists)
    args = page_args(newest_first_default=True)
    where = filter_from(request.args)
    page = classes = exceptions = None
    if show_page:
        page = d.failures.page(queue, args.page, args.per_page, args.newest_first, where)
        classes, exceptions = d.failures.facets(queue)
    return render_page(
        "failed/index.html",
        title="Failed" if queue is None else f"Failed in {queue}",
        queue=queue,
        lists=lists,
        multi=multi,
        page=page,
        filter=where,
        classes=classes or [],
        exceptions=exceptions or [],
    )


def failed_action(queue: str | None) -> Response:
    action = request.form.get("action", "")
    form = request.form
    d = dashboard()
    if action in ("retry", "remove"):
        require(current_settings(), f"failed.{action}")
        try:
            index = int(form.get("index", ""))
        except ValueError:
            raise PageError(400, "Bad request", "The form carried no failure index.") from None
        digest = form.get("digest", "")
        act = d.failures.retry if action == "retry" else d.failures.remove
        result = act(queue, index, digest)
    elif action in BULK:
        require(current_settings(), BULK[action])
        result = bulk(action, queue, filter_from(form), every_list=form.get("scope") == "all")
    else:
        raise PageError(400, "Bad request", f"Unknown failure action {action!r}.")
    notify(result.ok, result.message)
    return redirect(back_url(queue, form), 303)


def bulk(action: str, queue: str | None, where: FailureFilter, every_list: bool) -> ActionResult:
    """One bulk action on one list, or (``every_list``, multi-queue backend) on each list."""
    failures = dashboard().failures
    queues = [i.queue for i in failures.lists()] if every_list else [queue]
    results = []
    for name in queues:
        if action == "retry_all":
            results.append(failures.retry_all(name, where))
        elif action == "clear":
            results.append(failures.clear(name, where))
        else:
            results.append(failures.clear_retried(name))
    if len(results) == 1:
        return results[0]
    count = sum(r.count for r in results)
    verb = {"retry_all": "Retried", "clear": "Cleared", "clear_retried": "Cleared retried"}
    return ActionResult(
        all(r.ok for r in results),
        f"{verb[action]} {count:,} failure{'s' if count != 1 else ''} in {len(results)} lists.",
        count,
    )
