"""The per-process index of failure lists (see :mod:`.index` for how it stays correct)."""

from ..failure_filter import NONE
from .columns import DIMENSIONS, Columns
from .groups import GroupSummary
from .index import CHUNK, WINDOW, FailureIndex, IndexRegistry, indexes

__all__ = [
    "CHUNK",
    "DIMENSIONS",
    "NONE",
    "WINDOW",
    "Columns",
    "FailureIndex",
    "GroupSummary",
    "IndexRegistry",
    "indexes",
]
