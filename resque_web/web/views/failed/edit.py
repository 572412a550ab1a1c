"""``/failed/edit``: change a failed job's arguments, then retry it.

The arguments are edited as JSON (an array); invalid JSON is shown again, with the
parser's message, for correcting. The retry pushes the edited job and marks the failure
retried (its payload now holding the new arguments) in one identity-checked step, so it
applies to exactly the failure that was opened, wherever it has moved since.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from flask import redirect, request
from werkzeug.wrappers import Response

from ....model import FailedJob
from ... import inputs
from ...audit import record
from ...exceptions import PageError
from ...request import current_settings, dashboard, notify, render_page
from ...security import require
from .common import failed_url, list_from, list_name

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed/edit", "failed_edit", edit, methods=["GET", "POST"])


def parse_args(text: str) -> list[object]:
    """A JSON array of arguments; ValueError says what is wrong, and where."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"That is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    if not isinstance(value, list):
        raise ValueError('The arguments must be a JSON array, like [1, "two"].')
    return value


def _failure(queue: str | None, index: str, digest: str) -> FailedJob:
    position, digest = inputs.failure_ref(index, digest)  # 400 unless well-formed
    failure = dashboard().failures.get(queue, position, digest)
    if failure is None:
        raise PageError(
            404,
            "Failure gone",
            "That failure is no longer in the list (retried, removed or cleared since).",
            back=("Failed", failed_url(queue)),
        )
    return failure


def edit() -> Response | tuple[str, int]:
    values = request.form if request.method == "POST" else request.args
    queue = list_from(values)
    failure = _failure(queue, values.get("index", ""), values.get("digest", ""))
    error = None
    text = json.dumps(failure.job.args, indent=2, ensure_ascii=False)
    if request.method == "POST":
        require(current_settings(), "failed.edit")
        text = values.get("args", "")
        try:
            args = parse_args(text)
        except ValueError as exc:
            error = str(exc)
        else:
            result = dashboard().failures.retry_edited(queue, failure.index, failure.digest, args)
            record("failed.edit", list_name(queue), result, list_queue=queue)
            notify(result.ok, result.message)
            if result.ok:
                return redirect(failed_url(queue), 303)
            error = result.message
    return render_page(
        "failed/edit.html",
        title="Edit and retry",
        queue=queue,
        failure=failure,
        text=text,
        error=error,
    ), 200
