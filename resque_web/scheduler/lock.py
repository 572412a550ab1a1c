"""The scheduler's master lock, shared with Ruby's resque-scheduler.

Same key (``<ns>:<ns>:[prefix:]resque_scheduler_master_lock``), value (``host:pid``) and rules
as Ruby's ``Lock::Resilient``: take it with SETNX + EXPIRE when free, renew the expiry only
while its value is still ours, so in any mix of Ruby and Python schedulers one is master and
a master that stops renewing loses the lock after ``timeout`` seconds.
"""

from __future__ import annotations

import os
import socket

import redis

from .scripts import ACQUIRE, LOCKED, RELEASE, script

# resque-scheduler's LOCK_TIMEOUT default: 3 minutes.
DEFAULT_TIMEOUT = 180

_ACQUIRE = script(ACQUIRE)
_LOCKED = script(LOCKED)
_RELEASE = script(RELEASE)


def lock_value() -> str:
    """``host:pid``, as Ruby's ``Lock::Base#value``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class MasterLock:
    def __init__(
        self,
        client: redis.Redis,
        key: str,
        value: str | None = None,
        timeout: int = DEFAULT_TIMEOUT,
    ) -> None:
        self.redis = client
        self.key = key
        self.value = value or lock_value()
        self.timeout = int(timeout)

    def acquire(self) -> bool:
        """Take the lock if nobody holds it."""
        return (
            int(_ACQUIRE(keys=[self.key], args=[self.value, self.timeout], client=self.redis)) == 1
        )

    def locked(self) -> bool:
        """True (and the expiry renewed) while the lock holds our value."""
        return (
            int(_LOCKED(keys=[self.key], args=[self.value, self.timeout], client=self.redis)) == 1
        )

    def master(self) -> bool:
        """Ruby's ``master?``: ``acquire! || locked?``."""
        return self.acquire() or self.locked()

    def release(self) -> bool:
        """Delete the lock if it is ours (one step: a lock taken over meanwhile stays)."""
        return int(_RELEASE(keys=[self.key], args=[self.value], client=self.redis)) == 1

    def holder(self) -> str | None:
        value = self.redis.get(self.key)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
