"""Error pages in the dashboard's layout (JSON under ``/api``), never a stack trace.

- :class:`PageError` from a view: its status and message (404 unknown queue, 403 refused);
- Redis unreachable or timing out: 503 naming the (masked) URL and what to check. Nothing
  is cached, so the next request after Redis is back simply works;
- a Resque key of the wrong Redis type (WRONGTYPE): 409 naming the key(s) and linking to
  them in the key browser; the dashboard never "fixes" someone else's data by itself;
- Redis refusing writes (a read-only replica, out of memory): 503 saying so;
- anything else: a clean 500 page; the traceback goes to the log, not the browser.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, NoReturn

import redis
from flask import Response, current_app, jsonify, make_response, request, url_for
from werkzeug.exceptions import InternalServerError, RequestEntityTooLarge

from ..connection import mask_url
from ..model import NoSuchFailureList
from ..model.integrity import wrong_types
from .exceptions import PageError
from .request import current_blueprint, render_page
from .security import is_api_request

if TYPE_CHECKING:
    from .blueprint import DashboardBlueprint

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def register(bp: DashboardBlueprint) -> None:
    bp.register_error_handler(PageError, page_error)
    bp.register_error_handler(NoSuchFailureList, no_such_failure_list)
    for error in REDIS_ERRORS:
        bp.register_error_handler(error, redis_unavailable)
    bp.register_error_handler(redis.ResponseError, redis_refused)
    bp.register_error_handler(InternalServerError, server_error)
    bp.register_error_handler(RequestEntityTooLarge, too_large)


def wants_json() -> bool:
    return is_api_request(request)


def error_response(
    status: int,
    title: str,
    message: str,
    back: tuple[str, str] | None = None,
    hints: list[str] | None = None,
) -> Response:
    """The error as a page in the layout, or as JSON under /api."""
    if wants_json():
        body: dict[str, object] = {"error": title, "message": message, "status": status}
        if hints:
            body["hints"] = hints
        response = jsonify(body)
    else:
        if back is None:
            back = ("Back to the overview", url_for(".overview"))
        response = make_response(
            render_page(
                "errors/error.html",
                status=status,
                title=title,
                message=message,
                back=back,
                hints=hints,
            )
        )
    response.status_code = status
    return response


def page_error(error: PageError) -> Response:
    return error_response(error.status, error.title, error.message, error.back)


def no_such_failure_list(error: NoSuchFailureList) -> Response:
    """The one 404 for a per-queue failure list that is not there (the model raises it)."""
    return error_response(
        404, "No such failure list", str(error), back=("All failures", url_for(".failed"))
    )


def redis_unavailable(error: Exception) -> Response:
    settings = current_blueprint().settings
    url = mask_url(settings.redis_url)
    kind = "timed out" if isinstance(error, redis.TimeoutError) else "is unreachable"
    current_app.logger.warning("resque-web: Redis at %s %s: %s", url, kind, error)
    hints = [
        f"Is redis-server running and reachable from this machine at {url}?",
        "Is the URL right? Set it with --redis or REDIS_URL (the password, too).",
        "Is Redis overloaded, loading its data set, or out of memory? Look at its log.",
    ]
    if not wants_json():
        hints.append("With live poll on, this page recovers by itself once Redis answers again.")
    response = error_response(
        503,
        "Redis is unavailable",
        f"Redis at {url} {kind} ({type(error).__name__}: {error}).",
        back=("Try again", request.path),
        hints=hints,
    )
    response.headers["Retry-After"] = "5"
    return response


def redis_refused(error: redis.ResponseError) -> Response:
    """Redis answered with an error: a key of the wrong type, or a server that takes no
    writes. Anything else is a bug: the clean 500."""
    if "WRONGTYPE" in str(error):
        return wrong_type(error)
    if isinstance(error, (redis.exceptions.ReadOnlyError, redis.exceptions.OutOfMemoryError)):
        url = mask_url(current_blueprint().settings.redis_url)
        current_app.logger.warning("resque-web: Redis at %s refused: %s", url, error)
        reason = (
            "is a read-only replica"
            if isinstance(error, redis.exceptions.ReadOnlyError)
            else "is out of memory (maxmemory)"
        )
        return error_response(
            503,
            "Redis refused the change",
            f"Redis at {url} {reason}, so nothing was changed ({error}).",
            back=("Back", request.path),
        )
    return internal_error(error)


def wrong_type(error: redis.ResponseError) -> Response:
    bp = current_blueprint()
    args = request.view_args or {}
    queues = [v for k, v in args.items() if k in ("name", "queue") and isinstance(v, str)]
    workers = [v for k, v in args.items() if k in ("worker_id", "target") and isinstance(v, str)]
    try:
        found = wrong_types(bp.resque.redis, bp.resque.keys, queues, workers)
    except redis.RedisError:
        found = []
    current_app.logger.warning(
        "resque-web: %s on %r: %s; keys of the wrong type: %s",
        type(error).__name__,
        request.path,
        error,
        ", ".join(f"{w.name} ({w.actual}, not {w.expected})" for w in found) or "not found",
    )
    if not found:
        return error_response(
            409,
            "Unexpected data in Redis",
            f"A Redis key this page reads holds the wrong kind of value ({error}). Look for "
            "it in the key browser; the dashboard does not change it for you.",
            back=("Key browser", url_for(".stats_keys")),
        )
    described = "; ".join(
        f"{bp.resque.keys.key(w.name)} is a {w.actual} where Resque keeps a {w.expected}"
        for w in found
    )
    return error_response(
        409,
        "Unexpected data in Redis",
        f"This page cannot be shown: {described}. Something other than Resque wrote there. "
        "The dashboard does not change it for you: look at it in the key browser, then fix "
        "or delete it.",
        back=(f"Look at {found[0].name}", url_for(".stats_key", key=found[0].name)),
        hints=[
            f"redis-cli DEL {shlex.quote(bp.resque.keys.key(w.name))} removes it." for w in found
        ],
    )


def too_large(error: RequestEntityTooLarge) -> Response:
    """A body over the dashboard's request limit (see web/limits.py): 413, nothing done."""
    return error_response(
        413,
        "Request too large",
        "The request was larger than this dashboard accepts, so nothing was done. Act on "
        "fewer failures at a time, or use \u201cRetry all matching\u201d with a filter.",
        back=("Back", request.path),
    )


def server_error(error: InternalServerError) -> Response:
    return internal_error(error.original_exception or error)


def internal_error(original: BaseException) -> Response:
    current_app.logger.error(
        "resque-web: error on %r",  # %r: a path may hold a newline
        request.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    return error_response(
        500,
        "Something went wrong",
        "The dashboard hit an unexpected error reading this page. The details are in the "
        "server's log; the data in Redis was not changed by viewing it.",
    )


def not_found_page(unknown: str) -> NoReturn:
    """Any URL under the dashboard that matches no page."""
    raise PageError(404, "Page not found", f"There is no dashboard page at /{unknown}.")
