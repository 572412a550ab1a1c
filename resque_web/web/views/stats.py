"""``/stats/resque``, ``/stats/redis``, the key browser ``/stats/keys`` (SCAN, a cursor per
page, never KEYS), one key ``/stats/keys/<key>``, and ``/stats.txt`` for scrapers."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from flask import Response, redirect, request, url_for

from ...exact import to_bytes
from .. import inputs
from ..exceptions import PageError
from ..paging import MAX_PAGE
from ..request import dashboard, render_page
from ..values import whole_value

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

KEYS_PER_SCAN = 50
# Labels as Ruby's resque-web prints Resque.info, where "failed" is the failures stored
# (LLEN failed); Resque's stat:failed counter gets a label of its own. The keys are the
# field names /api/v1/stats keeps.
STAT_LABELS = {"failed_listed": "failed", "failed": "failed (counter)"}


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/stats", "stats", stats)
    bp.add_url_rule("/stats/resque", "stats_resque", stats_resque)
    bp.add_url_rule("/stats/redis", "stats_redis", stats_redis)
    bp.add_url_rule("/stats/keys", "stats_keys", stats_keys)
    bp.add_url_rule("/stats/keys/<path:key>", "stats_key", stats_key, merge_slashes=False)
    bp.add_url_rule("/stats.txt", "stats_txt", stats_txt)


def stats() -> Response:
    return redirect(url_for(".stats_resque"))


def stats_resque() -> str:
    d = dashboard()
    numbers = asdict(d.stats.resque())
    rows = sorted((STAT_LABELS.get(field, field), field, value) for field, value in numbers.items())
    return render_page(
        "stats/resque.html",
        title="Resque stats",
        stats=rows,
        server=d.stats.server(),
    )


def stats_redis() -> str:
    d = dashboard()
    return render_page(
        "stats/redis.html",
        title="Redis stats",
        info=sorted(d.stats.redis_info().items()),
        server=d.stats.server(),
    )


def stats_keys() -> str:
    start = ("Start over", url_for(".stats_keys"))
    cursor = inputs.cursor(request.args.get("cursor"), back=start)
    match = inputs.match_pattern(request.args.get("match"), back=start)
    next_cursor, keys = dashboard().keyspace.scan(cursor, KEYS_PER_SCAN, match)
    return render_page(
        "stats/keys.html",
        title="Keys",
        keys=keys,
        cursor=cursor,
        next_cursor=next_cursor,
        match=match or "",
    )


def stats_key(key: str) -> str | Response:
    if request.args.get("raw"):
        return whole_value(key)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    cursor = inputs.cursor(
        request.args.get("cursor"), back=("Start over", url_for(".stats_key", key=key))
    )
    content = dashboard().keyspace.read(key, page=page, per_page=50, cursor=cursor)
    if content is None:
        raise PageError(
            404,
            "No such key",
            f"There is no key {key!r} in this namespace (it may have expired or been deleted).",
            back=("All keys", url_for(".stats_keys")),
        )
    return render_page("stats/key.html", title=f"Key {key}", key=key, content=content)


def stats_txt() -> Response:
    """resque-web's ``/stats.txt``: ``name=value`` lines (``+=`` for ever-growing counters)."""
    numbers, sizes = dashboard().stats.with_queue_sizes()  # one round trip
    lines = [
        f"resque.pending={numbers.pending}",
        f"resque.processed+={numbers.processed}",
        f"resque.failed+={numbers.failed_listed}",  # resque-web: failures kept, not the counter
        f"resque.workers={numbers.workers}",
        f"resque.working={numbers.working}",
    ]
    lines += [f"queues.{name}={size}" for name, size in sizes]
    return Response(to_bytes("\n".join(lines)), mimetype="text/plain")  # names byte for byte
