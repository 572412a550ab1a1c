"""The JSON shapes every ``/api/v1/`` endpoint shares: a time, a job, a page of items.

Kept apart from :mod:`.api` (which imports the failed views) so the plugin tabs' JSON twins
can use the same shapes without importing each other's views.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..model import Job, Page
from ..payload import bounded


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, or None: the one time format of the API."""
    return value.astimezone(timezone.utc).isoformat() if value else None


def job_json(job: Job) -> dict[str, Any]:
    return {
        "class": job.display_class,
        "args": bounded(job.display_args),  # JSON encoders recurse: cut what is too deep
        "payload_class": job.class_name,
        "raw": job.raw,
        "error": job.error,
    }


def page_json(page: Page[Any], items: list[Any]) -> dict[str, Any]:
    return {
        "page": page.number,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "order": "newest" if page.newest_first else "oldest",
        "items": items,
    }
