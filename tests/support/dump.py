"""Load ``resque-redis-dump/1`` files (real Ruby Resque data) into a Redis."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import redis

FIXTURES = Path(
    os.environ.get("RESQUE_WEB_FIXTURES", Path(__file__).resolve().parents[3] / "shared/fixtures")
)
RUBY_SMALL = FIXTURES / "ruby-resque-3.0-small.json"
# resque-scheduler 5.0, resque-retry 1.8 and resque-status 0.5 on Resque 3.0 (see its README)
RUBY_PLUGINS = FIXTURES / "ruby-plugins-small.json"


def _text(value: Any) -> str | bytes:
    if isinstance(value, dict) and "base64" in value:
        return base64.b64decode(value["base64"])
    return value


def read_dump(path: Path = RUBY_SMALL) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the shared fixtures live in ../shared/fixtures beside the "
            "checkout (set RESQUE_WEB_FIXTURES to point elsewhere)"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "resque-redis-dump/1", data["format"]
    return data


def dump_keys(path: Path = RUBY_SMALL) -> dict[str, dict[str, Any]]:
    """The dump's entries by key name."""
    return {entry["key"]: entry for entry in read_dump(path)["keys"]}


def load_dump(client: redis.Redis, path: Path = RUBY_SMALL, keep_ttl: bool = False) -> int:
    """Write every key of the dump; TTLs are dropped unless ``keep_ttl`` (the prune lock's
    60 s would otherwise make tests depend on the clock). Returns the number of keys."""
    entries = read_dump(path)["keys"]
    pipe = client.pipeline(transaction=False)
    for entry in entries:
        key, kind, value = _text(entry["key"]), entry["type"], entry["value"]
        pipe.delete(key)
        if kind == "string":
            pipe.set(key, _text(value))
        elif kind == "list":
            pipe.rpush(key, *[_text(v) for v in value])
        elif kind == "set":
            pipe.sadd(key, *[_text(v) for v in value])
        elif kind == "zset":
            pipe.zadd(key, {_text(m): s for m, s in value})
        elif kind == "hash":
            pipe.hset(key, mapping={_text(f): _text(v) for f, v in value})
        else:
            raise ValueError(f"unknown type {kind!r} for {key!r}")
        if keep_ttl and entry["ttl_ms"] > 0:
            pipe.pexpire(key, entry["ttl_ms"])
    pipe.execute()
    return len(entries)
