"""What a view (or a plugin's view) asks about the request it serves: the dashboard
blueprint handling it, its settings and data layer, rendering a page inside the layout,
a message for the next page, whether an action is allowed. Views import these from here;
only :mod:`.blueprint` imports the views."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, flash, g, request, session, url_for

from .. import __version__
from ..connection import mask_url
from ..model import Dashboard
from .instances import index_href, switcher
from .paging import hidden_args, url_with
from .security import allowed
from .settings import PER_PAGE_CHOICES, Settings

if TYPE_CHECKING:
    from .blueprint import DashboardBlueprint

# app.extensions[BLUEPRINTS]: each registered dashboard blueprint by its registered name.
BLUEPRINTS = "resque_web.blueprints"


def current_blueprint() -> DashboardBlueprint:
    """The dashboard blueprint handling this request."""
    found = g.get("resque_web_blueprint")
    if found is not None:
        return found
    bp = current_app.extensions.get(BLUEPRINTS, {}).get(request.blueprint or "")
    if bp is None:
        raise RuntimeError("not inside a resque-web dashboard request")
    g.resque_web_blueprint = bp
    return bp


def current_settings() -> Settings:
    return current_blueprint().settings


def dashboard() -> Dashboard:
    """This request's data layer: one :class:`~resque_web.model.Dashboard` per request."""
    found: Dashboard | None = g.get("resque_web_dashboard")
    if found is None:
        bp = current_blueprint()
        settings = bp.settings
        found = Dashboard(
            bp.resque, retry_removes=settings.retry_removes, undo_ttl=settings.undo_ttl
        )
        g.resque_web_dashboard = found
    return found


def can(action: str) -> bool:
    """For templates: show an action's button only to those who may use it."""
    return allowed(current_settings(), action)


# Flash messages ride in the session cookie (browsers drop cookies over 4 KB): each is cut
# to FLASH_BYTES as the cookie spells it (JSON, non-ASCII escaped), and the oldest unseen
# ones go first beyond FLASH_TOTAL, whatever names Redis holds.
FLASH_BYTES = 500
FLASH_TOTAL = 1500


def _cookie_size(message: str) -> int:
    return len(json.dumps(message))


def bounded_flash(message: str) -> str:
    """``message``, cut so that it takes at most FLASH_BYTES in the session cookie."""
    if _cookie_size(message) <= FLASH_BYTES:
        return message
    cut = message[:FLASH_BYTES]
    while _cookie_size(cut) > FLASH_BYTES - 6:  # room for the ellipsis, escaped
        cut = cut[: len(cut) * 3 // 4]
    return cut + "\u2026"


def notify(ok: bool, message: str) -> None:
    """Show ``message`` on the next page (flash needs a secret key; without one, skip)."""
    if not current_app.secret_key:
        return
    flash(bounded_flash(message), "success" if ok else "error")
    pending = session.get("_flashes", [])
    while len(pending) > 1 and sum(_cookie_size(m) for _, m in pending) > FLASH_TOTAL:
        pending.pop(0)
    session["_flashes"] = pending


def layout_context(bp: DashboardBlueprint) -> dict[str, Any]:
    settings = bp.settings
    tabs = []
    for tab in bp.tabs:
        if not tab.shown():
            continue
        href = url_for(tab.endpoint)
        current = request.path == href or request.path.startswith(href.rstrip("/") + "/")
        tabs.append({"tab": tab, "href": href, "current": current})
    shown = next((t["tab"].endpoint for t in tabs if t["current"]), None)
    return {
        "instances": switcher(bp.instances, bp.instance_name, shown) if bp.instances else [],
        "instances_index": index_href() if bp.instances else None,
        "settings": settings,
        "tabs": tabs,
        "namespace": settings.namespace,
        "redis_server": mask_url(settings.redis_url),
        "poll_interval": settings.poll_interval,
        "read_only": settings.read_only,
        "per_page_choices": PER_PAGE_CHOICES,
        "version": __version__,
        "can": can,
        "here": url_for(request.endpoint or ".overview", **(request.view_args or {})),
        "url_with": url_with,
        "hidden_args": hidden_args,
    }


def render_page(template: str, **context: Any) -> str:
    """Render one of the dashboard's templates (or a plugin's) inside its layout."""
    bp = current_blueprint()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    app.update_template_context(context)
    for key, value in layout_context(bp).items():
        context.setdefault(key, value)
    return bp.jinja_env(app).get_template(template).render(context)
