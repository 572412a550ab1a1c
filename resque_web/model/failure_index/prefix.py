"""What an index holds of its list's prefix ``[0, n)``, and how the dashboard's logged
changes to the list (:mod:`resque_web.failure.scripts` writes them) are applied to it
without reading a record."""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass, field

from .columns import Columns
from .tail import Checkpoints, Tail


@dataclass
class Prefix:
    columns: Columns = field(default_factory=Columns)  # the prefix [0, n)
    rewrites: int = 0  # the change log's counter when last looked at
    tail: Tail = field(default_factory=Tail)
    checkpoints: Checkpoints = field(default_factory=Checkpoints)  # of shorter prefixes


def apply_log(prefix: Prefix, entries: Sequence[str], count: int) -> Prefix | None:
    """``prefix`` after the change log's ``entries`` (the log's counter now ``count``):
    removals drop positions, rewrites mark them retried; edited in place, or an empty
    prefix when everything indexed is gone. None when an entry does not fit what the
    index holds (the record it names is not the one remembered, an edited retry whose
    change is not in the log): rebuild then."""
    n = prefix.columns.n
    if not n:
        prefix.rewrites = count
        return prefix
    edit = prefix.tail.edit(n)
    deleted: list[int] = []  # positions in the prefix as indexed, ascending
    retried: list[int] = []
    for entry in entries:
        spot, _, digests = entry.partition(":")
        old, _, new = digests.partition(":")
        removal = int(spot) < 0
        position = _indexed_position(-1 - int(spot) if removal else int(spot), deleted)
        if position >= n:
            continue  # beyond the prefix: read when the index extends
        if removal:
            if not edit.remove(position, old):
                return None
            insort(deleted, position)
        else:
            if not new or not edit.rewrite(position, old, new):
                return None  # an edited retry: what it changed is not in the log
            retried.append(position)
    if len(deleted) == n:
        return Prefix(rewrites=count)  # everything indexed is gone
    tail = edit.finish(deleted) if deleted or retried else prefix.tail
    if tail is None:
        return None
    prefix.columns.mark_retried(retried)
    if deleted:
        prefix.columns = prefix.columns.without(deleted)
        prefix.checkpoints = prefix.checkpoints.within(deleted[0])
    prefix.tail = tail
    prefix.rewrites = count
    return prefix


def _indexed_position(position: int, deleted: list[int]) -> int:
    """Where a position of the list, after the removals in ``deleted`` (ascending,
    positions as indexed), was in the prefix as indexed."""
    for gone in deleted:
        if gone > position:
            break
        position += 1
    return position
