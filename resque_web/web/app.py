"""The standalone dashboard: ``create_app()`` for ``flask run``, gunicorn and the CLI.

Config keys (each falls back to the environment variable of the same name):
``REDIS_URL``, ``RESQUE_NAMESPACE``, ``RESQUE_WEB_URL_PREFIX``, ``RESQUE_WEB_POLL_INTERVAL``,
``RESQUE_WEB_READ_ONLY``, ``RESQUE_WEB_REDIS_TIMEOUT``, ``RESQUE_WEB_RETRY_REMOVES``,
``RESQUE_WEB_AUTH`` (``user:password``, or ``RESQUE_WEB_USERNAME`` with
``RESQUE_WEB_PASSWORD``), ``RESQUE_WEB_ALLOWED_HOSTS`` (default: loopback names without a
password, any with one), ``RESQUE_WEB_SECRET_KEY`` (or ``SECRET_KEY``); and, config
only, ``RESQUE_WEB_AUTHORIZE`` (a callable) and ``RESQUE_WEB_PLUGINS`` (callables or
``"module:function"`` strings).
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
from .blueprint import Plugin, make_blueprint
from .hosts import check_host
from .security import add_headers
from .settings import Settings, normalize_prefix


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
    )
    if config:
        app.config.update(config)
    settings = Settings.from_config(app.config)
    bp = make_blueprint(settings=settings, plugins=_plugins(app.config["RESQUE_WEB_PLUGINS"]))
    prefix = normalize_prefix(app.config["RESQUE_WEB_URL_PREFIX"])
    app.register_blueprint(bp, url_prefix=prefix or None)
    if prefix:
        app.add_url_rule("/", "root", _to_dashboard)

    # The blueprint checks its own requests; this covers the app's (the root redirect,
    # URLs outside the prefix), so nothing at all answers to a foreign Host or, with a
    # password set, without the credentials.
    def gate() -> Response | None:
        if request.blueprint == bp.name:
            return None
        refused = check_host(request, settings.allowed_hosts, wants_json=False)
        if refused is not None:
            return refused
        if settings.basic_auth and not authenticated(settings, request):
            return challenge(wants_json=False)
        return None

    app.before_request(gate)
    app.after_request(add_headers)
    return app


def _to_dashboard() -> Response:
    return redirect(url_for("resque_web.index"))
