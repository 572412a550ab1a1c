"""``/failed/export.ndjson`` and ``/failed/export.csv``: the filtered failures, streamed.

The list is read a chunk at a time and each line is sent as it is made, so exporting
100,000 failures holds one chunk in memory, not the list. The filter is the page's.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flask import Response, request, stream_with_context

from ....exact import to_bytes
from ....model import FailedJob
from ....payload import bounded, display_json
from ...formatting import iso_time
from ...request import dashboard
from .common import filter_from, list_from, list_name

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

# failed_at / retried_at are the text as stored (the writer's zone, e.g. "... EST");
# the *_utc columns are the instants in UTC, ISO 8601, empty when the zone is unknown.
COLUMNS = (
    "index", "digest", "queue", "worker", "failed_at", "retried_at", "failed_at_utc",
    "retried_at_utc", "exception", "error", "class", "args", "payload_class", "backtrace",
)  # fmt: skip


# What makes Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed/export.<any(ndjson, csv):kind>", "failed_export", export)


def row(failure: FailedJob) -> dict[str, object]:
    job = failure.job
    return {
        "index": failure.position,
        "digest": failure.digest,
        "queue": failure.queue,
        "worker": failure.worker,
        "failed_at": failure.failed_at_text,
        "retried_at": failure.retried_at_text or None,
        "failed_at_utc": iso_time(failure.failed_at) or None,
        "retried_at_utc": iso_time(failure.retried_at) or None,
        "exception": failure.exception,
        "error": failure.error,
        "class": failure.display_class,
        "args": bounded(failure.display_args),
        "payload_class": job.class_name,
        "backtrace": failure.backtrace,
        "raw": failure.raw if failure.parse_error else None,
    }


def ndjson(failures: Iterator[FailedJob]) -> Iterator[bytes]:
    for failure in failures:
        yield to_bytes(json.dumps(row(failure), ensure_ascii=False) + "\n")  # as stored


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs: a text cell that starts with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice for
    CSV injection); the rest of it is kept as stored. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(failures: Iterator[FailedJob]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield to_bytes(buffer.getvalue())
    buffer.seek(0)
    buffer.truncate()
    for failure in failures:
        data = row(failure)
        data["args"] = display_json(data["args"])
        data["backtrace"] = "\n".join(failure.backtrace)
        writer.writerow([csv_cell("" if data[c] is None else data[c]) for c in COLUMNS])
        yield to_bytes(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()


def export(kind: str) -> Response:
    failure_list = list_from(request.args)
    where = filter_from(request.args)
    failures = dashboard().failures.matching(failure_list, where if where.active else None)
    lines = ndjson(failures) if kind == "ndjson" else csv_lines(failures)
    mimetype = "application/x-ndjson" if kind == "ndjson" else "text/csv"
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", f"{list_name(failure_list)}.{kind}")
    return Response(
        stream_with_context(lines),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
