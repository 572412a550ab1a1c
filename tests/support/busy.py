"""The failure index of a running app, for tests of pages that must not wait for it."""

from __future__ import annotations

from flask import Flask

from resque_web.model import Failures
from resque_web.model.failure_index import FailureIndex
from resque_web.web.blueprint import DashboardBlueprint


def busy_index(app: Flask) -> FailureIndex:
    """The app's index of the `failed` list, caught up. Holding its lock is what a
    rebuild in another thread does: pages must not wait for it."""
    bp = app.blueprints["resque_web"]
    assert isinstance(bp, DashboardBlueprint)
    index = Failures(bp.resque).index(Failures(bp.resque).list())
    index.current(None)
    return index
