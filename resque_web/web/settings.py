"""What one mounted dashboard needs to know, read once from config or the environment.

A :class:`Settings` is frozen and owned by its blueprint, so a host app can mount two
dashboards (two Redis URLs or namespaces) side by side without them sharing state.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Request

from ..connection import DEFAULT_URL
from ..keys import DEFAULT_NAMESPACE
from .hosts import LOOPBACK_NAMES, parse_hosts

DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_PORT = 5678
DEFAULT_HOST = "127.0.0.1"
PER_PAGE_CHOICES = (20, 50, 100)

# authorize(action, request) -> bool. Actions: "view" for every GET, and the names in
# ACTIONS for every mutation.
Authorize = Callable[[str, Request], bool]

ACTIONS = (
    "queue.clear",
    "queue.remove",
    "queue.delete_job",
    "failed.retry",
    "failed.remove",
    "failed.retry_all",
    "failed.clear",
    "failed.clear_retried",
    "failed.edit",
    "failed.restore",
)

# audit_user(request) -> the name the audit log records for a mutation (None: unknown).
AuditUser = Callable[[Request], "str | None"]
DEFAULT_UNDO_TTL = 3600

_TRUE = {"1", "true", "yes", "on"}


def as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def as_interval(value: object) -> float:
    """Seconds between polls; 0 (or less) turns live polling off."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"the poll interval must be a number of seconds, not {value!r}") from None
    return max(0.0, seconds)


def parse_credentials(value: str) -> tuple[str, str]:
    """``user:password`` (the password may hold ``:``) -> (user, password)."""
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError(
            "credentials must be written user:password, with a non-empty user and password"
        )
    return user, password


def credentials_from(
    auth: str | None, username: str | None, password: str | None
) -> tuple[str | None, str | None]:
    """HTTP Basic credentials from ``RESQUE_WEB_AUTH`` or the username/password pair; (None,
    None) when none is set. There is no default password: half a pair is an error."""
    if auth:
        if username or password:
            raise ValueError(
                "set RESQUE_WEB_AUTH or RESQUE_WEB_USERNAME/RESQUE_WEB_PASSWORD, not both"
            )
        return parse_credentials(auth)
    if not username and not password:
        return None, None
    return username or None, password or None


def normalize_prefix(prefix: str | None) -> str:
    """``resque/`` -> ``/resque``; empty or ``/`` -> ``""`` (mounted at the root)."""
    prefix = (prefix or "").strip().strip("/")
    return f"/{prefix}" if prefix else ""


@dataclass(frozen=True)
class Settings:
    redis_url: str = DEFAULT_URL
    namespace: str = DEFAULT_NAMESPACE
    poll_interval: float = DEFAULT_POLL_INTERVAL
    read_only: bool = False
    authorize: Authorize | None = field(default=None, compare=False)
    redis_timeout: float = 5.0
    title: str = "Resque"
    retry_removes: bool = False  # a retry takes the failure off the list instead of marking it
    # HTTP Basic auth for the standalone dashboard; None: no login (the host's auth applies).
    username: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)
    # Seconds a cleared or removed failure can be restored from the audit page (0: no undo).
    undo_ttl: int = DEFAULT_UNDO_TTL
    audit_user: AuditUser | None = field(default=None, compare=False)
    # Host names served (see hosts.py); None: no check (embedded: the host app's concern).
    allowed_hosts: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_hosts", parse_hosts(self.allowed_hosts))
        if (self.username is None) != (self.password is None):
            raise ValueError(
                "HTTP Basic auth needs both a user name and a password (there is no default "
                "password): set RESQUE_WEB_AUTH=user:password"
            )
        if self.username is not None and (not self.password or not self.username):
            raise ValueError("HTTP Basic auth needs a non-empty user name and password")
        if self.username is not None and ":" in self.username:
            raise ValueError("an HTTP Basic user name cannot contain ':'")

    @property
    def basic_auth(self) -> bool:
        return self.username is not None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Settings from a Flask-style config mapping, falling back to the environment."""

        def pick(key: str, env: str, default: Any) -> Any:
            if key in config:
                return config[key]
            return os.environ.get(env, default)

        username, password = credentials_from(
            pick("RESQUE_WEB_AUTH", "RESQUE_WEB_AUTH", None),
            pick("RESQUE_WEB_USERNAME", "RESQUE_WEB_USERNAME", None),
            pick("RESQUE_WEB_PASSWORD", "RESQUE_WEB_PASSWORD", None),
        )
        # Standalone, unset: loopback names without a password (a rebinding page's script
        # could use a password-less dashboard), any name with one (the browser does not
        # give another origin's page the credentials).
        hosts = parse_hosts(pick("RESQUE_WEB_ALLOWED_HOSTS", "RESQUE_WEB_ALLOWED_HOSTS", None))
        if hosts is None:
            hosts = ("*",) if username else LOOPBACK_NAMES
        return cls(
            redis_url=pick("REDIS_URL", "REDIS_URL", DEFAULT_URL),
            namespace=pick("RESQUE_NAMESPACE", "RESQUE_NAMESPACE", DEFAULT_NAMESPACE),
            poll_interval=as_interval(
                pick("RESQUE_WEB_POLL_INTERVAL", "RESQUE_WEB_POLL_INTERVAL", DEFAULT_POLL_INTERVAL)
            ),
            read_only=as_bool(pick("RESQUE_WEB_READ_ONLY", "RESQUE_WEB_READ_ONLY", False)),
            authorize=config.get("RESQUE_WEB_AUTHORIZE"),
            redis_timeout=float(pick("RESQUE_WEB_REDIS_TIMEOUT", "RESQUE_WEB_REDIS_TIMEOUT", 5.0)),
            title=str(config.get("RESQUE_WEB_TITLE", "Resque")),
            retry_removes=as_bool(
                pick("RESQUE_WEB_RETRY_REMOVES", "RESQUE_WEB_RETRY_REMOVES", False)
            ),
            username=username,
            password=password,
            undo_ttl=int(pick("RESQUE_WEB_UNDO_TTL", "RESQUE_WEB_UNDO_TTL", DEFAULT_UNDO_TTL)),
            audit_user=config.get("RESQUE_WEB_AUDIT_USER"),
            allowed_hosts=hosts,
        )
