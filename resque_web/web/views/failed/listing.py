"""``/failed`` and ``/failed/<queue>`` (the multi-queue backend's per-queue lists).

Newest first by default; the filter (class, exception, queue, group, text, failed-at range,
retried) is all in the query, so every view is bookmarkable, and it scopes the counts, the
export and the bulk actions. One failure's retry or remove POSTs its list position *and* the
digest of the record the user saw, so the action hits that record even if the list moved
meanwhile; a checkbox selection POSTs one ``position:digest`` per row and is applied in one
atomic step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ....model import ActionResult, FailureFilter, NoSuchFailureList
from ....model.failure_filter import ARGS
from ... import inputs
from ...exceptions import PageError
from ...limits import MAX_SELECTED_ROWS
from ...paging import carried_args, page_args
from ...recording import audit_user, bulk_operations, hold, record
from ...request import current_settings, dashboard, notify, render_page
from ...security import require
from ..retry import attempts_on
from .bulk import mark_started
from .common import failed_url, filter_from, list_name

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

VIEW_FIELDS = ("page", "per_page", "order", *ARGS)
BULK = {
    "retry_all": "failed.retry_all",
    "clear": "failed.clear",
    "clear_retried": "failed.clear_retried",
}
ONE_ROW = ("retry", "remove")  # one failure, named by its position and digest
SELECTED = {"retry_selected": "failed.retry", "remove_selected": "failed.remove"}
RUN_HERE = 2.0  # seconds a bulk action runs in the request before its progress page takes over


class RunningElsewhere(Exception):
    """A bulk action that did not finish in the request: go on on its progress page."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed", "failed", failed, methods=["GET", "POST"])
    bp.add_url_rule(
        "/failed/<path:failure_list>",
        "failed_queue",
        failed,
        methods=["GET", "POST"],
        merge_slashes=False,
    )


def back_url(failure_list: str | None, form: MultiDict[str, str]) -> str:
    return failed_url(failure_list, **carried_args(form, VIEW_FIELDS))


def failed(failure_list: str | None = None) -> str | Response:
    if request.method == "POST":
        if failure_list is not None and not dashboard().failures.exists(failure_list):
            raise NoSuchFailureList(failure_list)
        return failed_action(failure_list)
    view = dashboard().failures.view(
        failure_list, filter_from(request.args), page_args(newest_first_default=True),
        list_only_when_multi=True,
    )  # fmt: skip
    facets = view.facets
    return render_page(
        "failed/index.html",
        title="Failed" if failure_list is None else f"Failed in {failure_list}",
        failure_list=failure_list,
        lists=view.lists,
        multi=view.multi,
        page=view.page,
        filter=view.filter,
        selection=view.selection,
        counting=view.counting,
        group=view.group,
        classes=facets.get("class", []),
        exceptions=facets.get("exception", []),
        queues=facets.get("queue", []),
        retry_attempts=attempts_on(view.page.items) if view.page is not None else {},
    )


def failed_action(failure_list: str | None) -> Response:
    form = request.form
    action, one = row_action(form)
    d = dashboard()
    name = list_name(failure_list)
    if one is not None:
        require(current_settings(), f"failed.{action}")
        position, digest = one
        held = hold() if action == "remove" else None
        if action == "retry":
            result = d.failures.retry(failure_list, position, digest)
        else:
            result = d.failures.remove(failure_list, position, digest, held)
        record(f"failed.{action}", name, result, list_queue=failure_list, held=held)
    elif action in SELECTED:
        require(current_settings(), SELECTED[action])
        values = form.getlist("row")
        if len(values) > MAX_SELECTED_ROWS:
            raise PageError(
                413,
                "Too many rows",
                f"A selection acts on at most {MAX_SELECTED_ROWS:,} failures at a time "
                f"({len(values):,} were sent); nothing was changed. Use \u201cRetry all "
                "matching\u201d or \u201cRemove all matching\u201d with a filter for more.",
            )
        rows = [_row(*value.partition(":")[::2]) for value in values]
        if not rows:
            raise PageError(400, "Bad request", "No failures were selected.")
        verb = "retry" if action == "retry_selected" else "remove"
        held = hold() if verb == "remove" else None
        result = d.failures.act_on(failure_list, rows, verb, held)
        record(f"failed.{action}", name, result, list_queue=failure_list, held=held)
    elif action in BULK:
        require(current_settings(), BULK[action])
        try:
            result = bulk(
                action, failure_list, filter_from(form), every_list=form.get("scope") == "all"
            )
        except RunningElsewhere as running:
            notify(True, "Still running: this page shows its progress.")
            return redirect(running.url, 303)
    else:
        raise PageError(400, "Bad request", f"Unknown failure action {action!r}.")
    notify(result.ok, result.message)
    return redirect(back_url(failure_list, form), 303)


def row_action(form: MultiDict[str, str]) -> tuple[str, tuple[int, str] | None]:
    """The action asked for and, for one failure's retry or remove, which failure. The
    page's row buttons share one form and send ``retry=<position>:<digest>`` (or
    ``remove=``); scripts may send ``action=retry&index=<position>&digest=<sha1>``."""
    action = form.get("action", "")
    buttons = [verb for verb in ONE_ROW if verb in form]
    if not action and len(buttons) == 1:
        (action,) = buttons
        return action, _row(*form[action].partition(":")[::2])
    if action in ONE_ROW and not buttons:
        return action, _row(form.get("index", ""), form.get("digest", ""))
    if buttons:
        raise PageError(400, "Bad request", "Name one failure action at a time.")
    return action, None


def _row(position: str, digest: str) -> tuple[int, str]:
    return inputs.failure_ref(position, digest)  # 400 unless a list position and a SHA-1


def bulk(
    action: str, failure_list: str | None, where: FailureFilter, every_list: bool
) -> ActionResult:
    """One bulk action on one list, or (``every_list``, multi-queue backend) on each list:
    a bulk operation per list (each audited, clears held for the undo window), run for a
    moment here. What is left runs from the operation's progress page."""
    ops = bulk_operations()
    lists = [i.queue for i in dashboard().failures.lists()] if every_list else [failure_list]
    kind = "retry" if action == "retry_all" else "remove"
    scope = FailureFilter(retried=True) if action == "clear_retried" else where
    started = [ops.create(kind, name, scope, audit_user(), f"failed.{action}") for name in lists]
    found = ops.run(started, RUN_HERE)
    running = [op for op in found if not op.finished]
    if running:
        mark_started(running[0].id)  # the user's own POST: its page goes on with the steps
        raise RunningElsewhere(url_for(".failed_bulk_op", op_id=running[0].id))
    if len(found) == 1:
        return ActionResult(True, found[0].message, found[0].done)
    count = sum(op.done for op in found)
    verb = {"retry_all": "Retried", "clear": "Cleared", "clear_retried": "Cleared retried"}
    return ActionResult(
        True,
        f"{verb[action]} {count:,} failure{'s' if count != 1 else ''} in {len(found)} lists.",
        count,
    )
