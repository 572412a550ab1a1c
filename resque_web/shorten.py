"""Names quoted inside messages, cut to a readable length.

A class, queue or worker name is whatever a producer wrote into Redis (200 KB is possible);
a message that quotes it in full ends up in a flash cookie, an audit entry and a page.
"""

from __future__ import annotations

NAME_LIMIT = 80
ELLIPSIS = "\u2026"


def shorten(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` when it has at most ``limit`` characters, else its start and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS
