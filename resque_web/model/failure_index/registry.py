"""One failure index per (Redis, list) in a process, shared by its threads."""

from __future__ import annotations

import threading

import redis

from ...keys import Keys
from .index import FailureIndex


class IndexRegistry:
    """One index per (connection, list key) in this process, shared by its threads. A new
    index starts catching up in the background at once."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, str], FailureIndex] = {}
        self._lock = threading.Lock()

    def get(
        self, client: redis.Redis, key: str, queue: str | None, keys: Keys | None = None
    ) -> FailureIndex:
        kwargs = client.connection_pool.connection_kwargs
        where = f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db')}:{kwargs.get('path')}"
        with self._lock:
            index = self._indexes.get((where, key))
            if index is None or index.redis.connection_pool is not client.connection_pool:
                index = self._indexes[(where, key)] = FailureIndex(client, key, queue, keys)
                index._start()
            return index

    def forget(self) -> None:
        """Drop every index (as a new process starts without any)."""
        with self._lock:
            self._indexes.clear()


indexes = IndexRegistry()
