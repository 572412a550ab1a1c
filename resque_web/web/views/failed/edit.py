"""``/failed/edit``: change a failed job's arguments, then retry it.

The arguments are edited as JSON (an array); invalid JSON is shown again, with the
parser's message, for correcting. The retry pushes the edited job and marks the failure
retried (its payload now holding the new arguments) in one identity-checked step, so it
applies to exactly the failure that was opened, wherever it has moved since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, request
from werkzeug.wrappers import Response

from .... import payload as jsonp
from ....model import FailedJob
from ... import inputs
from ...exceptions import PageError
from ...recording import record
from ...request import current_settings, dashboard, notify, render_page
from ...security import require
from .common import failed_url, list_from, list_name

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed/edit", "failed_edit", edit, methods=["GET", "POST"])


# The arguments sit two levels down in a failure record (record, payload), and Ruby's JSON
# reads and writes a whole record only up to MAX_NESTING levels.
ARGS_NESTING = jsonp.MAX_NESTING - 2


def parse_args(text: str) -> list[object]:
    """A JSON array of arguments Ruby can read back; ValueError says what is wrong, and
    where. Too deep, NaN or Infinity are refused before anything is written."""
    try:
        value = jsonp.parse_ruby_json(text)
    except jsonp.NotRubyJSON as exc:
        raise ValueError(f"That is not valid JSON: {exc}.") from None
    except jsonp.UnstorableJSON as exc:
        raise ValueError(f"Ruby could not run that job: {exc}.") from None
    except RecursionError:
        raise ValueError(
            f"The arguments are nested too deeply: Resque's JSON reads at most "
            f"{ARGS_NESTING} levels of arrays and objects inside a job's arguments."
        ) from None
    if not isinstance(value, list):
        raise ValueError('The arguments must be a JSON array, like [1, "two"].')
    if jsonp.nesting_exceeds(value, ARGS_NESTING):
        raise ValueError(
            f"The arguments are nested too deeply: Resque's JSON reads at most "
            f"{ARGS_NESTING} levels of arrays and objects inside a job's arguments."
        )
    try:
        jsonp.encode(value, "args")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Resque cannot store these arguments: {exc}.") from None
    return value


def _failure(failure_list: str | None, index: str, digest: str) -> FailedJob:
    position, digest = inputs.failure_ref(index, digest)  # 400 unless well-formed
    failure = dashboard().failures.get(failure_list, position, digest)
    if failure is None:
        raise PageError(
            404,
            "Failure gone",
            "That failure is no longer in the list (retried, removed or cleared since).",
            back=("Failed", failed_url(failure_list)),
        )
    return failure


def edit() -> Response | tuple[str, int]:
    values = request.form if request.method == "POST" else request.args
    failure_list = list_from(values)
    failure = _failure(failure_list, values.get("index", ""), values.get("digest", ""))
    error = None
    status = 200
    text = jsonp.display_json(failure.job.args, pretty=True)
    if failure.parse_error:
        error = f"This failure cannot be read: {failure.parse_error}. Remove it instead."
    if request.method == "POST":
        require(current_settings(), "failed.edit")
        text = values.get("args", "")
        try:
            args = parse_args(text)
        except ValueError as exc:
            error, status = str(exc), 400
        else:
            result = dashboard().failures.retry_edited(
                failure_list, failure.position, failure.digest, args
            )
            record("failed.edit", list_name(failure_list), result, list_queue=failure_list)
            notify(result.ok, result.message)
            if result.ok:
                return redirect(failed_url(failure_list), 303)
            error, status = result.message, 409
    return render_page(
        "failed/edit.html",
        title="Edit and retry",
        failure_list=failure_list,
        failure=failure,
        text=text,
        error=error,
    ), status
