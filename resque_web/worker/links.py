"""The worker's Redis connections and the objects built on them, made on first use.

A forked child gets :meth:`Links.fresh`: its own connection pool, opened only if the child
needs Redis (to record a failure), never one it inherited from the parent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis

from ..client import Resque
from ..connection import new_pool
from ..keys import Keys
from ..registry import JobRegistry
from .failures import FailureRecorder
from .registration import Registration


def new_client(url: str, socket_timeout: float = 5.0) -> redis.Redis:
    """A client on a pool of its own, decoding as the rest of the package does."""
    return redis.Redis(connection_pool=new_pool(url, socket_timeout))


class Links:
    def __init__(
        self,
        url: str,
        namespace: str,
        worker_id: str,
        registry: JobRegistry,
        failure_backend: str,
        log: logging.Logger,
        sleep: Callable[[float], None],
        give_up: Callable[[], bool],
    ) -> None:
        self.url, self.namespace, self.worker_id = url, namespace, worker_id
        self.registry, self.failure_backend = registry, failure_backend
        self.log, self.sleep, self.give_up = log, sleep, give_up
        self.keys = Keys(namespace)
        self._redis: redis.Redis | None = None
        self._resque: Resque | None = None
        self._registration: Registration | None = None
        self._recorder: FailureRecorder | None = None

    def fresh(self) -> Links:
        return Links(
            self.url,
            self.namespace,
            self.worker_id,
            self.registry,
            self.failure_backend,
            self.log,
            self.sleep,
            self.give_up,
        )

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = new_client(self.url)
        return self._redis

    @property
    def resque(self) -> Resque:
        if self._resque is None:
            self._resque = Resque(self.redis, self.namespace, self.registry)
        return self._resque

    @property
    def registration(self) -> Registration:
        if self._registration is None:
            self._registration = Registration(self.redis, self.keys, self.worker_id)
        return self._registration

    @property
    def recorder(self) -> FailureRecorder:
        if self._recorder is None:
            self._recorder = FailureRecorder(
                self.resque, self.failure_backend, self.log, self.sleep, self.give_up
            )
        return self._recorder
