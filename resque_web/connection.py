"""Redis connections: one pool per URL, and URLs safe to print."""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.connection import HiredisRespSerializer
from redis.utils import HIREDIS_AVAILABLE

from .exact import ERRORS

DEFAULT_URL = "redis://127.0.0.1:6379/0"

_pools: dict[tuple[str, float | None], redis.ConnectionPool] = {}
_lock = threading.Lock()


def default_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_URL


def normalize_url(url: str) -> str:
    """Accept Ruby-style ``host:port`` and ``host:port/db`` as well as ``redis://`` URLs."""
    if "://" in url:
        return url
    return f"redis://{url}"


class ExactPacker(HiredisRespSerializer):
    """hiredis packs commands (redis-py's choice when it is installed) but encodes text as
    strict UTF-8, ignoring the connection's error handler: a name or record holding bytes
    that are not UTF-8 (lone surrogates, :mod:`resque_web.exact`) could not be sent back.
    Text is encoded here with that handler; hiredis packs the bytes."""

    def pack(self, *args: Any) -> list[bytes]:
        return super().pack(  # type: ignore[no-any-return]
            *(arg.encode("utf-8", ERRORS) if isinstance(arg, str) else arg for arg in args)
        )


# redis-py's own packer (without hiredis) already encodes with the pool's encoding_errors.
_PACKER: dict[str, Any] = {"command_packer": ExactPacker()} if HIREDIS_AVAILABLE else {}


def connect(url: str | None = None, socket_timeout: float | None = 5.0) -> redis.Redis:
    """A client on a shared pool, decoding replies as UTF-8 byte for byte (bytes that are
    not UTF-8 round-trip: see :mod:`resque_web.exact`).

    Reusing the pool keeps request latency free of connection setup; the timeout keeps a
    hung Redis from hanging a page forever.
    """
    url = normalize_url(url or default_url())
    with _lock:
        pool = _pools.get((url, socket_timeout))
        if pool is None:
            pool = redis.ConnectionPool.from_url(
                url,
                decode_responses=True,
                encoding_errors=ERRORS,
                socket_timeout=socket_timeout,
                socket_connect_timeout=min(socket_timeout or 5.0, 5.0),
                health_check_interval=30,
                **_PACKER,
            )
            _pools[(url, socket_timeout)] = pool
    return redis.Redis(connection_pool=pool)


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and pages."""
    parts = urlsplit(normalize_url(url))
    if parts.password is None:
        return urlunsplit(parts)
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
