"""``/api/v1/retry``: the jobs waiting to retry as JSON (``?page=&per_page=``), the same
rows as ``/retry``; ``/api/v1/retry/<timestamp>``: one time's jobs with their retry state.
Field names follow :mod:`resque_web.web.api`; times are ISO 8601 in UTC, or null."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, jsonify

from ....model import RetryJob
from ...paging import page_args
from ...request import dashboard
from ...shapes import iso
from ..scheduler.api import row_json
from .pages import PAGES

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/api/v1/retry", "api_retry", api_retry)
    bp.add_url_rule("/api/v1/retry/<timestamp>", "api_retry_timestamp", api_retry_timestamp)


def retry_json(row: RetryJob) -> dict[str, Any]:
    """A delayed job as ``/api/v1/delayed/<timestamp>`` shows it, and its retry state."""
    failure = row.failure
    return {
        **row_json(row.delayed),
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
    epoch = PAGES.epoch_from(timestamp)
    page = PAGES.jobs_at(dashboard().retries.timestamp, epoch, page=False)
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
