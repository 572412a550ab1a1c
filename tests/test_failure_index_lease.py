"""One failure-index build per deployment: processes that start together with nothing
saved let one of them build (under the build lease) and load what it saves."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
import redis

from resque_web.connection import connect
from resque_web.failure import FailedJob
from resque_web.keys import Keys
from resque_web.model.failure_index import FailureIndex, columns, lease, snapshot
from resque_web.model.failure_index.lease import Lease
from resque_web.model.failure_index.reading import Fields
from tests.support.roundtrips import count_redis

KEY = "resque:failed"
KEYS = Keys("resque")
LEASE = KEYS.failure_index_build(KEY)
SAVED = KEYS.failure_index(KEY)
CLASSES = ["Archive", "Billing::Charge", "Mailer"]
EXCEPTIONS = ["KeyError", "Net::ReadTimeout"]


def fill(r: redis.Redis, count: int) -> None:
    records = [
        json.dumps(
            {
                "failed_at": f"2026/11/27 17:{i // 60 % 60:02d}:{i % 60:02d} UTC",
                "payload": {"class": CLASSES[i % 3], "args": [i]},
                "exception": EXCEPTIONS[i % 2],
                "error": f"boom {i % 7}",
                "backtrace": [],
                "worker": "w:1:*",
                "queue": "default",
            }
        )
        for i in range(count)
    ]
    for first in range(0, count, 5000):
        r.rpush(KEY, *records[first : first + 5000])


def truth(r: redis.Redis) -> dict[str, int]:
    raws = r.lrange(KEY, 0, -1)
    return dict(Counter(FailedJob(i, raw).display_class for i, raw in enumerate(raws)))


def process(redis_url: str) -> FailureIndex:
    """An index as a new process starts it: its own connection pool, nothing in memory."""
    return FailureIndex(connect(redis_url), KEY, keys=KEYS)


def wait_for_lease(r: redis.Redis) -> None:
    """Until some process holds the build lease (a build is under way)."""
    deadline = time.monotonic() + 5
    while not r.exists(LEASE):
        assert time.monotonic() < deadline
        time.sleep(0.005)


def slow_chunks(monkeypatch: pytest.MonkeyPatch, seconds: float) -> list[int]:
    """Every chunk indexed (in any index of this test) takes ``seconds`` longer; returns
    the sizes of the chunks indexed."""
    sizes: list[int] = []

    def slow(raws: list[bytes], list_queue: str | None) -> Fields:
        sizes.append(len(raws))
        time.sleep(seconds)
        return Fields(raws, list_queue)

    monkeypatch.setattr(columns, "Fields", slow)
    return sizes


def test_processes_starting_together_build_the_index_once(r: redis.Redis, redis_url: str) -> None:
    """Two processes (own pools), started together over a list worth saving: one builds
    and saves, the other waits for it and loads the save, checked as usual."""
    fill(r, snapshot.SAVE_AFTER)
    first, second = process(redis_url), process(redis_url)
    first._start()  # what the registry does for a process's new index
    second._start()
    first.current(None)
    second.current(None)
    assert sorted([first.records_indexed, second.records_indexed]) == [0, snapshot.SAVE_AFTER]
    assert dict(first.counts()[0]) == dict(second.counts()[0]) == truth(r)
    assert first.facets() == second.facets()
    assert first.rebuilds == second.rebuilds == 0
    assert r.exists(SAVED) and not r.exists(LEASE)


def test_the_lease_is_kept_until_the_save_is_written(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The builder's page gets its answer before the save (as before), but the lease goes
    only once the save is written: a waiter that saw it go finds the save."""
    dump = snapshot.dump
    held_while_saving: list[int] = []

    def slow_dump(*args: object) -> str:
        held_while_saving.append(r.exists(LEASE))
        time.sleep(0.3)
        return dump(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot, "dump", slow_dump)
    fill(r, snapshot.SAVE_AFTER)
    builder, waiter = process(redis_url), process(redis_url)
    builder._start()  # saves in its background thread, after it answers
    wait_for_lease(r)
    waiter.current(None)
    assert held_while_saving == [1]
    assert waiter.records_indexed == 0
    builder.current(None)
    assert builder.records_indexed == snapshot.SAVE_AFTER


def test_the_builder_renews_its_lease_while_it_builds(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build longer than the lease's expiry keeps it by renewing: the other process
    still waits (and loads the save) instead of building too."""
    monkeypatch.setattr("resque_web.model.failure_index.index.CHUNK", 500)
    monkeypatch.setattr(lease, "RENEW_EVERY", 0.05)
    slow_chunks(monkeypatch, 0.05)  # 20 chunks: about 1 s, over three expiries
    fill(r, snapshot.SAVE_AFTER)
    builder, waiter = process(redis_url), process(redis_url)
    builder.lease.ttl = waiter.lease.ttl = 0.3
    builder._start()
    wait_for_lease(r)
    waiter.current(None)
    assert waiter.records_indexed == 0  # loaded the save
    assert builder.records_indexed == snapshot.SAVE_AFTER
    assert dict(waiter.counts()[0]) == truth(r)


def test_a_builder_that_died_is_taken_over_once_its_lease_expires(
    r: redis.Redis, redis_url: str
) -> None:
    """Nobody renews the lease (its builder was killed): the waiter builds itself once it
    expires, and never waits longer than that."""
    fill(r, snapshot.SAVE_AFTER)
    r.set(LEASE, "a killed process", px=600)
    index = process(redis_url)
    taken: list[float] = []
    take = index.lease.take

    def timed_take() -> bool:
        got = take()
        if got:
            taken.append(time.monotonic())
        return got

    index.lease.take = timed_take  # type: ignore[method-assign]
    start = time.monotonic()
    index.current(None)
    assert len(taken) == 1
    assert 0.5 <= taken[0] - start <= 0.6 + lease.POLL + 0.15
    assert index.records_indexed == snapshot.SAVE_AFTER
    assert dict(index.counts()[0]) == truth(r)
    assert r.exists(SAVED) and not r.exists(LEASE)


def test_a_lease_that_never_expires_is_waited_for_one_ttl_at_most(
    r: redis.Redis, redis_url: str
) -> None:
    """A lease key without an expiry (not one this code writes) cannot hold a process
    back for longer than the lease's TTL: it builds without it."""
    fill(r, snapshot.SAVE_AFTER)
    r.set(LEASE, "someone else")
    index = process(redis_url)
    index.lease.ttl = 0.4
    start = time.monotonic()
    index.current(None)
    assert time.monotonic() - start < 0.4 + 1.0
    assert index.records_indexed == snapshot.SAVE_AFTER
    assert r.get(LEASE) == "someone else"  # never another's to delete


def test_a_page_never_waits_for_another_process_build(r: redis.Redis, redis_url: str) -> None:
    """Waiting for another process happens in the background: a page's budget holds."""
    fill(r, snapshot.SAVE_AFTER)
    r.set(LEASE, "another process", px=1000)
    index = process(redis_url)
    start = time.monotonic()
    assert not index.current(0.15)
    assert time.monotonic() - start < 0.5
    assert index.n == 0
    index.current(None)  # after the lease expired, it built itself
    assert index.records_indexed == snapshot.SAVE_AFTER


def test_renew_and_release_touch_only_the_holders_lease(r: redis.Redis) -> None:
    """A builder that stalled past its expiry cannot extend or delete the lease another
    process took since."""
    stale, current = Lease(r, LEASE, ttl=0.2), Lease(r, LEASE, ttl=30)
    assert stale.take()
    assert not current.take()
    r.delete(LEASE)  # it expired
    assert current.take()
    assert not stale.renew()
    assert not stale.held
    assert r.get(LEASE) == current.token and r.pttl(LEASE) > 29_000  # not shortened
    stale.held = True  # a builder that still believes it holds it
    stale.release()
    assert r.get(LEASE) == current.token
    assert current.renew()
    current.release()
    assert not r.exists(LEASE)


def test_a_short_list_takes_no_lease(r: redis.Redis, redis_url: str) -> None:
    """Fewer failures than are worth saving: every process reads them itself, at once,
    whoever holds the lease."""
    fill(r, 100)
    r.set(LEASE, "another process", px=30_000)
    index = process(redis_url)
    start = time.monotonic()
    with count_redis() as tally:
        index.current(None)
    assert time.monotonic() - start < 1
    assert index.records_indexed == 100
    assert not {"SET", "PTTL", "EVALSHA", "EVAL"} & set(tally.command_names)
    assert r.get(LEASE) == "another process"


@pytest.mark.parametrize("wait", [None, 5.0])
def test_an_error_in_the_build_releases_the_lease(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch, wait: float | None
) -> None:
    """A build that fails (synchronously, or in the background thread a page waits on)
    leaves no lease behind: the next process builds at once instead of waiting it out."""
    fill(r, snapshot.SAVE_AFTER)
    indexed: list[int] = []

    def failing(raws: list[bytes], list_queue: str | None) -> Fields:
        indexed.append(len(raws))
        if len(indexed) == 2:
            raise RuntimeError("indexing failed")
        return Fields(raws, list_queue)

    monkeypatch.setattr(columns, "Fields", failing)
    index = process(redis_url)
    with pytest.raises(RuntimeError, match="indexing failed"):
        index.current(wait)
    assert not r.exists(LEASE) and not index.lease.held
    monkeypatch.undo()
    other = process(redis_url)
    start = time.monotonic()
    other.current(None)
    assert time.monotonic() - start < 2  # not the lease's 12 s
    assert other.records_indexed == snapshot.SAVE_AFTER


def test_a_redis_error_while_waiting_reaches_the_page(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The waiting thread ends with the error, which the next wait raises, as any Redis
    error in a build does; once Redis answers again the index catches up."""
    fill(r, snapshot.SAVE_AFTER)
    r.set(LEASE, "another process", px=30_000)
    index = process(redis_url)
    asked: list[str] = []
    pttl = index.redis.pttl

    def failing(name: str) -> int:
        asked.append(name)
        if len(asked) >= 5:
            raise redis.ConnectionError("Redis went away")
        return pttl(name)

    monkeypatch.setattr(index.redis, "pttl", failing)
    assert not index.current(0.05)
    with pytest.raises(redis.ConnectionError):
        index.current(2.0)
    assert index._build is not None and not index._build.running
    monkeypatch.undo()
    r.set(LEASE, "another process", px=300)  # a build under way: still waited for
    start = time.monotonic()
    index.current(None)
    assert time.monotonic() - start >= 0.25
    assert index.records_indexed == snapshot.SAVE_AFTER
