"""Request values the dashboard itself generates (SCAN cursors, a failure's list index and
digest, a key-browser pattern), checked before they reach Redis.

A hand-edited or forged value gets a 400 page saying what was wrong, never a Redis error
(a 500) or an unbounded read: a negative index would make ``LRANGE 0 -5`` read a whole
failure list, and a cursor past 2**64 is a Redis syntax error.
"""

from __future__ import annotations

import re

from .exceptions import PageError

MAX_CURSOR = 2**64 - 1
MAX_INDEX = 2**63 - 1
# Redis glob matching costs grow with wildcards; nobody types a longer pattern by hand.
MAX_MATCH = 200
MAX_MATCH_WILDCARDS = 10

_DIGITS = re.compile(r"[0-9]{1,20}")
_DIGEST = re.compile(r"[0-9a-f]{40}")


def cursor(value: str | None, back: tuple[str, str] | None = None) -> int:
    """A SCAN cursor from the query string; absent or empty means the start."""
    if not value:
        return 0
    if _DIGITS.fullmatch(value) and int(value) <= MAX_CURSOR:
        return int(value)
    raise PageError(
        400,
        "Bad cursor",
        f"{value[:40]!r} is not a position this dashboard handed out; start the scan over.",
        back=back,
    )


def match_pattern(value: str | None, back: tuple[str, str] | None = None) -> str | None:
    """A key-browser ``match`` glob, bounded in length and wildcards."""
    if not value:
        return None
    if len(value) > MAX_MATCH or sum(value.count(c) for c in "*?[") > MAX_MATCH_WILDCARDS:
        raise PageError(
            400,
            "Pattern too complex",
            f"Match patterns are limited to {MAX_MATCH} characters and "
            f"{MAX_MATCH_WILDCARDS} wildcards.",
            back=back,
        )
    return value


def list_index(value: str) -> int:
    """A position in a Redis list, as a page's form or link carries it."""
    if not _DIGITS.fullmatch(value) or int(value) > MAX_INDEX:
        raise PageError(400, "Bad request", f"{value[:40]!r} is not a valid list position.")
    return int(value)


def digest(value: str) -> str:
    """The SHA-1 (40 lowercase hex digits) of the value a page showed."""
    if not _DIGEST.fullmatch(value):
        raise PageError(400, "Bad request", "The request carried no valid digest (40 hex digits).")
    return value


def failure_ref(index: str, sha1: str) -> tuple[int, str]:
    """The ``index`` and ``digest`` a failure's button POSTs: a list position and the SHA-1
    of the record the user saw."""
    return list_index(index), digest(sha1)
