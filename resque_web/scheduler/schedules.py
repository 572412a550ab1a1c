"""Persistent schedules: resque-scheduler's ``persistent_schedules`` hash and
``schedules_changed`` set, so a Ruby or Python scheduler picks up a change on its next loop.

``set_schedule`` stores the config as Ruby does (``encode(config)``: compact JSON, the caller's
key order, ``persist`` removed) after checking it with :func:`.entries.parse_entry`, so a bad
entry is refused before any scheduler sees it. Ruby also keeps non-persistent schedules in its
own process memory; a Python process has no Ruby scheduler to share memory with, so every
schedule set here is persistent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import payload as jsonp

if TYPE_CHECKING:  # the client delegates to this module; only annotations name it here
    from ..client import Resque


def set_schedule(resque: Resque, name: str, config: dict[str, Any]) -> None:
    """Create or replace the persistent schedule ``name``; ScheduleError when it cannot run."""
    # Imported here, not at the top: the client imports this module in every process, and
    # the checks need croniter, dateutil and yaml, which a worker (copied into every job's
    # child) must not carry for a call it never makes.
    from .entries import ScheduleError, parse_entry

    config = {k: v for k, v in config.items() if k not in ("persist", ":persist")}
    parse_entry(name, config)
    try:
        encoded = jsonp.encode(config, "config")
    except (TypeError, ValueError) as exc:
        raise ScheduleError(name, str(exc)) from None
    pipe = resque.redis.pipeline(transaction=True)
    pipe.hset(resque.keys.persistent_schedules, name, encoded)
    pipe.sadd(resque.keys.schedules_changed, name)
    pipe.execute()


def fetch_schedule(resque: Resque, name: str) -> dict[str, Any] | None:
    """The stored config of ``name`` (None when absent or not a JSON object)."""
    raw = resque.redis.hget(resque.keys.persistent_schedules, name)
    return _config(raw)


def remove_schedule(resque: Resque, name: str) -> None:
    pipe = resque.redis.pipeline(transaction=True)
    pipe.hdel(resque.keys.persistent_schedules, name)
    pipe.sadd(resque.keys.schedules_changed, name)
    pipe.execute()


def all_schedules(resque: Resque) -> dict[str, Any]:
    """Every persistent schedule by name (a value that is not a JSON object: None)."""
    raw = resque.redis.hgetall(resque.keys.persistent_schedules)
    return {name: _config(value) for name, value in sorted(raw.items())}


def _config(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = jsonp.decode(raw)
    except jsonp.PayloadError:
        return None
    return value if isinstance(value, dict) else None
