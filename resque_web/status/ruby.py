"""The two Ruby spellings resque-status puts into a status: ``Hash#inspect`` (a job's
``name`` is ``Thumb({"photo"=>1})``) and ``Time#to_s`` (``Completed at 2026-12-03
20:29:40 +0000``). Ruby 3.1's, since that is what runs resque-status 0.5 beside Resque 3.0
(``inspect`` is shared with resque-retry: :mod:`resque_web.ruby_inspect`).
"""

from __future__ import annotations

from typing import Any

from ..payload import ruby_float
from ..ruby_inspect import inspect
from ..times import started


def to_s(value: Any) -> str:
    """``"#{value}"``: how a number lands in a message (``total=0``, ``total=2.5``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return ruby_float(value)
    if isinstance(value, (str, int)):
        return str(value)
    return inspect(value)


def time_to_s(now: float | None = None) -> str:
    """``Time.now.to_s``: ``2026-12-03 20:29:40 +0000`` in the local zone."""
    return started(now)


__all__ = ["inspect", "time_to_s", "to_s"]
