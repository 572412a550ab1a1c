"""Failures grouped by exception class and message fingerprint, summed from the index's
columns: no record is read to draw the Groups page."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .columns import Columns


@dataclass
class GroupSummary:
    id: str
    exception: str
    fingerprint: str
    count: int = 0
    retried: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sample: int = -1  # the newest failure's position: read it to show an example
    queues: list[tuple[str, int]] = field(default_factory=list)
    classes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def retried_approximate(self) -> bool:
        """``retried`` may be short: a retry by another tool (Ruby's resque-web rewrites
        the record in place, logging nothing) counts from the index's next rebuild. Only
        when every failure of the group is counted retried can none be missing."""
        return self.retried < self.count


@dataclass
class _Tally:
    count: int = 0
    retried: int = 0
    first: float = math.inf
    last: float = -math.inf
    sample: int = -1
    queues: Counter[int] = field(default_factory=Counter)
    classes: Counter[int] = field(default_factory=Counter)


def _when(epoch: float) -> datetime | None:
    return datetime.fromtimestamp(epoch, timezone.utc) if math.isfinite(epoch) else None


def summarize(columns: Columns, positions: Iterable[int]) -> list[GroupSummary]:
    """Groups of the failures at ``positions`` (ascending), largest first."""
    dims = columns.dims
    groups, queues, classes = dims["group"], dims["queue"], dims["class"]
    gcol, qcol, ccol = groups.column, queues.column, classes.column
    at, retried = columns.failed_at, columns.retried
    tallies: dict[int, _Tally] = {}
    for p in positions:
        tally = tallies.get(gcol[p])
        if tally is None:
            tally = tallies[gcol[p]] = _Tally()
        tally.count += 1
        tally.retried += retried[p]
        stamp = at[p]
        if stamp < tally.first:
            tally.first = stamp
        if stamp > tally.last:
            tally.last = stamp
        tally.sample = p
        tally.queues[qcol[p]] += 1
        tally.classes[ccol[p]] += 1
    out = []
    for ident, tally in tallies.items():
        group = groups.names[ident]
        exception, text = columns.fingerprints[group]
        out.append(
            GroupSummary(
                id=group,
                exception=exception,
                fingerprint=text,
                count=tally.count,
                retried=tally.retried,
                first_seen=_when(tally.first),
                last_seen=_when(tally.last),
                sample=tally.sample,
                queues=[(queues.names[q], c) for q, c in tally.queues.most_common()],
                classes=[(classes.names[c], n) for c, n in tally.classes.most_common()],
            )
        )
    out.sort(key=lambda g: (-g.count, g.exception, g.fingerprint))
    return out
