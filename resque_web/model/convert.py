"""Reading numbers Redis hands back, which may be missing or garbage."""

from __future__ import annotations

from typing import Any


def as_int(value: Any) -> int:
    """A counter's value; 0 when it is missing or not a number (never an error page)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
