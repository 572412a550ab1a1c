"""The standalone dashboard: ``create_app()`` for ``flask run``, gunicorn and the CLI.

Config keys (each falls back to the environment variable of the same name):
``REDIS_URL``, ``RESQUE_NAMESPACE``, ``RESQUE_WEB_URL_PREFIX``, ``RESQUE_WEB_POLL_INTERVAL``,
``RESQUE_WEB_READ_ONLY``, ``RESQUE_WEB_REDIS_TIMEOUT``, ``RESQUE_WEB_RETRY_REMOVES``,
``RESQUE_WEB_AUTH`` (``user:password``, or ``RESQUE_WEB_USERNAME`` with
``RESQUE_WEB_PASSWORD``), ``RESQUE_WEB_ALLOWED_HOSTS`` (default: loopback names without a
password, any with one), ``RESQUE_WEB_SECRET_KEY`` (or ``SECRET_KEY``); and, config
only, ``RESQUE_WEB_AUTHORIZE`` (a callable) and ``RESQUE_WEB_PLUGINS`` (callables or
``"module:function"`` strings); ``RESQUE_WEB_METRICS_PATH`` (``/metrics`` without login
on that path, only when set); ``RESQUE_WEB_INSTANCES`` (several Redis instances,
``name=url`` pairs separated by commas: each served under ``/<name>/``, an index at ``/``,
and with ``RESQUE_WEB_METRICS_PATH`` each instance's metrics at ``<path>/<name>``).
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response

from .auth import authenticated, challenge
from .blueprint import DashboardBlueprint, Plugin, make_blueprint
from .hosts import check_host
from .instances import INDEX_BLUEPRINT, Instance, instances_from
from .multi import mount_instances
from .security import add_headers
from .settings import Settings, normalize_prefix
from .views.metrics import metrics_view


def load_plugin(spec: Plugin | str) -> Plugin:
    """A plugin given as ``"package.module:function"`` (as in an env var) or as itself."""
    if callable(spec):
        return spec
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"plugin {spec!r}: write it as 'package.module:function'")
    return getattr(importlib.import_module(module_name), attr)


def _plugins(value: Iterable[Plugin | str] | str | None) -> list[Plugin]:
    if not value:
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    return [load_plugin(p) for p in value]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The dashboard as an app of its own, mounted at ``RESQUE_WEB_URL_PREFIX`` (default /)."""
    app = Flask(__name__, static_folder=None)  # the blueprint serves the assets
    secret = os.environ.get("RESQUE_WEB_SECRET_KEY") or os.environ.get("SECRET_KEY")
    app.config.from_mapping(
        # A random key per process only loses a flash message across processes; set
        # RESQUE_WEB_SECRET_KEY when running several workers.
        SECRET_KEY=secret or secrets.token_hex(32),
        RESQUE_WEB_URL_PREFIX=os.environ.get("RESQUE_WEB_URL_PREFIX", ""),
        RESQUE_WEB_PLUGINS=os.environ.get("RESQUE_WEB_PLUGINS", ""),
        RESQUE_WEB_METRICS_PATH=os.environ.get("RESQUE_WEB_METRICS_PATH", ""),
        RESQUE_WEB_INSTANCES=os.environ.get("RESQUE_WEB_INSTANCES", ""),
    )
    if config:
        app.config.update(config)
    settings = Settings.from_config(app.config)
    plugins = _plugins(app.config["RESQUE_WEB_PLUGINS"])
    prefix = normalize_prefix(app.config["RESQUE_WEB_URL_PREFIX"])
    instances = instances_from(app.config["RESQUE_WEB_INSTANCES"])
    if instances:
        dashboards = mount_instances(app, settings, instances, plugins, prefix)
        public_metrics = mount_instance_metrics(app, dashboards, instances, prefix)
        own = {bp.name for bp in dashboards} | {INDEX_BLUEPRINT}
        home = f"{INDEX_BLUEPRINT}.overview"
    else:
        bp = make_blueprint(settings=settings, plugins=plugins)
        app.register_blueprint(bp, url_prefix=prefix or None)
        public_metrics = mount_public_metrics(app, bp, prefix)
        own = {bp.name}
        home = "resque_web.index"
    if prefix:
        app.add_url_rule("/", "root", lambda: redirect(url_for(home)))

    # The blueprint checks its own requests; this covers the app's (the root redirect,
    # URLs outside the prefix), so nothing at all answers to a foreign Host or, with a
    # password set, without the credentials.
    def gate() -> Response | None:
        if request.blueprint in own:
            return None
        refused = check_host(request, settings.allowed_hosts, wants_json=False)
        if refused is not None:
            return refused
        if (request.endpoint or "") in public_metrics:
            return None
        if settings.basic_auth and not authenticated(settings, request):
            return challenge(wants_json=False)
        return None

    app.before_request(gate)
    app.after_request(add_headers)
    return app


PUBLIC_METRICS = "resque_web_public_metrics"


def metrics_path(app: Flask) -> str:
    """``RESQUE_WEB_METRICS_PATH`` checked; empty when unset."""
    path = str(app.config.get("RESQUE_WEB_METRICS_PATH") or "").strip()
    if path and not path.startswith("/"):
        raise ValueError(f"RESQUE_WEB_METRICS_PATH must be a path such as /metrics, not {path!r}")
    return path


def mount_public_metrics(app: Flask, bp: DashboardBlueprint, prefix: str) -> frozenset[str]:
    """``/metrics`` without login on ``RESQUE_WEB_METRICS_PATH``, only when it is set (for a
    Prometheus that cannot send credentials); the blueprint's own ``/metrics`` keeps the
    dashboard's auth. Returns the endpoints served without login."""
    path = metrics_path(app)
    if not path:
        return frozenset()
    if path == f"{prefix}/metrics":
        raise ValueError(
            f"RESQUE_WEB_METRICS_PATH {path} is the dashboard's own /metrics (which needs the "
            "login): pick another path, such as /public/metrics"
        )
    app.add_url_rule(path, PUBLIC_METRICS, metrics_view(bp))
    return frozenset({PUBLIC_METRICS})


def mount_instance_metrics(
    app: Flask, dashboards: list[DashboardBlueprint], instances: list[Instance], prefix: str
) -> frozenset[str]:
    """Several instances: each one's public metrics at ``<RESQUE_WEB_METRICS_PATH>/<name>``
    (a scrape target per Redis), only when the path is set."""
    path = metrics_path(app)
    if not path:
        return frozenset()
    base = path.rstrip("/")
    inside = base == prefix or base.startswith(f"{prefix}/")
    first = base[len(prefix) :].strip("/").split("/")[0] if inside else None
    if base == prefix or first in {i.name for i in instances}:
        raise ValueError(
            f"RESQUE_WEB_METRICS_PATH {path} lies inside the dashboard's own pages (which need "
            "the login): pick another path, such as /public/metrics"
        )
    endpoints = set()
    for bp, instance in zip(dashboards, instances, strict=True):
        endpoint = f"{PUBLIC_METRICS}_{instance.name}"
        app.add_url_rule(f"{base}/{instance.name}", endpoint, metrics_view(bp))
        endpoints.add(endpoint)
    return frozenset(endpoints)
