"""The whole content of a Redis database, to prove that something changed nothing."""

from __future__ import annotations

import redis

Snapshot = dict[bytes, tuple[bytes, bytes]]


def snapshot(url: str) -> Snapshot:
    """Every key's type and DUMP (its exact serialized value), read with SCAN. TTLs are
    left out: they tick down by themselves."""
    client = redis.Redis.from_url(url)  # bytes in, bytes out
    try:
        keys = sorted(client.scan_iter(count=1000))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
            pipe.dump(key)
        replies = pipe.execute()
    finally:
        client.close()
    return {key: (replies[2 * i], replies[2 * i + 1]) for i, key in enumerate(keys)}


def changed(before: Snapshot, after: Snapshot) -> list[bytes]:
    """Keys added, removed or rewritten."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
