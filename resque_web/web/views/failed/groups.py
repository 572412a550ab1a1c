"""``/failed/groups``: failures grouped by exception class and message fingerprint, each
with its counts, first and last seen, queues and classes, an example, a link to its
filtered list and its own retry and remove (through the bulk preview). Everything but the
examples (one round trip for the page's groups) comes from the failure index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from ....model import INDEX_WAIT, FailedJob, GroupSummary
from ....payload import bounded
from ...request import dashboard, render_page
from .common import failed_url, filter_from, list_from

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

MAX_GROUPS = 200


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed/groups", "failed_groups", groups)
    bp.add_url_rule("/api/v1/failed/groups", "api_failed_groups", api_groups)


def _groups(
    wait: float | None,
) -> tuple[str | None, Any, list[GroupSummary] | None, int, dict[str, FailedJob]]:
    failure_list = list_from(request.args)
    where = filter_from(request.args)
    found = dashboard().failures.groups(failure_list, where, wait=wait)
    if found is None:
        return failure_list, where, None, 0, {}
    shown = found[:MAX_GROUPS]
    return failure_list, where, shown, len(found), dashboard().failures.samples(failure_list, shown)


def groups() -> str:
    failure_list, where, shown, total, samples = _groups(INDEX_WAIT)
    return render_page(
        "failed/groups.html",
        title="Failure groups",
        failure_list=failure_list,
        filter=where,
        groups=shown or [],
        total_groups=total,
        failures=sum(g.count for g in shown or []),
        samples=samples,
        counting=None if shown is not None else dashboard().failures.progress(failure_list),
    )


def group_json(
    group: GroupSummary, failure_list: str | None, sample: FailedJob | None
) -> dict[str, Any]:
    return {
        "id": group.id,
        "exception": group.exception,
        "fingerprint": group.fingerprint,
        "count": group.count,
        "retried": group.retried,
        "retried_approximate": group.retried_approximate,
        "first_seen": group.first_seen.isoformat() if group.first_seen else None,
        "last_seen": group.last_seen.isoformat() if group.last_seen else None,
        "queues": [{"name": n, "count": c} for n, c in group.queues],
        "classes": [{"name": n, "count": c} for n, c in group.classes],
        "sample": None
        if sample is None
        else {
            "index": sample.position,  # deprecated: the same as `position`
            "position": sample.position,
            "digest": sample.digest,
            "error": sample.error,
            "class": sample.display_class,
            "args": bounded(sample.display_args),
        },
        "url": failed_url(failure_list, None, group=group.id),
    }


def api_groups() -> Response:
    failure_list, where, shown, total, samples = _groups(None)  # a script would rather wait
    items = [group_json(g, failure_list, samples.get(g.id)) for g in shown or []]
    return jsonify(
        {"list": failure_list, "filter": where.to_args(), "total_groups": total, "groups": items}
    )
