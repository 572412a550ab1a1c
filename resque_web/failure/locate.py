"""Finding a failure the user saw after the list moved under it.

Workers only append; removals (by anyone) shift what follows them towards the head. So a
failure named by (position, digest) is at ``position`` or, when failures before it went, a little
earlier: these look back at most SEARCH_WINDOW records for it, and a selection's rows that
moved share one bounded read, so a POST of bogus rows cannot make the server read the list
over and over.
"""

from __future__ import annotations

import redis

from .record import FailedJob

# How far back a failure may have moved (others removed before it) and still be found.
SEARCH_WINDOW = 1000
# Records read, in all, to find the rows of one selection that moved (see locate_many).
SELECTION_SEARCH = 2 * SEARCH_WINDOW


def locate(
    client: redis.Redis, key: str, queue: str | None, position: int, digest: str
) -> FailedJob | None:
    """The failure with this digest at ``position``, or where it moved to (earlier, when
    failures before it were removed), or None when it is gone."""
    low = max(0, position - SEARCH_WINDOW)
    raws = client.lrange(key, low, position)
    # Nearest first: the failure most likely moved by a few places.
    for offset in range(len(raws) - 1, -1, -1):
        candidate = FailedJob(low + offset, raws[offset], queue)
        if candidate.digest == digest:
            return candidate
    return None


def locate_many(
    client: redis.Redis, key: str, queue: str | None, rows: list[tuple[int, str]]
) -> list[FailedJob]:
    """The named failures where they are now: one round trip when none moved. Those
    that moved are looked for among the records just before their old place, read
    once for all of them and at most SELECTION_SEARCH records in all (not a window per
    row)."""
    wanted = list(dict.fromkeys(rows))
    pipe = client.pipeline(transaction=False)
    for position, _ in wanted:
        pipe.lindex(key, position)
    raws = pipe.execute() if wanted else []
    found: dict[int, FailedJob] = {}
    moved: list[tuple[int, str]] = []
    for (position, digest), raw in zip(wanted, raws):
        here = None if raw is None else FailedJob(position, raw, queue)
        if here is not None and here.digest == digest:
            found.setdefault(here.position, here)
        else:
            moved.append((position, digest))
    if moved:
        near = _read_near(client, key, queue, [position for position, _ in moved], SELECTION_SEARCH)
        places: dict[str, list[int]] = {}
        for position, record in near.items():
            places.setdefault(record.digest, []).append(position)
        for position, digest in moved:
            here = _nearest(near, places, position, digest)
            if here is not None and here.position not in found:
                found[here.position] = here
    return list(found.values())


def resume_point(client: redis.Redis, key: str, cursor: int, anchors: list[str]) -> int | None:
    """Where a cursor saved with ``anchors`` (digests of the records just before it,
    nearest last) is now: the same place when nothing before it was removed, earlier when
    something was, None when none of them can be found."""
    if cursor == 0 or not anchors:
        return cursor
    low = max(0, cursor - SEARCH_WINDOW - len(anchors))
    raws = client.lrange(key, low, cursor - 1)
    digests = [FailedJob(0, raw).digest for raw in raws]
    for back, anchor in enumerate(reversed(anchors)):
        for offset in range(len(digests) - 1, -1, -1):
            if digests[offset] == anchor:
                return low + offset + 1 + back
    return None


def _read_near(
    client: redis.Redis, key: str, queue: str | None, positions: list[int], budget: int
) -> dict[int, FailedJob]:
    """The records in the SEARCH_WINDOW before each of ``positions``, windows merged, the
    nearest to the highest position first, ``budget`` records at most."""
    spans: list[list[int]] = []
    for position in sorted(set(positions), reverse=True):
        low = max(0, position - SEARCH_WINDOW)
        if spans and position >= spans[-1][0] - 1:
            spans[-1][0] = min(spans[-1][0], low)
        else:
            spans.append([low, position])
    out: dict[int, FailedJob] = {}
    for low, high in spans:
        if budget <= 0:
            break
        low = max(low, high - budget + 1)
        raws = client.lrange(key, low, high)
        budget -= high - low + 1
        for offset, raw in enumerate(raws):
            out[low + offset] = FailedJob(low + offset, raw, queue)
    return out


def _nearest(
    near: dict[int, FailedJob], places: dict[str, list[int]], position: int, digest: str
) -> FailedJob | None:
    """The record with ``digest`` at ``position`` or the nearest place before it (within
    SEARCH_WINDOW), among those read; ``places`` maps each digest read to its positions."""
    best = max(
        (p for p in places.get(digest, ()) if position - SEARCH_WINDOW <= p <= position),
        default=None,
    )
    return None if best is None else near[best]
