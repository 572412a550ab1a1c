"""JSON twins of the scheduler's tabs: ``/api/v1/delayed`` (totals and a page of times, or
``?class=&args=`` search matches), ``/api/v1/delayed/<timestamp>`` and ``/api/v1/schedule``.

Same shapes and field names as every endpoint (:mod:`resque_web.web.shapes`: a page
object, a job's ``class``, ``args``, ``payload_class``, ``raw``, ``error``; times ISO 8601
in UTC), plus a delayed job's queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, url_for

from ....model import DelayedJob, DelayedTimestamp, Job, ScheduleRow
from ....model.delayed import epoch_time
from ...paging import page_args
from ...request import current_settings, dashboard
from ...shapes import iso, job_json, page_json
from .delayed import PAGES, counted, run_search, search_terms

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/api/v1/delayed", "api_delayed", api_delayed)
    bp.add_url_rule("/api/v1/delayed/<timestamp>", "api_delayed_timestamp", api_timestamp)
    bp.add_url_rule("/api/v1/schedule", "api_schedule", api_schedule)


def timestamp_json(row: DelayedTimestamp) -> dict[str, Any]:
    epoch = row.epoch
    return {
        "timestamp": epoch if epoch is not None else row.member,
        "at": iso(row.at),
        "size": row.size if row.size >= 0 else None,  # null: delayed:<t> is not a list
        "first": None if row.first is None else delayed_job_json(row.first),
        "url": None if epoch is None else url_for(".api_delayed_timestamp", timestamp=epoch),
    }


def delayed_job_json(job: Job) -> dict[str, Any]:
    """A delayed item as every JSON endpoint shows a job, plus the queue it is due on."""
    data = job.payload
    queue = data.get("queue") if isinstance(data, dict) else None
    return {**job_json(job), "queue": queue if isinstance(queue, str) else None}


def row_json(row: DelayedJob) -> dict[str, Any]:
    return {
        "timestamp": row.epoch,
        "at": iso(row.at),
        "index": row.index,
        "digest": row.digest,
        **delayed_job_json(row.job),
    }


def api_delayed() -> Response:
    args = page_args(newest_first_default=False)
    class_text, args_text = search_terms()
    summary, page = dashboard().delayed.overview(args.page, args.per_page)
    totals = {
        "timestamps": summary.timestamps,
        # Jobs over the `jobs_counted` oldest timestamps (all of them when `jobs_exact`).
        "jobs": summary.jobs,
        "jobs_counted": summary.counted,
        "jobs_exact": summary.jobs_exact,
        "due": summary.due,
        "oldest": summary.oldest,
        "oldest_at": iso(summary.oldest_at),
        "lag_seconds": round(summary.lag, 3),
    }
    totals_asked = counted()  # ?count=1: every job counted (complete: false if cut short)
    if totals_asked is not None:
        totals.update(
            jobs=totals_asked.jobs,
            jobs_counted=summary.timestamps if totals_asked.complete else None,
            jobs_exact=totals_asked.complete,
        )
    if not (class_text or args_text):
        return jsonify({**totals, **page_json(page, [timestamp_json(r) for r in page.items])})
    found = run_search(class_text, args_text, args.page, args.per_page)
    shown = found.rows[(args.page - 1) * args.per_page :]
    return jsonify(
        {
            **totals,
            "filter": {"class": class_text, "args": args_text},
            "complete": found.complete,  # false: the search ran out of time
            "more": found.more,  # true: it stopped at this page; there may be more
            "read": found.read,
            "page": args.page,
            "per_page": args.per_page,
            "items": [row_json(r) for r in shown],
        }
    )


def api_timestamp(timestamp: str) -> Response:
    epoch = PAGES.epoch_from(timestamp)
    page = PAGES.jobs_at(dashboard().delayed.timestamp, epoch, page=False)
    body = page_json(page, [row_json(r) for r in page.items])
    return jsonify({"timestamp": epoch, "at": iso(epoch_time(epoch)), **body})


def schedule_row_json(row: ScheduleRow) -> dict[str, Any]:
    config = row.config if isinstance(row.config, dict) else {}
    return {
        "name": row.name,
        "source": "persistent" if row.persistent else "file",
        "digest": row.digest,
        "interval": row.interval,
        "cron": config.get("cron"),
        "every": config.get("every"),
        "class": row.class_name,
        "queue": row.queue,
        "args": row.args,
        "description": row.description,
        "next_run": iso(row.next_run),
        "every_seconds": row.every_seconds,
        "last_enqueued_at": iso(row.last_enqueued_at),
        "last_enqueued_text": row.last_enqueued,
        "error": row.error,
        "warnings": row.warnings,
        "config": row.config,
    }


def api_schedule() -> Response:
    view = dashboard().schedule.view(current_settings().schedule_file)
    return jsonify(
        {
            "master": view.master,
            "master_ttl": view.master_ttl,
            "pending_reloads": view.changed,
            "file": view.file,
            "file_errors": [{"name": e.name, "reason": e.reason} for e in view.file_errors],
            "now": iso(view.now),
            "items": [schedule_row_json(r) for r in view.rows],
        }
    )
