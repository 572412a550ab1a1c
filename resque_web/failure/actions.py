"""The words of an action on failures (and on the other lists the dashboard acts on):
where a removal keeps what it took for an undo window, what an action did, and one step
of a resumable bulk action."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionResult:
    """What an action did, in words for the person who asked."""

    ok: bool
    message: str
    count: int = 0


@dataclass(frozen=True)
class Hold:
    """Where a removal keeps what it removed, and for how long (the undo window)."""

    key: str
    ttl: int


@dataclass(frozen=True)
class Chunk:
    """One step of a resumable bulk action: what it did and where the next one starts."""

    done: int  # failures acted on
    scanned: int  # records read
    next_start: int  # the cursor for the next chunk
    anchors: list[str]  # digests of the last records before next_start, nearest last
    finished: bool
