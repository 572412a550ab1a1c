"""One build of a failure index per deployment: a lease on building it from scratch.

At a deployment's start (gunicorn -w 4), or whenever the saved index is missing, every
process finds nothing to load and would read and index the same 100,000 failures at the
same time: N times the CPU, each build slower for sharing the cores. So a process about
to build from an empty prefix first takes this lease (``SET NX PX``, a token of its own);
the others wait for it to go away (polling its expiry, a few bytes, never the snapshot)
and then load what the builder saved (:mod:`.snapshot`).

The builder renews the lease while it works and deletes it once its index is saved.
Renewing and deleting compare the token first (one small Lua script each, one key), so a
builder that stalled past the expiry cannot extend or remove the lease another process
took since. A builder that dies stops renewing: its lease expires within :data:`TTL`
and a waiter builds instead, so nobody waits longer than that after the last renewal.
"""

from __future__ import annotations

import time
import uuid

import redis

# Without a renewal for this long, the builder is taken for dead and another one builds.
TTL = 12.0
# The builder renews at least this often while it works (far within TTL, even on a
# busy machine).
RENEW_EVERY = 1.0
# How often a waiting process asks whether the lease is still held.
POLL = 0.1

# KEYS: 1 the lease; ARGV: 1 the token, 2 the expiry (ms) -> 1 renewed, 0 not ours
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: 1 the lease; ARGV: 1 the token -> 1 deleted, 0 not ours
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    """The right to build one failure list's index, for one index of one process. Nothing
    here costs a round trip unless it acts: :meth:`release` without the lease is free."""

    def __init__(self, client: redis.Redis, key: str, ttl: float = TTL) -> None:
        self.redis = client
        self.key = key
        self.ttl = ttl  # seconds (tests lower it)
        self.token = uuid.uuid4().hex
        self.held = False
        self._renewed = 0.0  # time.monotonic() of the last take or renewal
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)

    def take(self) -> bool:
        """Take the lease if nobody holds it (keep it if this one does: a build that
        starts again from an empty prefix, the list having changed under it)."""
        if self.held and self.renew():
            return True
        self.held = bool(self.redis.set(self.key, self.token, nx=True, px=self._ms()))
        self._renewed = time.monotonic()
        return self.held

    def renew(self) -> bool:
        """Extend the lease if it is still ours; False (and no longer held) once another
        process took it after it expired: this build goes on, but no longer holds it."""
        if not self.held:
            return False
        self.held = bool(self._renew(keys=[self.key], args=[self.token, self._ms()]))
        self._renewed = time.monotonic()
        return self.held

    def renew_due(self) -> None:
        """:meth:`renew` when RENEW_EVERY has passed since the last one (called per step of
        a build, so a build of any length keeps its lease with a round trip a second)."""
        if self.held and time.monotonic() - self._renewed >= RENEW_EVERY:
            self.renew()

    def release(self) -> None:
        """Give the lease back if it is still ours (never another process's)."""
        if not self.held:
            return
        self.held = False
        self._release(keys=[self.key], args=[self.token])

    def wait(self) -> bool:
        """Wait until nobody holds the lease: True when it is free. Polled every POLL
        seconds by its remaining time (PTTL: a number, not the multi-MB snapshot), for at
        most TTL after the last renewal seen (the holder's renewals push its expiry on).
        False when a lease without an expiry (never written here) outlived that."""
        deadline = time.monotonic() + self.ttl
        while True:
            left = self.redis.pttl(self.key)
            if left == -2:  # no such key
                return True
            now = time.monotonic()
            if left >= 0:
                deadline = now + left / 1000
            elif now >= deadline:  # -1: it would never expire
                return False
            time.sleep(max(0.001, min(POLL, deadline - now)))

    def _ms(self) -> int:
        return max(1, int(self.ttl * 1000))
