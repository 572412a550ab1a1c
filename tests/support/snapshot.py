"""The whole content of a Redis database, to prove that something changed nothing."""

from __future__ import annotations

import redis

Snapshot = dict[bytes, tuple[bytes, object]]


def snapshot(url: str) -> Snapshot:
    """Every key's type and exact content, read with SCAN. Sets and hashes are compared
    as sorted members: their DUMP follows the hash table's order, which a mere read can
    change (Redis rehashes incrementally on lookups). Lists, strings and sorted sets
    compare by DUMP. TTLs are left out: they tick down by themselves."""
    client = redis.Redis.from_url(url)  # bytes in, bytes out
    try:
        keys = sorted(client.scan_iter(count=1000))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
        types = pipe.execute()
        pipe = client.pipeline(transaction=False)
        for key, kind in zip(keys, types, strict=True):
            if kind == b"set":
                pipe.smembers(key)
            elif kind == b"hash":
                pipe.hgetall(key)
            else:
                pipe.dump(key)
        values = pipe.execute()
    finally:
        client.close()
    return {
        key: (kind, sorted(value.items()) if isinstance(value, dict) else
              sorted(value) if isinstance(value, set) else value)
        for key, kind, value in zip(keys, types, values, strict=True)
    }  # fmt: skip


def changed(before: Snapshot, after: Snapshot) -> list[bytes]:
    """Keys added, removed or rewritten."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
