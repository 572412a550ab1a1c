"""``/api/v1/retry``: the jobs waiting to retry as JSON (``?page=&per_page=``), the same
rows as ``/retry``; ``/api/v1/retry/<timestamp>``: one time's jobs with their retry state.
Field names follow :mod:`resque_web.web.api`; times are ISO 8601 in UTC, or null."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify

from ....model import RetryJob
from ....model.delayed import TimestampNotFound
from ...exceptions import PageError
from ...paging import page_args
from ...request import dashboard
from .pages import epoch_from

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/api/v1/retry", "api_retry", api_retry)
    bp.add_url_rule("/api/v1/retry/<timestamp>", "api_retry_timestamp", api_retry_timestamp)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def retry_json(row: RetryJob) -> dict[str, Any]:
    job, failure = row.job, row.failure
    data = job.payload
    queue = data.get("queue") if isinstance(data, dict) else None
    return {
        "timestamp": row.epoch,
        "at": iso(row.delayed.at),
        "index": row.index,
        "digest": row.digest,
        "class": job.display_class,
        "args": job.display_args,
        "payload_class": job.class_name,
        "raw": job.raw,
        "error": job.error,
        "queue": queue if isinstance(queue, str) else None,
        "retry_key": row.key.name if row.key else None,
        "attempts": row.attempts,
        "retry": row.retry_number,
        "retry_limit": row.limit,
        "last_error": None
        if failure is None
        else {
            "exception": failure.exception,
            "error": failure.error,
            "backtrace": failure.backtrace,
            "failed_at": iso(failure.failed_at),
            "failed_at_text": failure.failed_at_text,
            "worker": failure.worker,
            "parse_error": failure.parse_error,
        },
    }


def api_retry() -> Response:
    args = page_args(newest_first_default=False)
    scan, rows = dashboard().retries.page(args.page, args.per_page)
    return jsonify(
        {
            "page": args.page,
            "per_page": args.per_page,
            "more": scan.more,
            # false: the scan stopped after reading `read` delayed jobs (oldest first)
            "complete": scan.complete,
            "read": scan.read,
            "total": scan.total,  # null unless complete
            "items": [retry_json(row) for row in rows],
        }
    )


def api_retry_timestamp(timestamp: str) -> Response:
    epoch = epoch_from(timestamp)
    args = page_args(newest_first_default=False)
    try:
        page = dashboard().retries.timestamp(epoch, args.page, args.per_page)
    except TimestampNotFound:
        raise PageError(
            404, "No delayed jobs at that time", f"Nothing is delayed to {epoch}."
        ) from None
    return jsonify(
        {
            "timestamp": epoch,
            "page": page.number,
            "per_page": page.per_page,
            "total": page.total,
            "pages": page.pages,
            "items": [retry_json(row) for row in page.items],
        }
    )
