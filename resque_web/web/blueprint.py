"""The dashboard as a blueprint a host app mounts::

    app.register_blueprint(make_blueprint(redis_url="redis://...", namespace="resque"),
                           url_prefix="/resque")

Everything it links to is built with ``url_for`` on relative endpoints, so it works under
any prefix, behind a proxy's ``SCRIPT_NAME``, and mounted more than once under different
names. Its templates render in a private Jinja environment (an overlay of the host's), so
a host template named ``layout.html`` can neither hide nor be hidden by ours.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response
from flask.blueprints import BlueprintSetupState
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from werkzeug.routing import PathConverter

from ..client import Resque
from ..connection import connect
from . import api, errors, views
from .assets import STATIC, TEMPLATES
from .formatting import FILTERS
from .request import BLUEPRINTS, current_blueprint, dashboard
from .security import add_headers, check_request
from .settings import Settings
from .tabs import BUILTIN_TABS, TabRegistry
from .values import TEMPLATE_GLOBALS

Plugin = Callable[["DashboardBlueprint"], None]


class AnyPathConverter(PathConverter):
    """``path``, newlines included: Werkzeug's ``[^/].*?`` stops at one, so a queue, key or
    worker named ``a\nb`` (any bytes Redis holds) could not be opened at all."""

    regex = "[^/](?s:.*?)"


class DashboardBlueprint(Blueprint):
    """A Flask blueprint that carries its settings, its tabs and its template folders."""

    def __init__(self, settings: Settings, name: str = "resque_web") -> None:
        super().__init__(name, __name__, static_folder=str(STATIC), static_url_path="/static")
        self.settings = settings
        self.tabs = TabRegistry()
        self.template_folders: list[Path] = [TEMPLATES]
        self._resque: Resque | None = None
        # First deferred function: the converter exists before any rule that uses it.
        self.record_once(
            lambda state: state.app.url_map.converters.setdefault("any_path", AnyPathConverter)
        )
        self.record(self._registered)

    def _registered(self, state: BlueprintSetupState) -> None:
        """Known to :func:`~.request.current_blueprint` by the name it is registered under
        (a blueprint may be mounted more than once, under different names)."""
        state.app.extensions.setdefault(BLUEPRINTS, {})[state.name] = self

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Every ``<path:...>`` of the dashboard (and its plugins) matches any name."""
        rule = rule.replace("<path:", "<any_path:")
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    def add_template_folder(self, folder: str | Path) -> None:
        """Let a plugin's templates ``{% extends "layout.html" %}`` and be rendered with
        :func:`~.request.render_page`. Ours are searched first; name plugin templates uniquely."""
        self.template_folders.append(Path(folder))

    @property
    def resque(self) -> Resque:
        """One client per blueprint; connections come from the shared pool for the URL."""
        if self._resque is None:
            client = connect(self.settings.redis_url, socket_timeout=self.settings.redis_timeout)
            self._resque = Resque(client, self.settings.namespace)
        return self._resque

    def jinja_env(self, app: Flask) -> Environment:
        envs: dict[str, Environment] = app.extensions.setdefault("resque_web.jinja", {})
        env = envs.get(self.name)
        if env is None:
            loader = ChoiceLoader([FileSystemLoader(str(f)) for f in self.template_folders])
            env = app.jinja_env.overlay(loader=loader, autoescape=True)
            # overlay() shares these dicts with the host's environment: copy before adding.
            env.filters = {**app.jinja_env.filters, **FILTERS}
            env.globals = {**app.jinja_env.globals, **TEMPLATE_GLOBALS}
            envs[self.name] = env
        return env


def make_blueprint(
    redis_url: str | None = None,
    namespace: str | None = None,
    *,
    name: str = "resque_web",
    settings: Settings | None = None,
    plugins: Iterable[Plugin] = (),
    **options: Any,
) -> DashboardBlueprint:
    """A dashboard blueprint for one Redis and namespace.

    ``options`` are other :class:`Settings` fields (``poll_interval``, ``read_only``,
    ``authorize``, ``redis_timeout``, ``title``, ``retry_removes``, and ``username`` with
    ``password`` for HTTP Basic auth). Each plugin is called with the blueprint
    to add routes and tabs before it is registered on an app.
    """
    base = settings or Settings()
    changes: dict[str, Any] = dict(options)
    if redis_url is not None:
        changes["redis_url"] = redis_url
    if namespace is not None:
        changes["namespace"] = namespace
    if changes:
        base = dataclasses.replace(base, **changes)
    bp = DashboardBlueprint(base, name=name)
    for tab in BUILTIN_TABS:
        bp.tabs.register(tab)
    bp.before_request(_before_request)
    bp.after_request(add_headers)
    views.register(bp)
    api.register(bp)
    errors.register(bp)
    for plugin in plugins:
        plugin(bp)
    # Any real rule outranks a catch-all path rule: unknown pages get our 404 in the layout,
    # unknown JSON URLs (an API client's typo, /api/v1/queues/ for a queue named "") JSON.
    bp.add_url_rule("/<path:unknown>", "not_found", errors.not_found_page)
    bp.add_url_rule("/api/<path:unknown>", "api_not_found", errors.not_found_page)
    return bp


def _before_request() -> Response | None:
    bp = current_blueprint()
    refused = check_request(bp.settings)
    if refused is None:
        dashboard()  # this process's first one starts indexing the failures
    return refused
