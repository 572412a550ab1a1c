"""The data layer reads Ruby's fixture exactly: every figure in shared/fixtures/README.md."""

from __future__ import annotations

import redis

from resque_web import Resque
from resque_web.model import Dashboard
from resque_web.model.workers import Workers
from resque_web.times import epoch

QUEUE_SIZES = {
    "critical": 204,
    "default": 704,
    "empty-after-drain": 0,
    "images.resize": 303,
    "long-running": 0,
    "low.priority-batch": 205,
    "mailers": 303,
    "reports-nightly": 204,
    "ünïcode-队列": 101,
}
# The fixture was captured at this moment (its newest heartbeat).
CAPTURED = epoch("2026-11-27T17:05:08+00:00")


def test_resque_namespace_figures(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    assert {q.name: q.size for q in d.queues.all()} == QUEUE_SIZES
    assert [q.name for q in d.queues.all()] == sorted(QUEUE_SIZES)
    stats = d.stats.resque()
    assert (stats.pending, stats.processed, stats.failed) == (2024, 275, 112)
    assert (stats.queues, stats.workers, stats.working, stats.failed_listed) == (9, 9, 3, 120)
    assert not d.failures.multi_queue
    assert d.failures.count() == 120
    assert sum(1 for f in d.failures.page(per_page=500).items if f.retried) == 24
    assert len(dict(d.failures.facets()[0])) == 14


def test_resque_mq_namespace_has_per_queue_failure_lists(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data, "resque_mq"))
    assert d.failures.multi_queue
    lists = {info.queue: info.count for info in d.failures.lists()}
    assert lists == {"critical": 4, "default": 3, "reports-nightly": 3, "ünïcode-队列": 3}
    failed_by_queue = {q.name: q.failed for q in d.queues.all()}
    assert failed_by_queue["critical"] == 4 and failed_by_queue["mailers"] == 0
    stats = d.stats.resque()
    assert (stats.failed, stats.failed_listed, stats.processed) == (12, 13, 19)
    page = d.failures.page("ünïcode-队列")
    assert page.total == 3 and all(f.queue == "ünïcode-队列" for f in page.items)


def test_workers_busy_and_stale_as_resque_would_prune(ruby_data: redis.Redis) -> None:
    workers = Workers(Resque(ruby_data), clock=lambda: CAPTURED + 10).all()
    assert len(workers) == 9
    busy = {w.id: w.job.job.display_class for w in workers if w.job}
    assert busy == {
        "vm:11544:long-running,critical": "LongJob",
        "worker-01.prod.example.com:10000:critical,default": "Archive",
        "worker-02.prod.example.com:10021:*": "Archive",
    }
    stale = {w.id: (w.stale_reason, w.stale_kind) for w in workers if w.stale}
    assert stale == {
        "gone-host.example.com:4242:critical": ("no heartbeat for 60 min", "expired"),
        "old-box-7.example.com:31337:mailers,default": ("no heartbeat", "never"),
    }
    unicode_worker = next(w for w in workers if "ünïcode" in w.id)
    assert unicode_worker.queues == ["ünïcode-队列", "low.priority-batch"]
    assert (unicode_worker.processed, unicode_worker.failed) == (4830, 24)
    star = next(w for w in workers if w.id.endswith(":*"))
    assert (star.host, star.pid, star.queues) == ("worker-02.prod.example.com", "10021", ["*"])


def test_queue_pages_read_only_the_page(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    page = d.queues.page("default", page=3, per_page=30)
    assert (page.number, page.total, page.pages) == (3, 704, 24)
    assert page.indexes == list(range(60, 90))
    assert page.items[0].raw == ruby_data.lindex("resque:queue:default", 60)
    newest = d.queues.page("default", page=1, per_page=10, newest_first=True)
    assert newest.indexes[0] == 703
    assert newest.items[0].raw == ruby_data.lindex("resque:queue:default", -1)
    beyond = d.queues.page("default", page=999, per_page=30)
    assert beyond.number == 24 and len(beyond.items) == 704 - 23 * 30
    assert beyond.window() == [1, None, 22, 23, 24]


def test_key_browser_uses_scan_and_pages_by_type(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    seen: list[str] = []
    cursor = 0
    while True:
        cursor, batch = d.keyspace.scan(cursor, count=10)
        seen += [k.name for k in batch]
        if cursor == 0:
            break
    assert len(seen) == len(set(seen)) == 37  # every resque: key in the dump, once
    assert "queue:ünïcode-队列" in seen and not any(k.startswith("resque_mq") for k in seen)
    content = d.keyspace.read("queue:default", page=2, per_page=50)
    assert content is not None and content.type == "list" and content.size == 704
    assert content.page is not None and content.page.indexes[0] == 50
    beats = d.keyspace.read("workers:heartbeat")
    assert beats is not None and beats.type == "hash" and len(beats.rows) == 8
    assert d.keyspace.read("stat:processed").value == "275"
    assert d.keyspace.read("nope") is None
