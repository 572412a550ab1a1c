"""A dashboard on a Redis that takes no writes (a read-only replica) still counts and
shows failures: what the failure index writes only to share work with other processes
(its snapshot, its build lease) is skipped, never turned into a 503."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import redis

from resque_web.keys import Keys
from resque_web.model.failure_index import FailureIndex, snapshot
from resque_web.redis_server import RedisServer
from resque_web.web import create_app
from tests.support.worker import wait_until

KEY = "resque:failed"
COUNT = 300


def failure(i: int) -> str:
    return json.dumps(
        {
            "failed_at": "2026/11/27 17:05:00 UTC",
            "payload": {"class": f"Job{i % 3}", "args": [i]},
            "exception": "RuntimeError",
            "error": "boom",
            "backtrace": [],
            "worker": "w:1:q",
            "queue": "q",
        }
    )


@pytest.fixture
def refusing(r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The port of a read-only replica holding COUNT failures. (At maxmemory Redis 7 also
    refuses the reads queued in a MULTI, so pages answer 503 "out of memory" there.)"""
    monkeypatch.setattr(snapshot, "SAVE_AFTER", 100)  # worth sharing: a lease is asked for
    r.rpush(KEY, *[failure(i) for i in range(COUNT)])
    r.config_set("repl-diskless-sync-delay", 0)  # the copy at once, not after 5 s
    with RedisServer() as replica:
        client = redis.Redis(port=replica.port)
        client.replicaof("127.0.0.1", r.connection_pool.connection_kwargs["port"])
        wait_until(lambda: client.llen(KEY) == COUNT, 10, "the replica's copy")
        with pytest.raises(redis.exceptions.ReadOnlyError):
            client.set("probe", "1")
        yield str(replica.port)


def test_the_index_builds_without_sharing_it(refusing: str) -> None:
    client = redis.Redis(port=int(refusing), decode_responses=True)
    index = FailureIndex(client, KEY, keys=Keys("resque"))
    index.current(None)  # the save and the lease refused: counted all the same
    assert dict(index.counts()[0]) == {"Job0": 100, "Job1": 100, "Job2": 100}
    assert not client.exists(Keys("resque").failure_index_build(KEY))


def test_failure_pages_are_served(refusing: str) -> None:
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{refusing}/0"})
    client = app.test_client()
    for path in ("/failed", "/failed/groups", "/api/v1/failed"):
        deadline = time.monotonic() + 10
        while True:  # the first answers may come while the index is still counting
            response = client.get(path)
            assert response.status_code == 200, (path, response.data[:300])
            if b"Job1" in response.data and (
                not path.startswith("/api") or response.get_json()["counting"] is None
            ):
                break
            assert time.monotonic() < deadline, path
            time.sleep(0.05)
