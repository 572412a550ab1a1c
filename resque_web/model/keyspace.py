"""A browser over the namespace's keys: SCAN with a cursor (never KEYS), and one key's
content paged by its type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..client import Resque
from .page import Page, clamp_page, clamp_per_page

STRING_PREVIEW = 65536


@dataclass(frozen=True)
class KeySummary:
    name: str  # without the namespace
    type: str
    size: int
    ttl: int  # seconds; -1 no expiry, -2 gone


@dataclass
class KeyContent:
    name: str
    type: str
    size: int
    ttl: int
    page: Page[tuple[Any, ...]] | None = None  # list and zset: numbered pages
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # set and hash: one SCAN batch
    cursor: int = 0
    next_cursor: int | None = None  # set and hash: where the next batch starts; 0/None = done
    value: str | None = None  # string (first 64 KiB)


_SIZE = {"list": "llen", "set": "scard", "zset": "zcard", "hash": "hlen", "string": "strlen"}


class Keyspace:
    def __init__(self, resque: Resque) -> None:
        self.redis = resque.redis
        self.keys = resque.keys

    def scan(
        self, cursor: int = 0, count: int = 50, match: str | None = None
    ) -> tuple[int, list[KeySummary]]:
        """One SCAN step over the namespace; three round trips whatever the key count."""
        pattern = self.keys.scan_pattern
        if match:
            pattern = pattern[:-1] + match
        next_cursor, found = self.redis.scan(cursor=cursor, match=pattern, count=count)
        found = sorted(found)
        if not found:
            return int(next_cursor), []
        pipe = self.redis.pipeline(transaction=False)
        for key in found:
            pipe.type(key)
            pipe.ttl(key)
        replies = pipe.execute()
        types, ttls = replies[0::2], replies[1::2]
        pipe = self.redis.pipeline(transaction=False)
        for key, kind in zip(found, types):
            getattr(pipe, _SIZE[kind])(key) if kind in _SIZE else pipe.exists(key)
        sizes = pipe.execute()
        summaries = [
            KeySummary(self.keys.strip(k), t, int(s or 0), int(ttl))
            for k, t, s, ttl in zip(found, types, sizes, ttls)
        ]
        return int(next_cursor), summaries

    def read(
        self, name: str, page: int = 1, per_page: int = 50, cursor: int = 0
    ) -> KeyContent | None:
        """A key's content, a page (list, zset) or a SCAN batch (set, hash) at a time."""
        key = self.keys.key(name)
        per_page = clamp_per_page(per_page, 50)
        pipe = self.redis.pipeline(transaction=False)
        pipe.type(key)
        pipe.ttl(key)
        kind, ttl = pipe.execute()
        if kind == "none":
            return None
        size = int(getattr(self.redis, _SIZE[kind])(key)) if kind in _SIZE else 0
        content = KeyContent(name, kind, size, int(ttl), cursor=cursor)
        number = clamp_page(page, per_page, size)
        start, stop = (number - 1) * per_page, number * per_page - 1
        if kind == "list":
            rows = [(start + i, v) for i, v in enumerate(self.redis.lrange(key, start, stop))]
            content.page = Page(rows, number, per_page, size, False, [r[0] for r in rows])
        elif kind == "zset":
            pairs = self.redis.zrange(key, start, stop, withscores=True)
            rows = [(start + i, m, s) for i, (m, s) in enumerate(pairs)]
            content.page = Page(rows, number, per_page, size, False, [r[0] for r in rows])
        elif kind == "set":
            next_cursor, members = self.redis.sscan(key, cursor=cursor, count=per_page)
            content.rows = [(m,) for m in sorted(members)]
            content.next_cursor = int(next_cursor)
        elif kind == "hash":
            next_cursor, mapping = self.redis.hscan(key, cursor=cursor, count=per_page)
            content.rows = sorted(mapping.items())
            content.next_cursor = int(next_cursor)
        elif kind == "string":
            content.value = self.redis.getrange(key, 0, STRING_PREVIEW - 1)
        return content

    def element(self, name: str, index: int | None = None, field: str | None = None) -> str | None:
        """One whole value: a string, a list's or sorted set's item at ``index``, a hash's
        ``field``. The key browser's pages clip long values; this is the way to read one
        in full. None when there is no such key or element."""
        key = self.keys.key(name)
        kind = self.redis.type(key)
        if kind == "string":
            return self.redis.get(key)
        if kind == "list" and index is not None:
            return self.redis.lindex(key, index)
        if kind == "zset" and index is not None:
            found = self.redis.zrange(key, index, index)
            return found[0] if found else None
        if kind == "hash" and field is not None:
            return self.redis.hget(key, field)
        return None
