"""The web dashboard: ``create_app()`` standalone, or ``make_blueprint()`` in a host app.

::

    from resque_web.web import make_blueprint
    app.register_blueprint(make_blueprint(redis_url="redis://...", namespace="resque"),
                           url_prefix="/resque")
"""

from __future__ import annotations

from .app import create_app
from .blueprint import DashboardBlueprint, make_blueprint
from .request import dashboard, render_page
from .settings import Settings
from .tabs import Tab, register_tab

__all__ = [
    "DashboardBlueprint",
    "Settings",
    "Tab",
    "create_app",
    "dashboard",
    "make_blueprint",
    "register_tab",
    "render_page",
]
