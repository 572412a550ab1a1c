"""One dashboard blueprint per Redis instance, under ``<prefix>/<name>/``, and the index
at ``<prefix>/`` listing each instance's headline numbers.

Nothing is shared between instances but the settings they were given: each blueprint
holds its own client (and so its own failure index, keyed by that connection) and knows
its siblings only to link to them. The index reads one summary per instance (one round
trip each, :class:`~resque_web.model.metrics.Metrics`); an instance that cannot be read
is an error row there, and its own pages answer 503 as a lone dashboard's do.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis
from flask import Blueprint, Flask, Response, current_app, make_response, request, url_for

from .. import __version__
from ..connection import mask_url
from ..model.metrics import Metrics, MetricsSummary
from .assets import STATIC
from .blueprint import DashboardBlueprint, Plugin, make_blueprint
from .exceptions import PageError
from .instances import INDEX_BLUEPRINT, Instance
from .paging import hidden_args, url_with
from .security import add_headers, check_request
from .settings import PER_PAGE_CHOICES, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstanceRow:
    """One line of the index: the numbers, or why there are none."""

    name: str
    href: str
    redis: str  # the masked URL
    summary: MetricsSummary | None = None
    error: str | None = None

    @property
    def pending(self) -> int:
        return sum(self.summary.queues.values()) if self.summary else 0


def mount_instances(
    app: Flask,
    settings: Settings,
    instances: Sequence[Instance],
    plugins: Iterable[Plugin],
    prefix: str,
) -> list[DashboardBlueprint]:
    """Register one dashboard per instance at ``<prefix>/<name>`` and the index at
    ``<prefix>/``; returns the dashboards (in the order given)."""
    plugins = list(plugins)
    blueprints = []
    for instance in instances:
        bp = make_blueprint(
            name=instance.blueprint,
            settings=dataclasses.replace(settings, redis_url=instance.url),
            plugins=plugins,
        )
        bp.instance_name = instance.name
        bp.instances = tuple(instances)
        app.register_blueprint(bp, url_prefix=f"{prefix}/{instance.name}")
        blueprints.append(bp)
    app.register_blueprint(index_blueprint(settings, blueprints), url_prefix=prefix or None)
    return blueprints


def index_blueprint(settings: Settings, dashboards: Sequence[DashboardBlueprint]) -> Blueprint:
    """The ``/`` page, gated like every dashboard page (Host, login, ``authorize("view")``).
    Its endpoint is named ``overview`` so the layout's brand link leads back to it."""
    index = Blueprint(
        INDEX_BLUEPRINT, __name__, static_folder=str(STATIC), static_url_path="/static"
    )

    def gate() -> Response | None:
        try:
            return check_request(settings)
        except PageError as error:
            return Response(
                f"{error.title}: {error.message}\n", error.status, mimetype="text/plain"
            )

    def overview() -> Response:
        rows = [instance_row(bp) for bp in dashboards]
        response = make_response(render_index(settings, dashboards[0], rows))
        if any(row.error for row in rows):
            response.headers["Cache-Control"] = "no-store"
        return response

    index.before_request(gate)
    index.after_request(add_headers)
    index.add_url_rule("/", "overview", overview)
    return index


def instance_row(bp: DashboardBlueprint) -> InstanceRow:
    """One summary read; a Redis that cannot be read (down, timing out, refusing) is an
    error row, never a failed page."""
    name = bp.instance_name or bp.name
    where = mask_url(bp.settings.redis_url)
    href = url_for(f"{bp.name}.overview")
    try:
        summary = Metrics(bp.resque).summary()
    except redis.RedisError as exc:
        log.warning("resque-web: instance %s (Redis %s) could not be read: %s", name, where, exc)
        return InstanceRow(name, href, where, error=f"{type(exc).__name__}: {exc}")
    return InstanceRow(name, href, where, summary=summary)


def render_index(settings: Settings, first: DashboardBlueprint, rows: list[InstanceRow]) -> str:
    """The index in the dashboard's layout (its templates, its Jinja environment), with no
    tabs: they belong to an instance."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    context: dict[str, object] = {
        "title": "Redis instances",
        "rows": rows,
        "settings": settings,
        "tabs": [],
        "namespace": settings.namespace,
        "redis_server": ", ".join(f"{row.name}: {row.redis}" for row in rows),
        "poll_interval": 0,
        "read_only": settings.read_only,
        "per_page_choices": PER_PAGE_CHOICES,
        "version": __version__,
        "can": lambda action: False,
        "here": request.path,
        "url_with": url_with,
        "hidden_args": hidden_args,
        "instances": [{"name": row.name, "href": row.href, "current": False} for row in rows],
        "instances_index": url_for(f"{INDEX_BLUEPRINT}.overview"),
    }
    app.update_template_context(context)
    return first.jinja_env(app).get_template("instances/index.html").render(context)
