"""The index's looks at a failure list: one MULTI each, replies read as the bytes Redis
holds, and the next one asked before the current chunk is indexed.

A look is what :mod:`.index` trusts (the list's length, the change log's counter, the
records its prefix check compares and the next CHUNK records, all in one snapshot). Two
things make a cold build of 100,000 records (130 MB) cheaper here than through a
redis-py pipeline:

* the replies are not decoded: the index reads records as bytes (:mod:`.reading`), and
  redis-py would turn 130 MB into text only for the index to turn it back;
* a :class:`Looker` sends the next look as soon as it knows there is more to read, then
  the index works on the chunk it has while Redis serializes the next one; its reply is
  read when the index gets to it. The next look's prefix check cannot be planned yet (the
  chunk that ends the prefix is not indexed), so it reads the last :data:`AHEAD_CHECK`
  records of the prefix, enough for any prefix whose last change point is near its end;
  when it is not (a long run of identical records), the look is dropped and asked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis
from redis.exceptions import ResponseError

# Records a look sent ahead reads before its new chunk, for the prefix check: the tail's
# window (16) and the run after the change point (64) fit when the run is short.
AHEAD_CHECK = 80


@dataclass
class Look:
    """What one MULTI read: ``raws`` are the records from position ``start`` on."""

    start: int
    total: int  # the list's length
    rewrites: int  # the change log's counter
    raws: list[bytes]
    checked: list[tuple[int, list[bytes]]]  # (first position, records) read for the check

    def records(self, first: int, last: int) -> list[bytes] | None:
        """The records ``[first, last]`` (inclusive) if this look read them all."""
        for start, found in self.checked:
            if start <= first and last < start + len(found):
                return found[first - start : last - start + 1]
        return None


class Looker:
    """Looks at one list through one connection of the client's pool, with at most one
    look in flight. Close it (it is a context manager) to give the connection back."""

    def __init__(self, client: redis.Redis, key: str, count_key: str) -> None:
        self._pool = client.connection_pool
        self._key = key
        self._count_key = count_key
        self._connection: redis.connection.AbstractConnection | None = None
        # (start, checks, tag) of the look in flight
        self._pending: tuple[int, list[tuple[int, int]], object] | None = None

    def __enter__(self) -> Looker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def look(self, start: int, chunk: int, checks: Sequence[tuple[int, int]]) -> Look:
        """One look now: records ``[start, start + chunk)`` and each ``(first, last)``."""
        self.drop()
        self.send(start, chunk, checks)
        found = self.receive()
        assert found is not None
        return found

    def send(
        self, start: int, chunk: int, checks: Sequence[tuple[int, int]], tag: object = None
    ) -> None:
        """Ask for a look without waiting for it (:meth:`receive` reads it)."""
        if self._pending is not None:
            raise RuntimeError("a look is already in flight")
        connection = self._connect()
        commands: list[tuple[object, ...]] = [
            ("MULTI",),
            ("LLEN", self._key),
            ("GET", self._count_key),
            ("LRANGE", self._key, start, start + chunk - 1),
            *(("LRANGE", self._key, first, last) for first, last in checks),
            ("EXEC",),
        ]
        try:
            connection.send_packed_command(connection.pack_commands(commands))
        except BaseException:
            self._discard()
            raise
        self._pending = (start, list(checks), tag)

    def pending(self) -> tuple[int, object] | None:
        """(start, tag) of the look in flight, if any."""
        return None if self._pending is None else (self._pending[0], self._pending[2])

    def receive(self) -> Look | None:
        """The look in flight, read now (None when there is none)."""
        if self._pending is None:
            return None
        start, checks, _ = self._pending
        count = len(checks)
        connection = self._connection
        assert connection is not None
        try:
            for _ in range(count + 4):  # MULTI's OK and each command's QUEUED
                connection.read_response(disable_decoding=True)
            replies = connection.read_response(disable_decoding=True)
        except BaseException:
            self._discard()
            raise
        self._pending = None
        if not isinstance(replies, list) or len(replies) != count + 3:
            raise ResponseError(f"a MULTI of {count + 3} commands answered {replies!r:.80}")
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return Look(
            start=start,
            total=int(replies[0]),
            rewrites=int(replies[1] or 0),
            raws=replies[2],
            checked=[(first, found) for (first, _), found in zip(checks, replies[3:])],
        )

    def drop(self) -> None:
        """Forget the look in flight (its connection is closed: its reply is not read)."""
        if self._pending is not None:
            self._discard()

    def close(self) -> None:
        self.drop()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            self._pool.release(connection)

    def _connect(self) -> redis.connection.AbstractConnection:
        if self._connection is None:
            try:
                self._connection = self._pool.get_connection()
            except TypeError:  # redis-py before 5.3 names the command
                self._connection = self._pool.get_connection("MULTI")
        return self._connection

    def _discard(self) -> None:
        """A reply half read or never read: the connection is closed, not reused."""
        self._pending = None
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.disconnect()
            self._pool.release(connection)
