"""The failure pages: the list (``/failed``), groups, bulk operations, edit-and-retry and
export. Each module registers its routes (and its JSON twin, where it has one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import bulk, edit, export, groups, listing
from .common import filter_from, list_from

if TYPE_CHECKING:
    from ...blueprint import DashboardBlueprint

__all__ = ["filter_from", "list_from", "register"]


def register(bp: DashboardBlueprint) -> None:
    # The fixed paths first, so they win over /failed/<queue> for the same URL.
    for module in (groups, bulk, edit, export, listing):
        module.register(bp)
