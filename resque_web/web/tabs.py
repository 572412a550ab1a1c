"""The navigation tabs: the built-in ones and any a plugin adds.

Each dashboard blueprint owns a :class:`TabRegistry`; the layout renders it in ``order``.
A plugin adds a route to the blueprint and a tab pointing at it::

    def scheduler(bp: DashboardBlueprint) -> None:
        @bp.route("/schedule")
        def schedule() -> str:
            return render_page("schedule/index.html", entries=[...])

        register_tab(bp, Tab("schedule", "Schedule", ".schedule", order=65))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .blueprint import DashboardBlueprint


@dataclass(frozen=True)
class Tab:
    """``endpoint`` is relative to the dashboard blueprint (``.overview``), so the tab works
    wherever the blueprint is mounted.

    ``visible``, when given, is asked on every page whether to show the tab (a plugin's tab
    hides where its keys are absent). It runs inside the request, so it may call
    :func:`~resque_web.web.dashboard`; keep it cheap (cache its answer for a while)."""

    name: str
    title: str
    endpoint: str
    order: int = 100
    visible: Callable[[], bool] | None = None

    def shown(self) -> bool:
        return self.visible is None or self.visible()


BUILTIN_TABS = (
    Tab("overview", "Overview", ".overview", 10),
    Tab("working", "Working", ".working", 20),
    Tab("failed", "Failed", ".failed", 30),
    Tab("queues", "Queues", ".queues", 40),
    Tab("workers", "Workers", ".workers", 50),
    Tab("stats", "Stats", ".stats", 60),
)


class TabRegistry:
    def __init__(self) -> None:
        self._tabs: dict[str, Tab] = {}

    def register(self, tab: Tab) -> Tab:
        """Add a tab; registering a name again replaces it (a plugin may retitle a tab)."""
        if not tab.endpoint.startswith("."):
            raise ValueError(
                f"tab {tab.name!r}: endpoint {tab.endpoint!r} must be relative to the "
                'dashboard blueprint, like ".schedule"'
            )
        self._tabs[tab.name] = tab
        return tab

    def remove(self, name: str) -> None:
        self._tabs.pop(name, None)

    def __iter__(self) -> Iterator[Tab]:
        return iter(sorted(self._tabs.values(), key=lambda t: (t.order, t.name)))

    def __len__(self) -> int:
        return len(self._tabs)

    def __contains__(self, name: object) -> bool:
        return name in self._tabs


def register_tab(bp: DashboardBlueprint, tab: Tab) -> Tab:
    """Add ``tab`` to the dashboard blueprint ``bp`` (before it is registered on an app)."""
    return bp.tabs.register(tab)
