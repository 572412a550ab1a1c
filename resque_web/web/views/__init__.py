"""The dashboard's pages, one module per tab. Each view reads its input, asks the data
layer (:mod:`resque_web.model`) and renders: no view spells a key or runs a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import (
    audit,
    failed,
    history,
    metrics,
    operations,
    overview,
    queues,
    retry,
    scheduler,
    stats,
    statuses,
    workers,
    working,
)

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

__all__ = ["register"]


def register(bp: DashboardBlueprint) -> None:
    pages = (overview, working, failed, queues, workers, stats, history, statuses, audit)
    for module in (*pages, scheduler, retry, metrics, operations):
        module.register(bp)
