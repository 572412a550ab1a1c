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
    queue = list_from(request.args)
    where = filter_from(request.args)
    found = dashboard().failures.groups(queue, where, wait=wait)
    if found is None:
        return queue, where, None, 0, {}
    shown = found[:MAX_GROUPS]
    return queue, where, shown, len(found), dashboard().failures.samples(queue, shown)


def groups() -> str:
    queue, where, shown, total, samples = _groups(INDEX_WAIT)
    return render_page(
        "failed/groups.html",
        title="Failure groups",
        queue=queue,
        filter=where,
        groups=shown or [],
        total_groups=total,
        failures=sum(g.count for g in shown or []),
        samples=samples,
        counting=None if shown is not None else dashboard().failures.progress(queue),
    )


def group_json(group: GroupSummary, queue: str | None, sample: FailedJob | None) -> dict[str, Any]:
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
            "index": sample.index,
            "digest": sample.digest,
            "error": sample.error,
            "class": sample.display_class,
            "args": bounded(sample.display_args),
        },
        "url": failed_url(queue, None, group=group.id),
    }


def api_groups() -> Response:
    queue, where, shown, total, samples = _groups(None)  # a script would rather wait
    items = [group_json(g, queue, samples.get(g.id)) for g in shown or []]
    return jsonify(
        {"list": queue, "filter": where.to_args(), "total_groups": total, "groups": items}
    )
