"""Bytes real resque-scheduler 5.0.0 wrote, pinned against our delaying API.

Captured by hand from resque-scheduler v5.0.0 and Resque v3.0.0 run from their lib/ on Ruby
3.1 (json 2.6, ``MultiJson.use(:json_gem)``, redis-namespace 1.9) against a private
redis-server: ``Resque.enqueue_at(1900000000 + i, InteropJob, *args)`` (InteropJob's queue
``interop``), ``Resque.enqueue_at_with_queue("other", ...)``, then ``LRANGE delayed:<epoch>``,
the ``timestamps:*`` sets and the schedule; ``Resque.set_schedule(name, config.merge(persist:
true))`` then ``HGETALL persistent_schedules``; ``Resque::Scheduler.master_lock_key``.
"""

from __future__ import annotations

import redis

from resque_web import Resque
from resque_web.keys import Keys

T = 1900000000


class InteropJob:
    resque_class = "InteropJob"
    queue = "interop"


RUBY_DELAYED: list[tuple[list, bytes]] = [
    (
        [35, "tar", {"k": 1.5e20, "u": "ünï 🎉"}],
        b'{"class":"InteropJob","args":[35,"tar",{"k":1.5e+20,"u":"\xc3\xbcn\xc3\xaf '
        b'\xf0\x9f\x8e\x89"}],"queue":"interop"}',
    ),
    (
        [1.0, 0.1, 1e15, -0.0, None, True],
        b'{"class":"InteropJob","args":[1.0,0.1,1.0e+15,-0.0,null,true],"queue":"interop"}',
    ),
    (
        ["a\u2028b</script>", {"nested": [1, [2, {"x": "y"}]]}],
        b'{"class":"InteropJob","args":["a\xe2\x80\xa8b</script>",{"nested":[1,[2,{"x":"y"}]]}],'
        b'"queue":"interop"}',
    ),
    ([], b'{"class":"InteropJob","args":[],"queue":"interop"}'),
]

RUBY_PERSISTENT = {
    b"s1": b'{"cron":"*/5 * * * *","class":"InteropJob","args":[1,"\xc3\xbc"]}',
    b"s2": b'{"every":["10m",{"first_in":"5s"}],"class":"X","queue":"q"}',
}


def test_delayed_jobs_match_ruby_bytes(r: redis.Redis, redis_url: str) -> None:
    resque = Resque(r)
    for i, (args, _) in enumerate(RUBY_DELAYED):
        resque.enqueue_at(T + i, InteropJob, *args)
    resque.enqueue_at_with_queue("other", T + 10, "Remote::Job", 1)
    raw = redis.Redis.from_url(redis_url)
    for i, (_, expected) in enumerate(RUBY_DELAYED):
        assert raw.lrange(f"resque:delayed:{T + i}", 0, -1) == [expected]
        assert raw.smembers(b"resque:timestamps:" + expected) == {f"delayed:{T + i}".encode()}
    assert raw.lrange(f"resque:delayed:{T + 10}", 0, -1) == [
        b'{"class":"Remote::Job","args":[1],"queue":"other"}'
    ]
    assert raw.zrange("resque:delayed_queue_schedule", 0, -1, withscores=True) == [
        (str(T + i).encode(), float(T + i)) for i in (0, 1, 2, 3, 10)
    ]


def test_persistent_schedules_match_ruby_bytes(r: redis.Redis, redis_url: str) -> None:
    resque = Resque(r)
    resque.set_schedule(
        "s1", {"cron": "*/5 * * * *", "class": "InteropJob", "args": [1, "ü"], "persist": True}
    )
    resque.set_schedule(
        "s2", {"every": ["10m", {"first_in": "5s"}], "class": "X", "queue": "q", "persist": True}
    )
    raw = redis.Redis.from_url(redis_url)
    assert raw.hgetall("resque:persistent_schedules") == RUBY_PERSISTENT
    assert raw.smembers("resque:schedules_changed") == {b"s1", b"s2"}


def test_master_lock_key_as_ruby_names_it() -> None:
    # Ruby: master_lock_key == "resque:resque_scheduler_master_lock", sent through the
    # namespaced client, so the key in Redis is "resque:resque:resque_scheduler_master_lock".
    assert Keys().scheduler_master_lock() == "resque:resque:resque_scheduler_master_lock"
    assert Keys("app").scheduler_master_lock("blue") == "app:app:blue:resque_scheduler_master_lock"
