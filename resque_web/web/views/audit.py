"""``/audit``: every mutation made through the dashboard, newest first, with the undo of
clears and removals while their holding list lives (``POST /audit/<id>/restore``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import jsonify, redirect, url_for
from werkzeug.wrappers import Response

from ..paging import page_args
from ..recording import audit_log, audit_user
from ..request import current_settings, notify, render_page
from ..security import require
from ..tabs import Tab

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/audit", "audit", audit)
    bp.add_url_rule("/audit/<entry_id>/restore", "audit_restore", restore, methods=["POST"])
    bp.add_url_rule("/api/v1/audit", "api_audit", api_audit)
    bp.tabs.register(Tab("audit", "Audit", ".audit", 70))


def audit() -> str:
    args = page_args(newest_first_default=True, per_page_default=50)
    page = audit_log().page(args.page, args.per_page)
    return render_page(
        "audit/index.html",
        title="Audit log",
        page=page,
        undo_ttl=current_settings().undo_ttl,
    )


def restore(entry_id: str) -> Response:
    require(current_settings(), "failed.restore")
    result = audit_log().restore(entry_id, audit_user())
    notify(result.ok, result.message)
    return redirect(url_for(".audit"), 303)


def api_audit() -> Response:
    args = page_args(newest_first_default=True, per_page_default=50)
    log = audit_log()
    page = log.page(args.page, args.per_page)
    return jsonify(
        {
            "page": page.number,
            "per_page": page.per_page,
            "total": page.total,
            "pages": page.pages,
            "items": [log.as_json(e) for e in page.items],
        }
    )
