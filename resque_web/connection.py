"""Redis connections: one pool per URL, and URLs safe to print.

This is the one place a URL becomes a connection pool, for the dashboard, the worker, the
scheduler and the enqueue API alike. Besides ``redis://``, ``rediss://`` and ``unix://``
(redis-py's own), it reads Redis Sentinel URLs::

    redis+sentinel://[[user]:password@]host:port[,host:port...]/service[/db][?sentinel_password=...]

The pool asks the sentinels for the service's master on every new connection, so after a
failover the next connection goes to the promoted replica; until then commands fail with
``ConnectionError`` (pages answer 503, the worker waits and retries). The password is the
data nodes'; sentinels that need one of their own take ``sentinel_password``.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import redis
from redis.connection import HiredisRespSerializer
from redis.sentinel import Sentinel, SentinelConnectionPool
from redis.utils import HIREDIS_AVAILABLE

from .exact import ERRORS

DEFAULT_URL = "redis://127.0.0.1:6379/0"
SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379

# Redis refusing a write it would take elsewhere: a read-only replica, maxmemory, an ACL
# user without write access. What the dashboard writes only to share work (the failure
# index's snapshot and build lease) is skipped then; the page is still served.
WRITES_REFUSED = (
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.NoPermissionError,
)

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
            pool = new_pool(url, socket_timeout)
            _pools[(url, socket_timeout)] = pool
    return redis.Redis(connection_pool=pool)


def new_pool(url: str, socket_timeout: float | None = 5.0) -> redis.ConnectionPool:
    """A connection pool of its own for ``url`` (``redis+sentinel://`` included), decoding
    replies as UTF-8 and sending text back byte for byte (see :mod:`resque_web.exact`)."""
    url = normalize_url(url)
    options: dict[str, Any] = {
        "decode_responses": True,
        "encoding_errors": ERRORS,
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": min(socket_timeout or 5.0, 5.0),
        "health_check_interval": 30,
        **_PACKER,
    }
    if not is_sentinel_url(url):
        return redis.ConnectionPool.from_url(url, **options)
    found = SentinelURL.parse(url)
    timeouts = {k: options[k] for k in ("socket_timeout", "socket_connect_timeout")}
    sentinel_kwargs = dict(timeouts)
    if found.sentinel_password:
        sentinel_kwargs["password"] = found.sentinel_password
    sentinel = Sentinel(found.sentinels, sentinel_kwargs=sentinel_kwargs, **timeouts)
    return SentinelConnectionPool(
        found.service,
        sentinel,
        db=found.db,
        username=found.username,
        password=found.password,
        **options,
    )


def is_sentinel_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() == SENTINEL_SCHEME


@dataclass(frozen=True)
class SentinelURL:
    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SentinelURL:
        """``redis+sentinel://[[user]:password@]h:p[,h:p...]/service[/db]``; ValueError
        naming what is wrong and how it is spelled."""
        shape = f"{SENTINEL_SCHEME}://[password@]host:port[,host:port...]/service[/db]"
        rest = url.split("://", 1)[1]
        rest, _, query = rest.partition("?")
        netloc, _, path = rest.partition("/")
        userinfo, at, hosts = netloc.rpartition("@")
        username = password = None
        if at:
            user, colon, secret = userinfo.partition(":")
            username, password = (unquote(user) or None, unquote(secret)) if colon else (
                None, unquote(user)
            )  # fmt: skip
        sentinels = [_host_port(part, shape) for part in hosts.split(",") if part.strip()]
        if not sentinels:
            raise ValueError(f"no sentinel in {mask_url(url)}: write {shape}")
        service, _, db_text = path.strip("/").partition("/")
        if not service:
            raise ValueError(f"no service name in {mask_url(url)}: write {shape}")
        try:
            db = int(db_text or 0)
        except ValueError:
            raise ValueError(f"database {db_text!r} is not a number: write {shape}") from None
        sentinel_password = parse_qs(query).get("sentinel_password", [None])[0]
        return cls(sentinels, unquote(service), db, username, password, sentinel_password)


def _host_port(text: str, shape: str) -> tuple[str, int]:
    text = text.strip()
    if text.startswith("["):  # [::1]:26379
        host, _, port = text[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    try:
        return host, int(port) if port else SENTINEL_PORT
    except ValueError:
        raise ValueError(f"sentinel {text!r}: the port is not a number; write {shape}") from None


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and pages."""
    url = normalize_url(url)
    if is_sentinel_url(url):
        scheme, _, rest = url.partition("://")
        netloc, slash, tail = rest.partition("/")
        userinfo, at, hosts = netloc.rpartition("@")
        if at:
            user, colon, _ = userinfo.partition(":")
            netloc = f"{user}:***@{hosts}" if colon else f"***@{hosts}"
        tail = re.sub(r"(sentinel_password=)[^&]*", r"\1***", tail)
        return f"{scheme}://{netloc}{slash}{tail}"
    parts = urlsplit(url)
    if parts.password is None:
        return urlunsplit(parts)
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
