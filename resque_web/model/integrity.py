"""Which of Resque's keys hold the wrong Redis type, for the page that explains a WRONGTYPE.

Resque's keys have fixed types (``queues`` a set, ``queue:<name>`` and ``failed`` lists,
``workers:heartbeat`` a hash, counters strings). Something else writing there (a typo in a
script, another app sharing the namespace) makes every command on that key fail with
WRONGTYPE. Redis' error does not say which key, so this checks them: one pipelined
``TYPE`` per key, a bounded number of keys, run only after such an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis

from ..keys import Keys

# How many keys one diagnosis looks at, at most (queues and workers are sampled by SSCAN).
LIMIT = 2000


@dataclass(frozen=True)
class WrongType:
    name: str  # without the namespace, as the key browser shows it
    actual: str
    expected: str


def _members(client: redis.Redis, key: str, kind: str, limit: int) -> list[str]:
    """Up to ``limit`` members of a set, or none when the key is not a set."""
    if kind != "set":
        return []
    found: list[str] = []
    for member in client.sscan_iter(key, count=500):
        found.append(member)
        if len(found) >= limit:
            break
    return found


def wrong_types(
    client: redis.Redis,
    keys: Keys,
    queues: Iterable[str] = (),
    workers: Iterable[str] = (),
    limit: int = LIMIT,
) -> list[WrongType]:
    """Resque keys whose type is not the one Resque gives them (missing keys are fine).

    ``queues`` and ``workers`` name extra subjects to check (the queue a page is about),
    besides the members of the ``queues``, ``failed_queues`` and ``workers`` sets."""
    expected: dict[str, str] = {
        keys.queues: "set",
        keys.failed_queues: "set",
        keys.workers: "set",
        keys.failed: "list",
        keys.heartbeats: "hash",
        keys.processed: "string",
        keys.failed_count: "string",
    }
    pipe = client.pipeline(transaction=False)
    for key in (keys.queues, keys.failed_queues, keys.workers):
        pipe.type(key)
    set_types = pipe.execute()
    share = limit // 3
    queue_names = [*queues, *_members(client, keys.queues, set_types[0], share)]
    for name in queue_names:
        expected[keys.queue(name)] = "list"
    for name in _members(client, keys.failed_queues, set_types[1], share):
        expected[keys.failed_list(name)] = "list"
    for worker_id in [*workers, *_members(client, keys.workers, set_types[2], share // 4)]:
        expected[keys.worker(worker_id)] = "string"
        expected[keys.worker_started(worker_id)] = "string"
        expected[keys.worker_stat("processed", worker_id)] = "string"
        expected[keys.worker_stat("failed", worker_id)] = "string"
    names = list(expected)[: limit + 16]
    pipe = client.pipeline(transaction=False)
    for key in names:
        pipe.type(key)
    return [
        WrongType(keys.strip(key), actual, expected[key])
        for key, actual in zip(names, pipe.execute())
        if actual not in ("none", expected[key])
    ]
