"""Multi-megabyte values (a job's arguments, an error, a backtrace, a busy worker's payload,
key contents) are clipped on every HTML page, each with a link to the whole value, which
the key browser serves as text/plain; a big job's Delete button names it by position and
digest instead of carrying megabytes back."""

from __future__ import annotations

import json
import re

import pytest
import redis
from flask.testing import FlaskClient

from resque_web.failure import digest
from tests.support.site import Subjects, get_urls

from .html import forms, parse

MB = 3_000_000
BIG = "x" * (MB - 7) + "THE-END"  # the tail proves a link shows the whole value
WORKER = "box-9:99:default"
PAGE_BUDGET = 300_000  # bytes: an HTML page quotes at most a few previews of each value


@pytest.fixture(autouse=True)
def big(ruby_data: redis.Redis) -> None:
    r = ruby_data
    r.rpush("resque:queue:default", json.dumps({"class": "Big", "args": [BIG]}))
    record = {
        "failed_at": "2026/11/27 17:05:08 UTC",
        "payload": {"class": "Big", "args": [BIG]},
        "exception": "BigError",
        "error": BIG,
        "backtrace": [BIG[:100_000]] * 30,
        "worker": WORKER,
        "queue": "default",
    }
    r.rpush("resque:failed", json.dumps(record))
    r.sadd("resque:workers", WORKER)
    payload = {
        "queue": "default",
        "run_at": "2026-11-27T17:05:08Z",
        "payload": {"class": "Big", "args": [BIG]},
    }
    r.set(f"resque:worker:{WORKER}", json.dumps(payload))
    r.set("resque:big:string", BIG)
    r.rpush("resque:big:list", "small", BIG)
    r.sadd("resque:big:set", BIG)
    r.hset("resque:big:hash", mapping={"f": BIG, "g": "small"})
    r.zadd("resque:big:zset", {BIG: 1, "small": 2})


def whole_values(html: bytes) -> list[str]:
    texts = ("the whole value", "the whole message and backtrace")
    return [a.attrs["href"] for a in parse(html).iter("a") if a.text() in texts]


def test_every_page_stays_small(client: FlaskClient) -> None:
    app = client.application
    subjects = Subjects(
        queues=["default"],
        workers=[WORKER],
        hosts=["box-9"],
        keys=[
            "big:string",
            "big:list",
            "big:set",
            "big:hash",
            "big:zset",
            "failed",
            "queue:default",
        ],
    )
    extra = {
        "queue": ["order=newest"],
        "failed": ["class=Big", "exception=BigError"],
        "stats_key": ["page=2", "order=newest"],
    }
    pages = [
        u
        for u in get_urls(app, subjects, extra_args=extra)
        if "/api/" not in u and "/export." not in u and "/static/" not in u
    ]
    assert len(pages) > 20
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302, 400, 404), url
        assert len(response.data) < PAGE_BUDGET, (url, len(response.data))


@pytest.mark.parametrize(
    ("url", "links"),
    [
        ("/queues/default?order=newest", 1),
        ("/failed?exception=BigError", 2),  # arguments; error and backtrace (the record)
        (f"/working/{WORKER}", 2),  # arguments, stored payload
        ("/stats/keys/big:string", 1),
        ("/stats/keys/big:list", 1),
        ("/stats/keys/big:hash", 1),
        ("/stats/keys/big:zset", 1),
    ],
)
def test_each_clipped_value_links_to_all_of_it(
    client: FlaskClient, r: redis.Redis, url: str, links: int
) -> None:
    html = client.get(url).data
    assert b"THE-END" not in html
    hrefs = whole_values(html)
    assert len(hrefs) >= links, hrefs
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        assert response.mimetype == "text/plain"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        body = response.get_data(as_text=True)
        assert body.endswith("THE-END") or "THE-END" in body, href
        assert len(body) >= MB


def test_the_whole_value_is_exactly_what_is_stored(client: FlaskClient, r: redis.Redis) -> None:
    failures = whole_values(client.get("/failed").data)
    stored = r.lindex("resque:failed", -1)
    assert client.get(failures[0]).get_data(as_text=True) == stored
    assert client.get("/stats/keys/big:string?raw=1").get_data(as_text=True) == BIG


def test_a_moved_value_is_not_shown_in_its_place(client: FlaskClient, r: redis.Redis) -> None:
    href = whole_values(client.get("/queues/default?order=newest").data)[0]
    r.rpop("resque:queue:default")  # the big job is gone; another one sits... nowhere
    r.rpush("resque:queue:default", '{"class":"Other","args":[]}')
    response = client.get(href)
    assert response.status_code == 404
    assert "Value moved" in parse(response.data).find("h1").text()


@pytest.mark.parametrize(
    "query", ["raw=1&index=-1", "raw=1&index=x", "raw=1&index=0&digest=nothex", "raw=1&digest=12"]
)
def test_bad_raw_view_arguments_are_400(client: FlaskClient, query: str) -> None:
    assert client.get(f"/stats/keys/big:list?{query}").status_code == 400


def test_no_such_value_is_404(client: FlaskClient) -> None:
    assert client.get("/stats/keys/big:list?raw=1&index=99").status_code == 404
    assert client.get("/stats/keys/big:hash?raw=1&field=nope").status_code == 404
    assert client.get("/stats/keys/big:set?raw=1").status_code == 404
    assert client.get("/stats/keys/no:such?raw=1").status_code == 404


def test_a_big_job_is_deleted_by_position_and_digest(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get("/queues/default?order=newest").data
    form = next(f for f in forms(html) if f.get("action") == "delete_job")
    assert "raw" not in form
    assert form["digest"] == digest(r.lindex("resque:queue:default", -1))
    assert int(form["index"]) == r.llen("resque:queue:default") - 1
    # Small jobs still carry their value (unchanged behaviour).
    small = next(
        f for f in forms(client.get("/queues/mailers").data) if f.get("action") == "delete_job"
    )
    assert "raw" in small
    before = r.llen("resque:queue:default")
    r.lpop("resque:queue:default")  # a worker took the head meanwhile: the job moved up one
    response = client.post(
        "/queues/default", data={k: v for k, v in form.items() if not k.startswith("_")}
    )
    assert response.status_code == 303
    assert r.llen("resque:queue:default") == before - 2
    assert not any(re.search("THE-END", x) for x in r.lrange("resque:queue:default", -5, -1))
