"""After a change nobody logged (Ruby's resque-web removed a failure), the failure index
keeps the longest prefix one of its checkpoints still vouches for and re-reads only the
records after it, never giving a wrong count or position."""

from __future__ import annotations

import json
import random
import uuid

import pytest
import redis

from resque_web.failure import FailureList, digest
from resque_web.keys import Keys
from resque_web.model.failure_index import FailureIndex, snapshot
from resque_web.model.failure_index.tail import MAX_CHECKPOINTS, Checkpoints, Tail
from tests.support.roundtrips import count_redis
from tests.test_failure_index import (
    KEY,
    dashboard_change,
    exact,
    fresh_process_index,
    indexed,
    mutate,
    record,
)

SIZE = 10_000


def ruby_remove(r: redis.Redis, position: int) -> None:
    """Resque::Failure.remove as Ruby's resque-web does it: nothing logged."""
    tomb = uuid.uuid4().hex
    r.lset(KEY, position, tomb)
    r.lrem(KEY, 1, tomb)


def built(r: redis.Redis, index: FailureIndex | None = None) -> FailureIndex:
    rng = random.Random(SIZE)
    r.rpush(KEY, *[record(rng, True) for _ in range(SIZE)])
    index = index or FailureIndex(r, KEY)
    index.current(None)
    assert index.records_indexed == SIZE
    return index


def reread(index: FailureIndex) -> int:
    """How many records the index reads again to catch up with ``change``."""
    before = index.records_indexed
    index.current(None)
    return index.records_indexed - before


@pytest.mark.parametrize(
    ("position", "most"),
    [
        (SIZE - 1, 2_000),  # the newest failure: the last checkpoint before it holds
        (9_500, 2_000),
        (5_000, 6_000),  # the middle: about half is read again
    ],
)
def test_a_removal_nobody_logged_rereads_only_what_follows_the_last_intact_checkpoint(
    r: redis.Redis, position: int, most: int
) -> None:
    index = built(r)
    ruby_remove(r, position)
    count = reread(index)
    assert 0 < count <= most  # the old code read all 9,999 again
    assert index.rebuilds == 1
    assert indexed(index) == exact(r)


def test_a_request_leaves_the_resume_to_the_background(r: redis.Redis) -> None:
    """Resuming takes a look per checkpoint tried: a page's own step stops at the failed
    check (one look) and waits for the background thread within its budget."""
    index = built(r)
    ruby_remove(r, SIZE - 1)
    with count_redis() as tally:
        index.current(5.0)  # as a page asks, with a budget long enough to see the end
    assert tally.round_trips == 1  # its own look; the resume ran in the background
    assert index.rebuilds == 1 and index.records_indexed <= SIZE + 2_000
    assert indexed(index) == exact(r)


def test_a_removal_before_every_checkpoint_rebuilds_from_the_start(r: redis.Redis) -> None:
    index = built(r)
    ruby_remove(r, 5)
    assert reread(index) == SIZE - 1
    assert indexed(index) == exact(r)


def test_a_cleared_and_refilled_list_is_read_whole(r: redis.Redis) -> None:
    """No checkpoint vouches for records that were all replaced, however many there are."""
    index = built(r)
    r.delete(KEY)
    rng = random.Random(1)
    r.rpush(KEY, *[record(rng, True) for _ in range(SIZE + 10)])
    assert reread(index) == SIZE + 10
    assert indexed(index) == exact(r)


def test_a_process_whose_loaded_index_fails_its_check_resumes_from_its_checkpoints(
    r: redis.Redis,
) -> None:
    built(r, fresh_process_index(r))  # builds and saves, checkpoints included
    ruby_remove(r, 9_000)
    later = fresh_process_index(r)
    later.save_after = SIZE
    later.current(None)
    assert 0 < later.records_indexed <= 2_000
    assert indexed(later) == exact(r)


def test_a_logged_removal_retires_the_checkpoints_after_it(r: redis.Redis) -> None:
    """Positions after a dashboard removal moved up one: the checkpoints of longer
    prefixes no longer describe them and are dropped, so a later unlogged removal resumes
    from one before the logged one."""
    index = built(r)
    failures = FailureList(r, Keys("resque"), KEY)
    assert failures.remove(3_000, digest(r.lindex(KEY, 3_000))).ok
    index.current(None)
    assert [n for n, _ in index._state.checkpoints.kept] == [2_000]
    ruby_remove(r, 9_000)
    assert reread(index) == SIZE - 2 - 2_000
    assert indexed(index) == exact(r)


@pytest.mark.parametrize("seed", range(6))
def test_resumed_indexes_never_give_a_wrong_position(
    r: redis.Redis, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints after every look and small chunks, under random Ruby and dashboard
    changes (runs of byte-identical records included): every class's positions equal a
    full read after each step, every failure counted retried is, and resuming happens."""
    monkeypatch.setattr("resque_web.model.failure_index.index.CHUNK", 7)
    monkeypatch.setattr("resque_web.model.failure_index.tail.CHECKPOINT_GAP", 1)
    rng = random.Random(700 + seed)
    r.rpush(KEY, *[record(rng, rng.random() < 0.5) for _ in range(120)])
    index = FailureIndex(r, KEY)
    index.current(None)
    resumed = 0
    for step in range(80):
        ops = [
            dashboard_change(r, rng) if rng.random() < 0.4 else mutate(r, rng)
            for _ in range(rng.randint(1, 3))
        ]
        rebuilds, before = index.rebuilds, index.records_indexed
        found, want = indexed(index), exact(r)
        # Ruby's retries are not logged: a kept prefix learns of them at a full rebuild
        # (counts by retried say "about"), but never calls a failure retried wrongly.
        found_retried, want_retried = found.pop("(retried)", []), want.pop("(retried)", [])
        assert found == want, f"step {step} after {ops}"
        assert set(found_retried) <= set(want_retried), f"step {step} after {ops}"
        if index.rebuilds > rebuilds and index.records_indexed - before < r.llen(KEY):
            resumed += 1
    assert resumed >= 3


def test_checkpoints_stay_few_and_keep_the_newest() -> None:
    kept = Checkpoints()
    for n in range(2_000, 2_000_001, 2_000):
        kept.add(n, Tail(window=[str(n)]))
    lengths = [n for n, _ in kept.kept]
    assert len(lengths) <= MAX_CHECKPOINTS
    assert lengths == sorted(lengths)
    # Spread over the whole list, the newest close to its end: a removal anywhere costs
    # a small share of the list to read again.
    assert 2_000_000 - lengths[-1] < 2_000_000 // MAX_CHECKPOINTS
    gaps = [b - a for a, b in zip([0, *lengths], lengths)]
    assert max(gaps) <= 2_000_000 // 20


def test_a_snapshot_keeps_its_checkpoints_and_an_older_one_loads_without(
    r: redis.Redis,
) -> None:
    built(r, fresh_process_index(r))
    text = r.get(Keys("resque").failure_index(KEY))
    assert text is not None
    loaded = snapshot.load(text)
    assert loaded is not None
    assert [n for n, _ in loaded[3]] == [2_000, 4_000, 6_000, 8_000, 10_000]
    older = json.loads(text)
    del older["checkpoints"]
    loaded = snapshot.load(json.dumps(older))
    assert loaded is not None and loaded[3] == []
    beyond = json.loads(text)
    beyond["checkpoints"][-1][0] = SIZE + 1
    assert snapshot.load(json.dumps(beyond)) is None
