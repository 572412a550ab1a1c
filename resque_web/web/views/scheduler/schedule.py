"""``/schedule``: recurring jobs from ``persistent_schedules`` and the dashboard's schedule
file, with their next and last runs and the scheduler holding the master lock.

Actions POST to ``/schedule`` with ``action`` ``queue_now`` or ``remove`` (persistent
schedules only), the entry's ``name`` and, for a persistent one, the ``digest`` of the
config the user saw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ... import inputs
from ...exceptions import PageError
from ...recording import record
from ...request import current_settings, dashboard, notify, render_page
from ...security import require

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

ACTIONS = {"queue_now": "schedule.enqueue", "remove": "schedule.remove"}


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/schedule", "schedule", schedule, methods=["GET", "POST"])


def schedule() -> str | Response:
    if request.method == "POST":
        return schedule_action()
    view = dashboard().schedule.view(current_settings().schedule_file)
    return render_page("schedule/index.html", title="Schedule", view=view)


def schedule_action() -> Response:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise PageError(400, "Bad request", f"Unknown schedule action {action!r}.")
    require(current_settings(), ACTIONS[action])
    name = request.form.get("name", "")
    if not name:
        raise PageError(400, "Bad request", "Which schedule? The form carried no name.")
    digest = request.form.get("digest") or None
    if digest is not None:
        inputs.digest(digest)
    schedules = dashboard().schedule
    if action == "queue_now":
        result = schedules.enqueue(name, digest, current_settings().schedule_file)
    elif digest is None:
        raise PageError(400, "Bad request", "Only a persistent schedule can be deleted.")
    else:
        result = schedules.remove(name, digest)
    if result.count:
        record(ACTIONS[action], name, result)
    notify(result.ok, result.message)
    return redirect(url_for(".schedule"), 303)
