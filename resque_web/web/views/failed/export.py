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

from ....model import FailedJob
from ...request import dashboard
from .common import filter_from, list_from, list_name

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

COLUMNS = (
    "index", "digest", "queue", "worker", "failed_at", "retried_at", "exception", "error",
    "class", "args", "payload_class", "backtrace",
)  # fmt: skip


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/failed/export.<any(ndjson, csv):kind>", "failed_export", export)


def row(failure: FailedJob) -> dict[str, object]:
    job = failure.job
    return {
        "index": failure.index,
        "digest": failure.digest,
        "queue": failure.queue,
        "worker": failure.worker,
        "failed_at": failure.failed_at_text,
        "retried_at": failure.retried_at_text or None,
        "exception": failure.exception,
        "error": failure.error,
        "class": failure.display_class,
        "args": failure.display_args,
        "payload_class": job.class_name,
        "backtrace": failure.backtrace,
        "raw": failure.raw if failure.parse_error else None,
    }


def ndjson(failures: Iterator[FailedJob]) -> Iterator[str]:
    for failure in failures:
        yield json.dumps(row(failure), ensure_ascii=False) + "\n"


def csv_lines(failures: Iterator[FailedJob]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for failure in failures:
        data = row(failure)
        data["args"] = json.dumps(data["args"], ensure_ascii=False)
        data["backtrace"] = "\n".join(failure.backtrace)
        writer.writerow(["" if data[c] is None else data[c] for c in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def export(kind: str) -> Response:
    queue = list_from(request.args)
    where = filter_from(request.args)
    failures = dashboard().failures.matching(queue, where if where.active else None)
    lines = ndjson(failures) if kind == "ndjson" else csv_lines(failures)
    mimetype = "application/x-ndjson" if kind == "ndjson" else "text/csv"
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", f"{list_name(queue)}.{kind}")
    return Response(
        stream_with_context(lines),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
