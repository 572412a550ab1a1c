"""Read-only JSON under ``/api/v1/``: the same data as the pages, with stable field names
(documented in the README's "JSON API" section). Times are ISO 8601 in UTC, or null."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request, url_for

from ..model import FailedJob, QueueNotFound, WorkerInfo
from .exceptions import PageError
from .paging import page_args, path_url
from .request import dashboard
from .shapes import iso, job_json, page_json
from .views.failed import filter_from

if TYPE_CHECKING:
    from .blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/api/v1/stats", "api_stats", api_stats)
    bp.add_url_rule("/api/v1/queues", "api_queues", api_queues)
    bp.add_url_rule("/api/v1/queues/<path:name>", "api_queue", api_queue, merge_slashes=False)
    bp.add_url_rule("/api/v1/workers", "api_workers", api_workers)
    bp.add_url_rule("/api/v1/failed", "api_failed", api_failed)
    bp.add_url_rule(
        "/api/v1/failed/<path:failure_list>", "api_failed_queue", api_failed, merge_slashes=False
    )


def worker_json(worker: WorkerInfo) -> dict[str, Any]:
    job = worker.job
    current = None
    if job is not None:
        current = job_json(job.job)
        current.update(queue=job.queue, run_at=iso(job.run_at), error=job.error)
    return {
        "id": worker.id,
        "host": worker.host,
        "pid": worker.pid,
        "queues": worker.queues,
        "state": worker.state,
        "started_at": iso(worker.started_at),
        "heartbeat_at": iso(worker.heartbeat_at),
        "processed": worker.processed,
        "failed": worker.failed,
        "stale": worker.stale,
        "stale_reason": worker.stale_reason,
        "stale_kind": worker.stale_kind,
        "job": current,
    }


def failure_json(failure: FailedJob) -> dict[str, Any]:
    return {
        "index": failure.position,  # deprecated: the same as `position`
        "position": failure.position,
        "digest": failure.digest,
        "queue": failure.queue,
        "list_queue": failure.list_queue,
        "worker": failure.worker,
        "failed_at": iso(failure.failed_at),
        "failed_at_text": failure.failed_at_text,
        "retried_at": iso(failure.retried_at),
        "retried_at_text": failure.retried_at_text or None,
        "exception": failure.exception,
        "error": failure.error,
        "backtrace": failure.backtrace,
        "parse_error": failure.parse_error,
        "job": job_json(failure.job),
    }


def api_stats() -> Response:
    d = dashboard()
    return jsonify(
        {"namespace": d.resque.namespace, "server": d.stats.server(), **asdict(d.stats.resque())}
    )


QUEUES_PER_PAGE = 100


def api_queues() -> Response:
    """A page of the queues by name (``?page=&per_page=``, 100 a page by default and at
    most): sizes are read for that page only, so a thousand queues answer as fast as ten."""
    args = page_args(newest_first_default=False, per_page_default=QUEUES_PER_PAGE)
    page = dashboard().queues.page_of_names(args.page, args.per_page)
    queue_url = path_url(".api_queue", "name")
    queues = [
        {"name": q.name, "size": q.size, "failed": q.failed, "url": queue_url(q.name)}
        for q in page.items
    ]

    def link(number: int) -> str:
        return url_for(".api_queues", page=number, per_page=page.per_page)

    return jsonify(
        {
            "total": page.total,
            "page": page.number,
            "per_page": page.per_page,
            "pages": page.pages,
            "next": link(page.number + 1) if page.has_next else None,
            "prev": link(page.number - 1) if page.has_prev else None,
            "queues": queues,
        }
    )


def api_queue(name: str) -> Response:
    args = page_args(newest_first_default=False)
    try:
        page = dashboard().queues.page(name, args.page, args.per_page, args.newest_first)
    except QueueNotFound:
        raise PageError(404, "No such queue", f"There is no queue named {name!r}.") from None
    items = [{"index": i, **job_json(job)} for i, job in page.rows()]
    return jsonify({"queue": name, **page_json(page, items)})


def api_workers() -> Response:
    """A page of workers (``?page=&per_page=``, 100 a page by default)."""
    d = dashboard()
    args = page_args(newest_first_default=False, per_page_default=100)
    page = d.workers.page(args.page, args.per_page)
    return jsonify(
        {
            "total": page.total,
            "working": d.workers.working_count(),
            "page": page.number,
            "per_page": page.per_page,
            "pages": page.pages,
            "workers": [worker_json(w) for w in page.items],
        }
    )


def api_failed(failure_list: str | None = None) -> Response:
    # The list: the path, ?list=, or (as before, with per-queue lists) ?queue=; with the
    # single `failed` list, ?queue= filters it by the failures' queue.
    view = dashboard().failures.view(
        failure_list or request.args.get("list") or None,
        filter_from(request.args),
        page_args(newest_first_default=True),
        queue_filter_names_list=True,
    )
    where, page, selection = view.filter, view.page, view.selection
    assert page is not None  # the API always pages
    lists = [{"name": i.name, "queue": i.queue, "count": i.count} for i in view.lists]
    counting = view.counting
    return jsonify(
        {
            "queue": view.list_queue,
            "multi_queue": view.multi,
            "lists": lists,
            "filter": {"class": where.job_class, "exception": where.exception, **where.to_args()},
            "complete": selection is None or selection.complete,
            # Other searches held this process's slots: a short search; try again.
            "busy": selection is not None and selection.busy,
            # A retried filter answered by the index: retries by other tools count from
            # its next rebuild, so `total` may be off by those.
            "approximate": selection is not None and selection.approximate,
            # While the list's index catches up: {indexed, total}; a filter's matches then
            # come from a bounded search, newest first (`complete` says if it read them all).
            "counting": None if counting is None else dict(zip(("indexed", "total"), counting)),
            **page_json(page, [failure_json(f) for f in page.items]),
        }
    )
