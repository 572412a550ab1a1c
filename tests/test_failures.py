"""Failure records and operations on real Redis: Ruby's formats, identity, atomic chunks."""

from __future__ import annotations

import json
import math
import re
import threading

import redis

from resque_web import Resque
from resque_web.failure import FailedJob, backend_for, build_record, digest
from resque_web.model import BulkOperation, Dashboard, FailureFilter

FAILED_AT = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [A-Z+\-0-9]+$")


def _raise(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:
        return caught


def test_record_has_rubys_fields_in_rubys_order() -> None:
    exc = _raise(ZeroDivisionError("divided by 0"))
    record = build_record(exc, "host:1:q", "q", {"class": "DivideJob", "args": [1, 0]})
    assert list(record) == [
        "failed_at", "payload", "exception", "error", "backtrace", "worker", "queue",
    ]  # fmt: skip
    assert FAILED_AT.match(record["failed_at"])
    assert record["exception"] == "ZeroDivisionError"
    assert record["backtrace"][0].endswith("in `_raise'")


class SilentError(Exception):
    pass


def test_exception_without_message_says_its_name_like_ruby() -> None:
    record = build_record(_raise(SilentError()), "w", "q", {})
    assert record["exception"] == record["error"] == "tests.test_failures.SilentError"
    assert build_record(_raise(SilentError("")), "w", "q", {})["error"] == ""


def test_backends_write_where_ruby_does(resque: Resque, r: redis.Redis) -> None:
    exc = _raise(KeyError("user_id"))
    backend_for(resque, "redis").save(exc, "w:1:q", "critical", {"class": "K", "args": []})
    backend_for(resque, "redis_multi_queue").save(
        exc, "w:1:q", "critical", {"class": "K", "args": []}
    )
    assert r.llen("resque:failed") == 1
    assert r.llen("resque:critical_failed") == 1
    assert r.smembers("resque:failed_queues") == {"critical_failed"}


def test_retry_marks_retried_at_and_pushes_rubys_item(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    newest = d.failures.page(per_page=1).items[0]
    assert not newest.retried
    before = ruby_data.llen(f"resque:queue:{newest.queue}")
    result = d.failures.retry(None, newest.position, newest.digest)
    assert result.ok and result.count == 1
    stored = json.loads(ruby_data.lindex("resque:failed", newest.position))
    assert FAILED_AT.match(stored["retried_at"])
    assert list(stored)[-1] == "retried_at"
    assert ruby_data.llen(f"resque:queue:{newest.queue}") == before + 1
    pushed = json.loads(ruby_data.rpop(f"resque:queue:{newest.queue}"))
    assert pushed == {"class": newest.payload["class"], "args": newest.payload["args"]}


def test_multi_queue_retried_at_has_no_zone(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data, "resque_mq"))
    failure = d.failures.page("default", per_page=1).items[0]
    assert d.failures.retry("default", failure.position, failure.digest).ok
    stored = json.loads(ruby_data.lindex("resque_mq:default_failed", failure.position))
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", stored["retried_at"])


def test_action_hits_the_failure_the_user_saw_even_after_it_moved(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    seen = d.failures.page(per_page=1, newest_first=False, page=50).items[0]
    # Someone removes three failures ahead of it: the index now points at another failure.
    for index in (0, 0, 0):
        other = d.failures.page(per_page=1, newest_first=False, page=index + 1).items[0]
        assert d.failures.remove(None, other.position, other.digest).ok
    assert FailedJob(0, ruby_data.lindex("resque:failed", seen.position)).digest != seen.digest
    result = d.failures.remove(None, seen.position, seen.digest)
    assert result.ok and "moved" in result.message
    assert all(digest(raw) != seen.digest for raw in ruby_data.lrange("resque:failed", 0, -1))
    assert ruby_data.llen("resque:failed") == 116


def test_action_on_a_vanished_failure_changes_nothing(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    seen = d.failures.page(per_page=1).items[0]
    assert d.failures.remove(None, seen.position, seen.digest).ok
    snapshot = ruby_data.lrange("resque:failed", 0, -1)
    for action in (d.failures.retry, d.failures.remove):
        result = action(None, seen.position, seen.digest)
        assert not result.ok and "no longer" in result.message
    assert ruby_data.lrange("resque:failed", 0, -1) == snapshot


def run(d: Dashboard, action: str, where: FailureFilter) -> BulkOperation:
    """A bulk operation on the `failed` list, run to its end (the one bulk engine)."""
    op = d.bulk.create(action, None, where, None)
    found = d.bulk.step(op.id, budget=math.inf)
    assert found is not None and found.status == "done", found
    return found


def test_filtered_bulk_actions_touch_only_matches(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    zero = FailureFilter(exception="ZeroDivisionError")
    matching = d.failures.page(per_page=500, filter=zero).total
    assert matching > 0
    before = ruby_data.lrange("resque:failed", 0, -1)
    assert run(d, "retry", zero).done == matching
    after = ruby_data.lrange("resque:failed", 0, -1)
    for old, new in zip(before, after, strict=True):
        if '"ZeroDivisionError"' in old:
            assert "retried_at" in new
        else:
            assert old == new
    assert run(d, "remove", zero).done == matching
    assert d.failures.count() == 120 - matching


def test_clear_retried_removes_exactly_the_retried(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    result = run(d, "remove", FailureFilter(retried=True))
    assert result.done == 24
    remaining = [json.loads(raw) for raw in ruby_data.lrange("resque:failed", 0, -1)]
    assert len(remaining) == 96 and not any("retried_at" in f for f in remaining)


def test_retry_all_under_concurrent_workers_loses_and_duplicates_nothing(
    resque: Resque, r: redis.Redis
) -> None:
    """Workers append failures and pop jobs while a bulk retry runs: every failure that
    existed is retried exactly once, and every failure appended meanwhile is still listed."""
    backend = backend_for(resque, "redis")
    for i in range(1500):
        backend.save(_raise(RuntimeError(f"boom {i}")), "w:1:q", "q", {"class": "J", "args": [i]})
    stop = threading.Event()
    popped: list[str] = []
    writer_count = [0]

    def writer() -> None:
        client = Resque(redis.Redis(connection_pool=r.connection_pool))
        local = backend_for(client, "redis")
        while not stop.is_set():
            n = writer_count[0] = writer_count[0] + 1
            local.save(_raise(RuntimeError("late")), "w:2:q", "q", {"class": "Late", "args": [n]})

    def worker() -> None:
        client = redis.Redis(connection_pool=r.connection_pool)
        while not stop.is_set():
            raw = client.lpop("resque:queue:q")
            if raw:
                popped.append(raw)

    threads = [threading.Thread(target=writer), threading.Thread(target=worker)]
    for t in threads:
        t.start()
    try:
        result = run(Dashboard(resque), "retry", FailureFilter(job_class="J"))
    finally:
        stop.set()
        for t in threads:
            t.join()
    popped += r.lrange("resque:queue:q", 0, -1)
    retried_args = sorted(json.loads(p)["args"][0] for p in popped)
    assert result.done == 1500
    assert retried_args == list(range(1500))
    listed = [json.loads(x) for x in r.lrange("resque:failed", 0, -1)]
    assert sum(1 for f in listed if f["payload"]["class"] == "Late") == writer_count[0]
    assert all("retried_at" in f for f in listed if f["payload"]["class"] == "J")
