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
from urllib.parse import parse_qsl, quote, unquote_to_bytes

from flask import Blueprint, Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from ..client import Resque
from ..connection import connect
from ..exact import ERRORS, display, from_bytes, is_exact_text, to_bytes
from . import api, errors, limits, views
from .assets import STATIC, TEMPLATES
from .formatting import FILTERS
from .instances import Instance
from .paging import PATH_SAFE
from .request import BLUEPRINTS, current_blueprint, dashboard
from .security import add_headers, check_request
from .settings import Settings
from .tabs import BUILTIN_TABS, TabRegistry
from .values import TEMPLATE_GLOBALS

Plugin = Callable[["DashboardBlueprint"], None]


class AnyPathConverter(PathConverter):
    """``path``, newlines included: Werkzeug's ``[^/].*?`` stops at one, so a queue, key or
    worker named ``a\nb`` (any bytes Redis holds) could not be opened at all. A name that
    is not UTF-8 is quoted byte for byte (``a%FF``), and :func:`exact_view_args` reads it
    back so, never as another queue's name."""

    regex = "[^/](?s:.*?)"

    def to_url(self, value: Any) -> str:
        data = value if isinstance(value, bytes) else to_bytes(str(value))
        return quote(data, safe=PATH_SAFE)


def exact_view_args() -> None:
    """Werkzeug decodes the URL's bytes with replacement characters, so ``/queues/a%FF``
    would name the queue ``a\ufffd``. When the path is not UTF-8, match it again decoded
    byte for byte (:mod:`resque_web.exact`) and give the view those arguments."""
    raw = request.environ.get("PATH_INFO", "")
    try:
        raw.encode("latin-1").decode("utf-8")
        return
    except UnicodeError:
        pass
    exact = from_bytes(raw.encode("latin-1", "replace"))
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, args = adapter.match(exact, method=request.method)
    except HTTPException:
        return
    if endpoint == request.endpoint:
        request.view_args = args


def exact_query_args() -> None:
    """Likewise for the query string (``?list=a%FF``, a key's ``field``): Werkzeug spells
    a byte that is not UTF-8 as the text ``%FF``; read such a query byte for byte."""
    query = request.query_string
    if b"%" not in query:
        return
    try:
        unquote_to_bytes(query.replace(b"+", b" ")).decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, errors=ERRORS)
    request.args = ImmutableMultiDict(pairs)  # type: ignore[misc]


def exact_url_values(endpoint: str, values: dict[str, Any]) -> None:
    """``url_defaults``: a value that holds bytes that are not UTF-8 is put in a URL as
    those bytes (Werkzeug would fail to encode it)."""
    for name, value in values.items():
        if isinstance(value, str) and not is_exact_text(value):
            values[name] = to_bytes(value)


class DashboardBlueprint(Blueprint):
    """A Flask blueprint that carries its settings, its tabs and its template folders."""

    def __init__(self, settings: Settings, name: str = "resque_web") -> None:
        super().__init__(name, __name__, static_folder=str(STATIC), static_url_path="/static")
        self.settings = settings
        self.tabs = TabRegistry()
        self.template_folders: list[Path] = [TEMPLATES]
        self._resque: Resque | None = None
        # Several Redis instances (see instances.py): this one's name and its siblings,
        # for the header's switcher; empty for a lone dashboard.
        self.instance_name: str | None = None
        self.instances: tuple[Instance, ...] = ()
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
            env = app.jinja_env.overlay(loader=loader, autoescape=True, finalize=_shown)
            # overlay() shares these dicts with the host's environment: copy before adding.
            env.filters = {**app.jinja_env.filters, **FILTERS}
            env.globals = {**app.jinja_env.globals, **TEMPLATE_GLOBALS}
            envs[self.name] = env
        return env


def _shown(value: Any) -> Any:
    """Every ``{{ value }}`` a page prints: bytes that are not UTF-8 spelled ``\xff``
    (the page itself must be UTF-8)."""
    if isinstance(value, str) and not is_exact_text(value):
        return type(value)(display(value))  # Markup stays Markup
    return value


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
    bp.url_defaults(exact_url_values)
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
    limits.apply(request)
    exact_view_args()
    exact_query_args()
    refused = check_request(bp.settings)
    if refused is None:
        dashboard()  # this process's first one starts indexing the failures
    return refused
