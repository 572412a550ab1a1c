"""Which queues a worker watches, and in what order, as Resque 3.0's ``Worker#queues``.

A plain list is a priority order. ``*`` is every registered queue in byte order, re-read on
each poll; other globs (``mail*``) and exclusions (``!low``) work as in Ruby, whose
``File.fnmatch`` never lets a wildcard match a leading ``.``.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

WILDCARDS = frozenset("*?{}[]")


def parse_queue_list(text: str | Iterable[str]) -> list[str]:
    """``"critical, default"`` -> ``["critical", "default"]`` (Ruby splits on ``,`` and strips)."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    return [p.strip() for p in parts if p.strip()]


def ruby_fnmatch(pattern: str, name: str) -> bool:
    """``File.fnmatch?(pattern, name)`` with no flags: a leading period must be literal."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatchcase(name, pattern)


class QueueSpec:
    """The ``--queues`` setting. ``names`` excludes ``!skip`` entries, as Ruby's ``@queues``."""

    def __init__(self, queues: Iterable[str]) -> None:
        given = parse_queue_list(list(queues))
        self.skip = [q[1:] for q in given if q.startswith("!")]
        self.names = [q for q in given if not q.startswith("!")]
        if not self.names:
            raise ValueError("give the worker at least one queue, e.g. --queues critical,default")
        self.dynamic = bool(self.skip) or any(c in WILDCARDS for c in "".join(self.names))

    @property
    def id_part(self) -> str:
        """The queue part of the worker id: ``critical,default`` or ``*``."""
        return ",".join(self.names)

    @property
    def every_queue(self) -> bool:
        """Exactly ``*``: the reserve script lists the queues itself, saving a round trip."""
        return self.names == ["*"] and not self.skip

    def resolve(self, registered: Iterable[str]) -> list[str]:
        """The queues to poll, in order, given the names in the ``queues`` set."""
        if not self.dynamic:
            return list(self.names)
        current = list(registered)
        ordered: list[str] = []
        for pattern in self.names:
            for name in sorted(current, key=_bytes):
                if ruby_fnmatch(pattern, name) and not self._skipped(name) and name not in ordered:
                    ordered.append(name)
        return ordered

    def _skipped(self, name: str) -> bool:
        return any(ruby_fnmatch(s, name) for s in self.skip)

    def matches_set(self, other: Iterable[str]) -> bool:
        """Prune rule: another worker's queues equal ours as a set (or we take ``*``)."""
        return "*" in self.names or set(other) == set(self.names)


def _bytes(name: str) -> bytes:
    """Ruby sorts strings by bytes; UTF-8 bytes sort as code points, but be explicit."""
    return name.encode("utf-8", errors="surrogatepass")
