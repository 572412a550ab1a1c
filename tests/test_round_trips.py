"""Every page and JSON endpoint costs at most MAX_ROUND_TRIPS Redis round trips, the same
however big the state is (a remote Redis at 20 ms RTT then costs at most 60 ms a page)."""

from __future__ import annotations

import redis
from flask.testing import FlaskClient

from resque_web import Resque, payload
from resque_web.failure import backend_for
from resque_web.keys import Keys
from resque_web.web import create_app
from tests.support.dump import RUBY_PLUGINS, load_dump
from tests.support.roundtrips import count_redis

MAX_ROUND_TRIPS = 3
BUSY = "worker-02.prod.example.com:10021:*"
PAGES = [
    "/",
    "/overview",
    "/working",
    f"/working/{BUSY}",
    "/workers",
    "/workers/all",
    "/workers/worker-01.prod.example.com",
    f"/workers/{BUSY}",
    "/queues",
    "/queues/default",
    "/queues/default?page=5&per_page=20",
    "/queues/default?page=99999",
    "/queues/default?order=newest",
    "/failed",
    "/failed?page=3",
    "/failed?page=99999",
    "/failed?class=ExplodingJob",
    "/failed?exception=ZeroDivisionError&page=2",
    "/failed?queue=default&retried=no&since=2020-01-01&until=2030-01-01",
    "/failed?class=ExplodingJob&retried=no&q=",
    "/failed/groups",
    "/failed/groups?queue=default",
    "/failed/bulk?action=retry&class=ExplodingJob",
    "/audit",
    "/stats",
    "/stats/resque",
    "/stats/redis",
    "/stats/keys",
    "/stats/keys/queue:default?page=3",
    "/stats/history",
    "/stats/history?resolution=hour",
    "/stats.txt",
    "/api/v1/stats",
    "/api/v1/queues",
    "/api/v1/queues?page=2&per_page=3",
    "/api/v1/queues/default?page=3",
    "/api/v1/workers",
    "/api/v1/failed?page=2",
    "/api/v1/failed?queue=default&retried=no",
    "/api/v1/failed/groups",
    "/api/v1/audit",
    "/api/v1/history?resolution=minute",
    "/metrics",
    "/api/v1/no-such-endpoint",
    "/no-such-page",
]
# The multi-queue backend's per-queue lists (the fixture's resque_mq namespace).
MQ_PAGES = [
    "/failed",
    "/failed/default",
    "/failed/default?class=DeepJob",
    "/failed/groups?list=default",
    "/failed/bulk?action=remove&list=default",
    "/api/v1/failed/default",
    "/api/v1/failed?queue=default",
]
# Endpoints whose cost is meant to grow: an export streams the whole list, a chunk of
# 1,000 failures per round trip, so its memory stays flat however long the list is.
# Exports stream a chunk per round trip; the Retry tab joins delayed items to resque-retry's
# attempt keys a chunk of 500 per script call, at most 2,000 items a view (bounded, not flat:
# measured in bench/retry_pages.py).
GROWS_BY_DESIGN = {"failed_export", "retry", "retry_timestamp", "api_retry", "api_retry_timestamp"}


def grow(r: redis.Redis) -> None:
    """Add many more of everything: jobs, queues, failures, workers (some busy)."""
    keys = Keys()
    resque = Resque(r)
    resque.enqueue_many("Archive", ([i, "tar"] for i in range(20_000)), queue="default")
    for q in range(200):
        resque.enqueue_to(f"extra-{q:03d}", "Noop", q)
    backend = backend_for(resque)
    for i in range(2000):
        try:
            raise KeyError(f"key {i}")
        except KeyError as exc:
            backend.save(exc, "grow:1:*", "default", {"class": "ExplodingJob", "args": [i]})
    pipe = r.pipeline(transaction=False)
    for w in range(300):
        worker = f"host-{w % 7}:{20000 + w}:default"
        pipe.sadd(keys.workers, worker)
        pipe.set(keys.worker_started(worker), "2026-11-27 17:05:08 +0000")
        pipe.hset(keys.heartbeats, worker, "2026-11-27T17:05:08+00:00")
        if w % 3 == 0:
            job = {"queue": "default", "run_at": "2026-11-27T17:05:08Z",
                   "payload": {"class": "Archive", "args": [w]}}  # fmt: skip
            pipe.set(keys.worker(worker), payload.encode(job))
    pipe.execute()


def dynamic_pages(client: FlaskClient) -> list[str]:
    """Pages that need an id: a failure's edit page, a bulk operation's page and JSON."""
    newest = client.get("/api/v1/failed?per_page=1").get_json()["items"][0]
    created = client.post("/failed/bulk", data={"action": "retry", "class": "NoSuchJob"})
    op = created.headers["Location"].rsplit("/", 1)[-1]
    return [
        f"/failed/edit?index={newest['index']}&digest={newest['digest']}",
        f"/failed/bulk/{op}",
        f"/api/v1/failed/bulk/{op}",
    ]


def round_trips(client: FlaskClient, urls: list[str]) -> dict[str, int]:
    out = {}
    for url in urls:
        status = client.get(url).status_code  # warm: pools, failure index
        assert status in (200, 302, 404), url
        with count_redis() as tally:
            response = client.get(url)
        assert response.status_code == status, url
        out[url] = tally.round_trips
    return out


def test_round_trips_do_not_grow_with_the_state(r: redis.Redis, redis_url: str) -> None:
    load_dump(r)
    client = create_app({"REDIS_URL": redis_url, "TESTING": True}).test_client()
    urls = PAGES + dynamic_pages(client)
    small = round_trips(client, urls)
    grow(r)
    big = round_trips(client, urls)
    assert big == small
    assert max(small.values()) <= MAX_ROUND_TRIPS, small


def test_per_queue_failure_lists_cost_the_same(r: redis.Redis, redis_url: str) -> None:
    load_dump(r)
    config = {"REDIS_URL": redis_url, "TESTING": True, "RESQUE_NAMESPACE": "resque_mq"}
    client = create_app(config).test_client()
    small = round_trips(client, MQ_PAGES)
    backend = backend_for(Resque(r, "resque_mq"), "redis_multi_queue")
    for i in range(3000):
        backend.save(KeyError(i), "grow:1:*", "default", {"class": "DeepJob", "args": [i]})
    big = round_trips(client, MQ_PAGES)
    assert big == small
    assert max(small.values()) <= MAX_ROUND_TRIPS, small


def test_every_page_and_endpoint_is_counted(redis_url: str) -> None:
    """A new GET route fails here until it is in PAGES (or MQ_PAGES) above."""
    app = create_app({"REDIS_URL": redis_url, "TESTING": True})
    adapter = app.url_map.bind("localhost")
    counted = set()
    others = ["/failed/edit", "/failed/bulk/x", "/api/v1/failed/bulk/x"]
    for url in PAGES + MQ_PAGES + SCHEDULER_PAGES + STATUS_PAGES + others:
        endpoint, _ = adapter.match(url.split("?")[0])
        counted.add(endpoint.split(".", 1)[1])
    routes = {
        rule.endpoint.split(".", 1)[1]
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint.startswith("resque_web.")
    }
    missing = routes - counted - GROWS_BY_DESIGN - {"static"}
    assert not missing, f"GET endpoints without a round-trip count: {sorted(missing)}"


def test_a_metrics_scrape_is_one_round_trip(r: redis.Redis, redis_url: str) -> None:
    """At any size (the scheduler's keys included), warm: one EVALSHA; cold: EVALSHA, then
    EVAL after NOSCRIPT (at most 2, as the issue demands)."""
    load_dump(r)
    grow(r)
    keys = Keys()
    for n in range(50):
        r.zadd(keys.delayed_schedule, {str(2_000_000_000 + n): 2_000_000_000 + n})
        r.rpush(keys.delayed(2_000_000_000 + n), '{"class":"A","args":[]}')
    r.script_flush()
    client = create_app({"REDIS_URL": redis_url, "TESTING": True}).test_client()
    client.get("/overview")  # the failure index's warm-up starts on a first request
    with count_redis() as cold:
        assert client.get("/metrics").status_code == 200
    with count_redis() as warm:
        assert client.get("/metrics").status_code == 200
    assert cold.round_trips <= 2, cold.commands
    assert warm.round_trips == 1 and warm.command_names == ["EVALSHA"], warm.commands


# resque-scheduler's tabs, on what Ruby's resque-scheduler wrote (T0 = 1900000000). A search
# for something rare reads on, a chunk per round trip, until its time budget runs out (see
# tests/test_delayed_data.py): not flat by design, measured in bench/delayed_pages.py.
SCHEDULER_PAGES = [
    "/delayed",
    "/delayed?page=2&per_page=5",
    "/delayed?page=99999",
    "/delayed/1900099999",
    "/delayed/1900000000?page=2&per_page=1",
    "/delayed?class=Archive",  # a search that finds its page in the first chunk read
    "/schedule",
    "/api/v1/delayed",
    "/api/v1/delayed/1900000000",
    "/api/v1/schedule",
]


def grow_delayed(r: redis.Redis) -> None:
    """20,000 more delayed jobs over 2,000 more timestamps (more than a page counts), ten
    thousand at T0, and more persistent schedules."""
    pipe = r.pipeline(transaction=False)
    for t in range(2000):
        epoch = 1800000000 + t
        items = [
            payload.encode({"class": "Archive", "args": [t, i], "queue": "file_serve"})
            for i in range(10)
        ]
        pipe.rpush(f"resque:delayed:{epoch}", *items)
        pipe.zadd("resque:delayed_queue_schedule", {str(epoch): epoch})
    same = '{"class":"Archive","args":[7,"same"],"queue":"file_serve"}'
    pipe.rpush("resque:delayed:1900099999", *[same] * 10_000)
    for n in range(50):
        config = {"cron": "*/5 * * * *", "class": "Archive", "queue": "q", "args": [n]}
        pipe.hset("resque:persistent_schedules", f"extra_{n}", payload.encode(config))
    pipe.execute()


def test_scheduler_pages_cost_three_round_trips_at_most(r: redis.Redis, redis_url: str) -> None:
    load_dump(r, RUBY_PLUGINS)
    app = create_app({"REDIS_URL": redis_url, "TESTING": True})
    client = app.test_client()
    small = round_trips(client, SCHEDULER_PAGES)
    grow_delayed(r)
    big = round_trips(client, SCHEDULER_PAGES)
    assert big == small
    assert max(small.values()) <= 3, small


# resque-status's tab and the polling endpoint, on what Ruby's resque-status wrote.
STATUS_PAGES = [
    "/statuses",
    "/statuses?state=failed",
    "/statuses/ec2500e8df37a36b5490b4224cb69772",
    "/api/v1/statuses",
    "/api/v1/statuses/ec2500e8df37a36b5490b4224cb69772",
]


def test_status_pages_cost_three_round_trips_at_most(r: redis.Redis, redis_url: str) -> None:
    load_dump(r, RUBY_PLUGINS)
    client = create_app({"REDIS_URL": redis_url, "TESTING": True}).test_client()
    small = round_trips(client, STATUS_PAGES)
    for n in range(1000):
        uuid = f"{n:032x}"
        r.set(
            f"resque:status:{uuid}",
            payload.encode({"time": n, "status": "completed", "uuid": uuid}),
        )
        r.zadd("resque:_statuses", {uuid: n})
    big = round_trips(client, STATUS_PAGES)
    assert big == small
    assert max(small.values()) <= MAX_ROUND_TRIPS, small
