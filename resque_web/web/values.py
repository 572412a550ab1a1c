"""Long values: pages show the first ``PREVIEW`` characters, and link to the whole value.

A job's arguments, an error message or a key's content may be megabytes. A page quoting
them in full (often twice: a summary and a ``<details>``) gets slow to send and render, so
templates clip them (the ``clip`` filter, the ``long_text`` macro) and link here: the key
browser's ``?raw=1`` view answers one value as ``text/plain``. The link carries the value's
SHA-1 when the value sits in a list that moves (a queue, a failure list), so it never
shows a different job than the one the page listed.
"""

from __future__ import annotations

from flask import Response, g, request, url_for

from ..exact import is_exact_text, to_bytes
from ..failure import FailedJob
from ..failure.record import digest as sha1
from ..model.keyspace import STRING_PREVIEW
from . import inputs
from .exceptions import PageError
from .formatting import PREVIEW
from .paging import path_url, query_string
from .request import current_blueprint, dashboard

# A queue item longer than this is deleted by position and digest, not by carrying it back.
FORM_VALUE_LIMIT = 16_384


def value_url(
    key: str, index: int | None = None, field: str | None = None, digest: str | None = None
) -> str:
    """The raw view of one value of ``key`` (a name without the namespace). The key's
    path is built once per request (a page links a value on every row)."""
    link = g.get("resque_web_value_url")
    if link is None:
        link = g.resque_web_value_url = path_url(".stats_key", "key")
    return link(key) + query_string({"raw": 1, "index": index, "field": field, "digest": digest})


def queue_item_url(queue: str, index: int, raw: str) -> str:
    keys = current_blueprint().resque.keys
    return value_url(keys.strip(keys.queue(queue)), index=index, digest=sha1(raw))


def failure_url(failure: FailedJob) -> str:
    keys = current_blueprint().resque.keys
    key = keys.failed if failure.list_queue is None else keys.failed_queue(failure.list_queue)
    return value_url(keys.strip(key), index=failure.position, digest=failure.digest)


def worker_job_url(worker_id: str) -> str:
    keys = current_blueprint().resque.keys
    return value_url(keys.strip(keys.worker(worker_id)))


TEMPLATE_GLOBALS = {
    "value_url": value_url,
    "queue_item_url": queue_item_url,
    "failure_url": failure_url,
    "worker_job_url": worker_job_url,
    "form_value_limit": FORM_VALUE_LIMIT,
    "is_exact_text": is_exact_text,
    "preview_limit": PREVIEW,
    "string_preview_bytes": STRING_PREVIEW,
}


def whole_value(key: str) -> Response:
    """``/stats/keys/<key>?raw=1[&index=N|&field=F][&digest=SHA1]``: one value, whole."""
    back = ("Back to the key", url_for(".stats_key", key=key))
    index_text, digest = request.args.get("index"), request.args.get("digest")
    index = None if index_text is None else inputs.list_index(index_text)
    if digest is not None:
        inputs.digest(digest)
    value = dashboard().keyspace.element(key, index=index, field=request.args.get("field"))
    if value is None:
        raise PageError(404, "No such value", f"Key {key!r} holds no such value.", back=back)
    if digest is not None and sha1(value) != digest:
        raise PageError(
            404,
            "Value moved",
            "That position now holds a different value (the list changed since the page was "
            "shown). Reload the page you came from.",
            back=back,
        )
    return Response(to_bytes(value), mimetype="text/plain")  # the stored bytes, exactly
