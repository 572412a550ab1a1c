"""``/stats/history`` and ``/api/v1/history``: the graphs of the past, from the samples the
dashboard takes itself (:mod:`resque_web.model.history`), and the sampler that takes them:
one daemon thread per blueprint, started by its first request, so no page waits for it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from flask import Response, current_app, jsonify, request, url_for

from ...model import History, Sampler
from ...model.history import RESOLUTIONS
from ..exceptions import PageError
from ..request import current_blueprint, dashboard, render_page
from ..settings import as_bool

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/stats/history", "stats_history", stats_history)
    bp.add_url_rule("/api/v1/history", "api_history", api_history)
    bp.before_request(start_sampler)


def sampling_on(bp: DashboardBlueprint) -> bool:
    """The ``history`` setting (``RESQUE_WEB_HISTORY``); unset, on except in a TESTING app
    or where the environment turns it off (the test suite: tests sample by hand)."""
    wanted = bp.settings.history
    if wanted is not None:
        return wanted
    return as_bool(os.environ.get("RESQUE_WEB_HISTORY", "1")) and not current_app.testing


def start_sampler() -> None:
    """On this blueprint's first request in this process, start its sampler thread."""
    bp = current_blueprint()
    if getattr(bp, "history_sampler", None) is not None or not sampling_on(bp):
        return
    sampler = Sampler(History(bp.resque))
    bp.history_sampler = sampler  # type: ignore[attr-defined]
    sampler.start()


def resolution_arg(back: tuple[str, str]) -> str:
    resolution = request.args.get("resolution", "minute")
    if resolution not in RESOLUTIONS:
        raise PageError(
            400,
            "Unknown resolution",
            f"resolution must be one of {', '.join(RESOLUTIONS)}, not {resolution!r}.",
            back=back,
        )
    return resolution


def stats_history() -> str:
    resolution = resolution_arg(back=("History", url_for(".stats_history")))
    series = dashboard().history.series(resolution)
    return render_page(
        "stats/history.html",
        title="History",
        series=series,
        latest=series.latest(),
        resolution=resolution,
        resolutions=list(RESOLUTIONS),
        sampling=sampling_on(current_blueprint()),
    )


def api_history() -> Response:
    resolution = resolution_arg(back=("History", url_for(".stats_history")))
    return jsonify(dashboard().history.series(resolution).to_json())
