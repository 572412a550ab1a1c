"""Bulk retry or remove over exactly a filter: preview, chunked run with progress, summary.

``GET /failed/bulk?action=retry&<filter>`` previews ("Retry 1,284 failures matching ...");
its form POSTs to ``/failed/bulk``, which records an operation in Redis and redirects to
``/failed/bulk/<id>``. That page's script POSTs ``/failed/bulk/<id>/step`` until the
operation is done, drawing the progress each step returns; closing the page pauses the
operation. Opening its page again never resumes it: only a POST the user makes does (the
page's Continue button, or ``/api/v1/failed/bulk/<id>``'s ``step`` URL). The page runs the
steps by itself only right after such a POST in this browser session (a one-time mark in
the session), so a link or a cross-site navigation to it changes nothing.
Removing everything (no filter) is one atomic clear instead, held for the undo window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ....model import BulkOperation
from ...exceptions import PageError
from ...recording import audit_user, bulk_operations
from ...request import current_blueprint, current_settings, dashboard, render_page
from ...security import require
from .common import filter_from, list_from

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

PERMISSION = {"retry": "failed.retry_all", "remove": "failed.clear"}


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed/bulk", "failed_bulk", preview, methods=["GET", "POST"])
    bp.add_url_rule("/failed/bulk/<op_id>", "failed_bulk_op", operation)
    bp.add_url_rule("/failed/bulk/<op_id>/step", "failed_bulk_step", step, methods=["POST"])
    bp.add_url_rule("/failed/bulk/<op_id>/cancel", "failed_bulk_cancel", cancel, methods=["POST"])
    bp.add_url_rule("/api/v1/failed/bulk/<op_id>", "api_failed_bulk", api_operation)


def _action(values: dict[str, str] | None = None) -> str:
    action = (values or request.values).get("action", "")
    if action not in PERMISSION:
        raise PageError(400, "Bad request", "A bulk action is retry or remove.")
    return action


def preview() -> str | Response:
    values = request.form if request.method == "POST" else request.args
    action = _action(values)  # type: ignore[arg-type]
    failure_list = list_from(values)
    where = filter_from(values)
    if request.method == "POST":
        require(current_settings(), PERMISSION[action])
        op = bulk_operations().create(action, failure_list, where, audit_user())
        mark_started(op.id)
        return redirect(url_for(".failed_bulk_op", op_id=op.id), 303)
    selection = dashboard().failures.select(failure_list, where)
    return render_page(
        "failed/bulk.html",
        title=f"{action.capitalize()} failures",
        action=action,
        failure_list=failure_list,
        filter=where,
        selection=selection,
        op=None,
        recent=bulk_operations().recent(10),
        autorun=False,
    )


def _operation(op_id: str) -> BulkOperation:
    op = bulk_operations().get(op_id)
    if op is None:
        raise PageError(
            404,
            "No such bulk operation",
            "That bulk operation is unknown or expired (they are kept for a week).",
            back=("Failed", url_for(".failed")),
        )
    return op


def _run_mark() -> str:
    return f"{current_blueprint().name}.bulk_run"


def mark_started(op_id: str) -> None:
    """The user just POSTed to start or continue ``op_id``: its page may run the steps."""
    if current_app.secret_key:
        session[_run_mark()] = op_id


def _just_started(op_id: str) -> bool:
    """Was the operation started or continued by this session's last POST? (Used once.)"""
    if not current_app.secret_key:
        return False
    return session.pop(_run_mark(), None) == op_id


def operation(op_id: str) -> str:
    op = _operation(op_id)
    return render_page(
        "failed/bulk.html",
        title=f"Bulk {op.action}",
        action=op.action,
        failure_list=op.list_queue,
        filter=op.where,
        selection=None,
        op=op,
        recent=[],
        autorun=_just_started(op_id) and not op.finished,
    )


def op_json(op: BulkOperation) -> dict[str, object]:
    data = op.to_json()
    data["url"] = url_for(".failed_bulk_op", op_id=op.id)
    data["step_url"] = url_for(".failed_bulk_step", op_id=op.id)
    data["cancel_url"] = url_for(".failed_bulk_cancel", op_id=op.id)
    data["api_url"] = url_for(".api_failed_bulk", op_id=op.id)
    return data


def step(op_id: str) -> Response:
    """Run the operation for a moment; JSON for the page's script, a redirect for a form."""
    op = _operation(op_id)
    require(current_settings(), PERMISSION[op.action])
    op = bulk_operations().step(op_id) or op
    if request.accept_mimetypes.best == "application/json":
        return jsonify(op_json(op))
    mark_started(op_id)  # the Continue button: the page goes on with the steps
    return redirect(url_for(".failed_bulk_op", op_id=op_id), 303)


def cancel(op_id: str) -> Response:
    op = _operation(op_id)
    require(current_settings(), PERMISSION[op.action])
    bulk_operations().cancel(op_id)
    return redirect(url_for(".failed_bulk_op", op_id=op_id), 303)


def api_operation(op_id: str) -> Response:
    return jsonify(op_json(_operation(op_id)))
