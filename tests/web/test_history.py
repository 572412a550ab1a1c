"""History graphs' data on the real redis-server: one writer per bucket however many
dashboards sample, retention, gaps as null, the sampler thread, the JSON and the page."""

from __future__ import annotations

import json
import time

import redis
from flask import Flask

from resque_web.keys import Keys
from resque_web.model import History, Sampler
from resque_web.model.history import RESOLUTIONS
from resque_web.web import create_app

KEYS = Keys()
T = 1_800_000_000  # a minute and an hour boundary (1800000000 = 500000 * 3600)


def dashboard_app(redis_url: str, **config: object) -> Flask:
    return create_app({"REDIS_URL": redis_url, "TESTING": True, **config})


def history_of(app: Flask) -> History:
    return History(app.blueprints["resque_web"].resque)


def stored(r: redis.Redis, resolution: str, bucket: int) -> dict | None:
    raw = r.hget(KEYS.history(resolution), str(bucket))
    return json.loads(raw) if raw is not None else None


def test_two_dashboards_sampling_one_bucket_write_it_once(r: redis.Redis, redis_url: str) -> None:
    a, b = history_of(dashboard_app(redis_url)), history_of(dashboard_app(redis_url))
    r.set(KEYS.processed, 5)
    r.rpush(KEYS.queue("default"), "{}", "{}")
    r.sadd(KEYS.queues, "default")
    assert a.sample(now=T + 1) == (True, True)
    r.set(KEYS.processed, 9)
    r.rpush(KEYS.queue("default"), "{}")
    assert b.sample(now=T + 30) == (False, False)  # same minute, same hour: A's stays
    assert stored(r, "minute", T)["processed"] == 5
    assert stored(r, "hour", T)["pending"] == 2
    # The next minute is B's if B gets there first; the hour is still A's.
    assert b.sample(now=T + 61) == (True, False)
    assert a.sample(now=T + 62) == (False, False)
    assert stored(r, "minute", T + 60)["processed"] == 9
    assert stored(r, "hour", T)["processed"] == 5
    assert r.hlen(KEYS.history("minute")) == 2 and r.zcard(KEYS.history_index("minute")) == 2


def test_a_process_samples_at_most_once_per_minute(r: redis.Redis, redis_url: str) -> None:
    sampler = Sampler(history_of(dashboard_app(redis_url)))
    assert sampler.sample_if_due(T + 1) is True
    r.delete(KEYS.history("minute"))  # even if the bucket went away, not again this minute
    assert sampler.sample_if_due(T + 59) is False
    assert r.hlen(KEYS.history("minute")) == 0
    assert sampler.sample_if_due(T + 60) is True
    assert r.hexists(KEYS.history("minute"), str(T + 60))


def test_retention_trims_old_buckets(r: redis.Redis, redis_url: str) -> None:
    history = history_of(dashboard_app(redis_url))
    day, month = 24 * 3600, 30 * 24 * 3600
    history.sample(now=T)
    history.sample(now=T + day - 60)  # the last minute that keeps T within 24 h
    assert r.hexists(KEYS.history("minute"), str(T))
    history.sample(now=T + day)
    assert not r.hexists(KEYS.history("minute"), str(T))  # 24 h of minutes, no more
    assert r.zscore(KEYS.history_index("minute"), str(T)) is None
    assert r.hlen(KEYS.history("minute")) == 2
    assert r.hexists(KEYS.history("hour"), str(T))
    history.sample(now=T + month)
    assert not r.hexists(KEYS.history("hour"), str(T))  # 30 days of hours
    assert r.hlen(KEYS.history("minute")) == 1
    assert r.zcard(KEYS.history_index("hour")) == r.hlen(KEYS.history("hour")) == 3


def test_gaps_are_null_and_rates_are_differences(r: redis.Redis, redis_url: str) -> None:
    history = history_of(dashboard_app(redis_url))
    for minute, processed in ((0, 10), (1, 15), (3, 40), (4, 41)):  # minute 2: no dashboard
        r.set(KEYS.processed, processed)
        r.set(KEYS.failed_count, minute)
        history.sample(now=T + minute * 60 + 5)
    series = history.series("minute", now=T + 4 * 60 + 30)
    assert len(series.time) == RESOLUTIONS["minute"].keep
    assert series.time[-5:] == [T + m * 60 for m in range(5)]
    assert series.pending[-5:] == [0, 0, None, 0, 0]
    assert series.processed[-5:] == [None, 5, None, None, 1]  # no bucket before T either
    assert series.failed[-5:] == [None, 1, None, None, 1]
    assert series.pending[:-5] == [None] * (len(series.time) - 5)
    # A counter that went down (reset) gives no rate, not a negative one.
    r.set(KEYS.processed, 3)
    history.sample(now=T + 5 * 60)
    assert history.series("minute", now=T + 5 * 60).processed[-1] is None


def test_the_deepest_queues_over_time(r: redis.Redis, redis_url: str) -> None:
    history = history_of(dashboard_app(redis_url))
    for n in range(12):
        r.sadd(KEYS.queues, f"q{n:02d}")
        r.rpush(KEYS.queue(f"q{n:02d}"), *["{}"] * (n + 1))
    history.sample(now=T)
    r.delete(KEYS.queue("q11"))
    history.sample(now=T + 60)
    series = history.series("minute", now=T + 60)
    names = [q.name for q in series.queues]
    assert names == [f"q{n:02d}" for n in range(11, 1, -1)]
    q11 = series.queues[0].sizes[-2:]
    assert q11 == [12, None]  # not among the deepest in the second minute
    assert stored(r, "minute", T)["queues"][0] == ["q11", 12]
    assert len(stored(r, "minute", T)["queues"]) == 10


def test_a_corrupt_sample_is_a_gap(r: redis.Redis, redis_url: str) -> None:
    history = history_of(dashboard_app(redis_url))
    history.sample(now=T)
    r.hset(KEYS.history("minute"), str(T + 60), "{not json")
    r.hset(KEYS.history("minute"), str(T + 120), json.dumps({"processed": "x"}))
    series = history.series("minute", now=T + 120)
    assert series.pending[-3:] == [0, None, None]


def test_the_json_shape(r: redis.Redis, redis_url: str) -> None:
    app = dashboard_app(redis_url)
    history_of(app).sample()
    client = app.test_client()
    for resolution, step, points in (("minute", 60, 1440), ("hour", 3600, 720)):
        body = client.get(f"/api/v1/history?resolution={resolution}").get_json()
        assert set(body) == {"resolution", "step", "time", "processed", "failed", "pending",
                             "queues", "latest"}  # fmt: skip
        assert (body["resolution"], body["step"], len(body["time"])) == (resolution, step, points)
        assert all(len(body[k]) == points for k in ("processed", "failed", "pending"))
        assert body["pending"][-1] == 0 and body["processed"][-1] is None
        assert body["latest"]["pending"] == 0
    assert client.get("/api/v1/history").get_json()["resolution"] == "minute"
    bad = client.get("/api/v1/history?resolution=second")
    assert bad.status_code == 400 and "resolution" in bad.get_json()["error"]


def test_the_history_page(r: redis.Redis, redis_url: str) -> None:
    app = dashboard_app(redis_url)
    r.sadd(KEYS.queues, "mail")
    r.rpush(KEYS.queue("mail"), "{}", "{}", "{}")
    history_of(app).sample()
    client = app.test_client()
    page = client.get("/stats/history").get_data(as_text=True)
    assert (
        'data-chart="rates"' in page
        and 'data-history-url="/api/v1/history?resolution=minute"' in page
    )
    assert 'data-latest="pending">3<' in page and "Queue mail" in page
    assert "vendor/uplot/uPlot.iife.min.js" in page and "<script>" not in page
    assert client.get("/stats/history?resolution=hour").status_code == 200
    assert client.get("/stats/history?resolution=day").status_code == 400
    assert 'href="/stats/history"' in client.get("/stats/resque").get_data(as_text=True)


def test_the_overview_carries_the_counters(r: redis.Redis, redis_url: str) -> None:
    r.set(KEYS.processed, 42)
    r.set(KEYS.failed_count, 7)
    page = dashboard_app(redis_url).test_client().get("/overview").get_data(as_text=True)
    assert 'data-processed="42" data-failed="7"' in page and 'data-chart="realtime"' in page


def test_the_sampler_thread_starts_with_the_first_request(r: redis.Redis, redis_url: str) -> None:
    app = dashboard_app(redis_url, RESQUE_WEB_HISTORY=True)
    bp = app.blueprints["resque_web"]
    assert getattr(bp, "history_sampler", None) is None
    app.test_client().get("/overview")
    try:
        deadline = time.monotonic() + 10
        while not r.hlen(KEYS.history("minute")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert r.hlen(KEYS.history("minute")) == 1 and r.hlen(KEYS.history("hour")) == 1
    finally:
        bp.history_sampler.stop()
    off = dashboard_app(redis_url)  # TESTING, unset: no thread
    off.test_client().get("/overview")
    assert getattr(off.blueprints["resque_web"], "history_sampler", None) is None
