"""Every page and JSON endpoint costs at most MAX_ROUND_TRIPS Redis round trips, the same
however big the state is (a remote Redis at 20 ms RTT then costs at most 60 ms a page)."""

from __future__ import annotations

import redis
from flask.testing import FlaskClient

from resque_web import Resque, payload
from resque_web.failure import backend_for
from resque_web.keys import Keys
from resque_web.web import create_app
from tests.support.dump import load_dump
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
GROWS_BY_DESIGN = {"failed_export"}


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
    for url in PAGES + MQ_PAGES + ["/failed/edit", "/failed/bulk/x", "/api/v1/failed/bulk/x"]:
        endpoint, _ = adapter.match(url.split("?")[0])
        counted.add(endpoint.split(".", 1)[1])
    routes = {
        rule.endpoint.split(".", 1)[1]
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint.startswith("resque_web.")
    }
    missing = routes - counted - GROWS_BY_DESIGN - {"static"}
    assert not missing, f"GET endpoints without a round-trip count: {sorted(missing)}"
