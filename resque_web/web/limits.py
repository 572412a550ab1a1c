"""How much one request may ask of the dashboard (issue 10: a 149 KB selection POST read
980 MB out of Redis). Each limit makes a request's cost proportional to what a page can
legitimately send; :mod:`resque_web.failure.locate` bounds the work per selected row and
:mod:`resque_web.model.failures.search` the concurrent text searches.

Set per request, so they hold when the dashboard is mounted in a host app whose own
``MAX_CONTENT_LENGTH`` is larger (or unset).
"""

from __future__ import annotations

from flask import Request

# A request body: an edited job's arguments are the largest thing a form carries.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Form fields in one request (a selection sends one per row).
MAX_FORM_PARTS = 1000
# Rows one selection POST may name: a page shows at most 100.
MAX_SELECTED_ROWS = 200


def apply(req: Request) -> None:
    """Install the limits before anything reads the body (413 beyond them)."""
    req.max_content_length = MAX_BODY_BYTES
    req.max_form_memory_size = MAX_BODY_BYTES
    req.max_form_parts = MAX_FORM_PARTS
