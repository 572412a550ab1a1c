"""``/statuses``: resque-status jobs (Ruby's or :class:`~resque_web.StatusJob`), newest
first, by state; ``/statuses/<uuid>``: one job, refreshing itself while it runs; kill and
clear; and the JSON an app's own page polls, ``/api/v1/statuses/<uuid>``.

The tab shows only where ``_statuses`` has something, asked at most every
``TAB_CACHE_SECONDS`` per process (and always on the tab's own pages)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from ...model import Page, StatusRow
from ...status import CLEARABLE, STATES, Found, Status
from .. import inputs
from ..exceptions import PageError
from ..paging import page_args
from ..recording import record
from ..remembered import Remembered
from ..request import current_settings, dashboard, notify, render_page
from ..security import require
from ..tabs import Tab, register_tab

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

PER_PAGE = 50
TAB_CACHE_SECONDS = 10.0
BACK_FIELDS = ("page", "per_page", "state", "from")


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/statuses", "statuses", statuses)
    bp.add_url_rule("/statuses/clear", "statuses_clear", clear, methods=["POST"])
    bp.add_url_rule("/statuses/<uuid>", "status", status)
    bp.add_url_rule("/statuses/<uuid>/kill", "status_kill", kill, methods=["POST"])
    bp.add_url_rule("/api/v1/statuses", "api_statuses", api_statuses)
    bp.add_url_rule("/api/v1/statuses/<uuid>", "api_status", api_status)
    register_tab(bp, Tab("statuses", "Statuses", ".statuses", 68, StatusesShown()))


class StatusesShown:
    """``Tab.visible`` for Statuses: always on its own pages, elsewhere where ``_statuses``
    holds anything (remembered per process, see :mod:`resque_web.web.remembered`)."""

    def __init__(self, ttl: float = TAB_CACHE_SECONDS) -> None:
        self._present = Remembered(lambda d: d.statuses.present(), ttl, "resque-web-status-tab")

    def __call__(self) -> bool:
        if (request.endpoint or "").rpartition(".")[2] in ("statuses", "status"):
            return True
        return self._present()


# Pages -------------------------------------------------------------------------------------
def state_arg() -> str | None:
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        raise PageError(
            400,
            "Unknown state",
            f"{state[:40]!r} is not a status state; use one of {', '.join(STATES)}.",
            back=("All statuses", url_for(".statuses")),
        )
    return state


def offset_arg() -> int:
    value = request.args.get("from") or "0"
    return inputs.list_index(value)


def statuses() -> str:
    args = page_args(newest_first_default=True, per_page_default=PER_PAGE)
    state = state_arg()
    d = dashboard()
    page: Page[StatusRow] | None = None
    found: Found | None = None
    if state is None:
        page = d.statuses.page(args.page, args.per_page)
    else:
        found = d.statuses.find(state, offset_arg(), args.per_page)
    rows: list[tuple[str, Status | None]] = (
        [(row.uuid, row.status) for row in page.items]
        if page is not None
        else [(s.uuid, s) for s in found.statuses]  # type: ignore[union-attr]
    )
    return render_page(
        "statuses/index.html",
        title="Statuses",
        page=page,
        found=found,
        rows=rows,
        total=page.total if page is not None else found.total,  # type: ignore[union-attr]
        state=state,
        states=STATES,
        per_page=args.per_page,
        show_order=False,
        clearable=CLEARABLE,
        back_fields=[(k, v) for k in BACK_FIELDS if (v := request.args.get(k))],
    )


def status(uuid: str) -> str:
    found = dashboard().statuses.get(uuid)
    if found is None:
        raise PageError(
            404,
            "No such status",
            f"There is no status {uuid!r}: it was never created, or it was cleared, or it expired.",
            back=("All statuses", url_for(".statuses")),
        )
    return render_page("statuses/show.html", title=f"Status {uuid}", status=found, states=STATES)


# Actions -----------------------------------------------------------------------------------
def back_url() -> str:
    """Back to the view the form was on: only its paging and filter fields."""
    carried = {k: request.form[k] for k in BACK_FIELDS if request.form.get(k)}
    if request.form.get("from_status"):
        return url_for(".status", uuid=request.form["from_status"])
    return url_for(".statuses", **carried)


def kill(uuid: str) -> Response:
    require(current_settings(), "status.kill")
    result = dashboard().statuses.kill(uuid)
    if result.ok:
        record("status.kill", uuid, result)
    notify(result.ok, result.message)
    return redirect(back_url(), 303)


def clear() -> Response:
    require(current_settings(), "status.clear")
    which = request.form.get("which", "")
    if which not in CLEARABLE:
        raise PageError(400, "Bad request", f"Clear what? One of {', '.join(CLEARABLE)}.")
    result = dashboard().statuses.clear(which)
    record("status.clear", which, result)
    notify(result.ok, result.message)
    return redirect(back_url(), 303)


# JSON --------------------------------------------------------------------------------------
def status_json(uuid: str, found: Status | None) -> dict[str, Any]:
    """The status object as Ruby's resque-status serves it (plus ``pct_complete``); a uuid
    listed whose value has expired is ``{"uuid", "status": null, "expired": true}``."""
    if found is None:
        return {"uuid": uuid, "status": None, "expired": True, "pct_complete": 0}
    return found.to_json()


def api_status(uuid: str) -> Response:
    """The status an app's page polls: its keys in stored order, as Ruby serves it."""
    found = dashboard().statuses.get(uuid)
    if found is None:
        raise PageError(404, "No such status", f"There is no status {uuid!r}.")
    body = json.dumps(found.to_json(), ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype="application/json")


def api_statuses() -> Response:
    """A page of statuses newest first (``?page=&per_page=``), or with ``?state=`` a
    bounded search from position ``?from=`` (``next_from`` continues it)."""
    args = page_args(newest_first_default=True, per_page_default=PER_PAGE)
    state = state_arg()
    d = dashboard()
    if state is None:
        page = d.statuses.page(args.page, args.per_page)
        return jsonify(
            {
                "page": page.number,
                "per_page": page.per_page,
                "total": page.total,
                "pages": page.pages,
                "order": "newest",
                "items": [status_json(row.uuid, row.status) for row in page.items],
            }
        )
    found = d.statuses.find(state, offset_arg(), args.per_page)
    return jsonify(
        {
            "state": state,
            "from": found.offset,
            "read": found.read,
            "next_from": None if found.exhausted else found.next_offset,
            "total": found.total,
            "order": "newest",
            "items": [s.to_json() for s in found.statuses],
        }
    )
