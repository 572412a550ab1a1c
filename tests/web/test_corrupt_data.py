"""Garbage in Redis never breaks the dashboard: a property test.

Hypothesis writes garbage into each kind of key Resque uses (non-JSON, JSON of the wrong
shape, non-UTF-8 bytes, missing fields, unparseable or out-of-range timestamps, huge
numbers, a key of the wrong Redis type, odd key names), then every GET URL of the app
(pages, JSON, exports, assets; enumerated from its url_map) is fetched. Each must answer
200, a redirect, 400, 404 or 409 (a key of the wrong type, README "JSON API"), never a 500
and never a traceback. Multi-megabyte values are in test_big_values.py.

More examples: ``RESQUE_WEB_FUZZ_EXAMPLES=500 pytest tests/web/test_corrupt_data.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resque_web.redis_server import RedisServer
from resque_web.web import create_app
from tests.support.site import Subjects, get_urls

ALLOWED = {200, 302, 400, 404, 409}
EXAMPLES = int(os.environ.get("RESQUE_WEB_FUZZ_EXAMPLES", "40"))

BUSY = "box-1:101:default,critical"
IDLE = "box-2:202:*"

NASTY_TEXT = [
    "",
    " ",
    "null",
    "[]",
    "{}",
    '"',
    "{",
    "NaN",
    "9" * 400,
    "-9" * 200,
    "1e400",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001/01/01 00:00:00 UTC",
    "2026-13-45T99:99:99Z",
    "2026/11/27 17:05:08 CST",
    "\u202eevil",
    "\x00\x01\x02",
    "a:b:c:d:e",
    ":::",
]
NASTY_BYTES = [b"\xff\xfe\xfd", b"\xc3\x28", b'{"class":"\xff","args":["\xfe"]}', b"\xed\xa0\x80"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


job_shaped = st.fixed_dictionaries(
    {}, optional={"class": json_values | st.text(max_size=30), "args": json_values}
).map(_dumps)
failure_shaped = st.fixed_dictionaries(
    {},
    optional={
        field: json_values | st.sampled_from(NASTY_TEXT)
        for field in ("failed_at", "payload", "exception", "error", "backtrace", "worker")
    }
    | {"queue": json_values | st.sampled_from(["default", "", "nope"])}
    | {"retried_at": json_values | st.sampled_from(NASTY_TEXT)},
).map(_dumps)
working_shaped = st.fixed_dictionaries(
    {},
    optional={
        "queue": json_values,
        "run_at": json_values | st.sampled_from(NASTY_TEXT),
        "payload": json_values | job_shaped.map(lambda b: b.decode("utf-8", "replace")),
    },
).map(_dumps)

garbage = st.one_of(
    st.sampled_from([t.encode("utf-8", "surrogatepass") for t in NASTY_TEXT] + NASTY_BYTES),
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(_dumps),
)
names = st.one_of(
    st.sampled_from(["", " ", "default", "a/b?c#d%e", "..", "x" * 300, "\u202eq", ":", "*"]),
    st.text(min_size=1, max_size=20),
).map(lambda t: t.encode("utf-8", "surrogatepass"))

TYPES = ("string", "list", "set", "hash", "zset")


def write_typed(client: redis.Redis, key: bytes, kind: str, value: bytes) -> None:
    client.delete(key)
    if kind == "string":
        client.set(key, value)
    elif kind == "list":
        client.rpush(key, value)
    elif kind == "set":
        client.sadd(key, value)
    elif kind == "hash":
        client.hset(key, value or b"f", value)
    else:
        client.zadd(key, {value: 1.5})


def k(name: str | bytes) -> bytes:
    return b"resque:" + (name.encode() if isinstance(name, str) else name)


# One corruption: what it does to Redis, given the bytes client and drawn values.
Corruption = Callable[[redis.Redis, st.DataObject], None]


def queue_item(c: redis.Redis, data: st.DataObject) -> None:
    c.rpush(k("queue:default"), data.draw(garbage | job_shaped))


def queue_name(c: redis.Redis, data: st.DataObject) -> None:
    name = data.draw(names)
    c.sadd(k("queues"), name)
    if data.draw(st.booleans()):
        c.rpush(k(b"queue:" + name), data.draw(garbage | job_shaped))


def failure_record(c: redis.Redis, data: st.DataObject) -> None:
    c.rpush(k("failed"), data.draw(garbage | failure_shaped))


def failure_list_name(c: redis.Redis, data: st.DataObject) -> None:
    name = data.draw(names)
    c.sadd(k("failed_queues"), name)
    c.rpush(k(name), data.draw(garbage | failure_shaped))


def worker_job(c: redis.Redis, data: st.DataObject) -> None:
    c.set(k(f"worker:{BUSY}"), data.draw(garbage | working_shaped))


def worker_fields(c: redis.Redis, data: st.DataObject) -> None:
    worker = data.draw(st.sampled_from([BUSY, IDLE]))
    field = data.draw(st.sampled_from(["started", "heartbeat", "processed", "failed"]))
    value = data.draw(garbage)
    if field == "started":
        c.set(k(f"worker:{worker}:started"), value)
    elif field == "heartbeat":
        c.hset(k("workers:heartbeat"), worker, value)
    else:
        c.set(k(f"stat:{field}:{worker}"), value)


def worker_id(c: redis.Redis, data: st.DataObject) -> None:
    worker = data.draw(names)
    c.sadd(k("workers"), worker)
    if data.draw(st.booleans()):
        c.set(k(b"worker:" + worker), data.draw(garbage | working_shaped))
    if data.draw(st.booleans()):
        c.hset(k("workers:heartbeat"), worker, data.draw(garbage))


def counters(c: redis.Redis, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["stat:processed", "stat:failed"]))
    c.set(k(name), data.draw(garbage))


def wrong_type(c: redis.Redis, data: st.DataObject) -> None:
    key = data.draw(
        st.sampled_from(
            [
                "queues",
                "queue:default",
                "failed",
                "failed_queues",
                "workers",
                "workers:heartbeat",
                "stat:processed",
                "stat:failed",
                f"worker:{BUSY}",
                f"worker:{IDLE}:started",
                f"stat:processed:{BUSY}",
            ]
        )
    )
    write_typed(c, k(key), data.draw(st.sampled_from(TYPES)), data.draw(garbage))


def odd_key(c: redis.Redis, data: st.DataObject) -> None:
    write_typed(c, k(data.draw(names)), data.draw(st.sampled_from(TYPES)), data.draw(garbage))


CORRUPTIONS: list[Corruption] = [
    queue_item,
    queue_name,
    failure_record,
    failure_list_name,
    worker_job,
    worker_fields,
    worker_id,
    counters,
    wrong_type,
    odd_key,
]


def seed(c: redis.Redis) -> None:
    """A small, valid Resque 3.0 state: two queues, three failures, an idle and a busy
    worker (written raw, as Ruby writes them)."""
    c.flushall()
    c.sadd(k("queues"), "default", "critical")
    c.rpush(k("queue:default"), *[f'{{"class":"Archive","args":[{i},"tar"]}}' for i in range(3)])
    c.rpush(k("queue:critical"), '{"class":"Billing::Charge","args":[1042]}')
    for i in range(3):
        record = {
            "failed_at": "2026/11/27 17:05:08 UTC",
            "payload": {"class": "Archive", "args": [i]},
            "exception": "RuntimeError",
            "error": "boom",
            "backtrace": ["app.rb:1:in `perform'"],
            "worker": BUSY,
            "queue": "default",
        }
        c.rpush(k("failed"), json.dumps(record))
    c.sadd(k("workers"), BUSY, IDLE)
    for worker in (BUSY, IDLE):
        c.set(k(f"worker:{worker}:started"), "2026-11-27 17:05:08 +0000")
        c.hset(k("workers:heartbeat"), worker, "2026-11-27T17:05:08+00:00")
        c.set(k(f"stat:processed:{worker}"), "7")
    c.set(
        k(f"worker:{BUSY}"),
        json.dumps(
            {"queue": "default", "run_at": "2026-11-27T17:05:08Z", "payload": {"class": "A"}}
        ),
    )
    c.set(k("stat:processed"), "100")
    c.set(k("stat:failed"), "3")


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as started:
        yield started


@pytest.fixture(scope="module")
def raw(server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis(port=server.port)  # bytes in, bytes out
    yield client
    client.close()


@pytest.fixture(scope="module")
def app(server: RedisServer) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,  # a bug must show as the 500 this test catches
            "SECRET_KEY": "t",
            "REDIS_URL": server.url,
        }
    )


def subjects(c: redis.Redis) -> Subjects:
    """Every queue, worker, host and key now in Redis (decoded as the dashboard does)."""

    def text(values: Any) -> list[str]:
        return sorted({v.decode("utf-8", "replace") for v in values})[:6]

    def members(key: bytes) -> list[bytes]:
        return list(c.smembers(key)) if c.type(key) == b"set" else []

    workers = text(members(k("workers")))
    return Subjects(
        queues=text([b"default", b"nope", *members(k("queues"))]),
        workers=workers,
        hosts=sorted({w.partition(":")[0] for w in workers})[:3],
        keys=text([key[len(b"resque:") :] for key in c.scan_iter(match=b"resque:*", count=100)]),
    )


def check_every_url(client: FlaskClient, urls: list[str]) -> None:
    for url in urls:
        response = client.get(url)
        body = response.get_data()
        assert response.status_code in ALLOWED, (url, response.status_code, body[:300])
        assert b"Traceback" not in body, url
        if "/api/" in url:
            assert isinstance(response.get_json(), dict), url


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_garbage_in_any_key_never_breaks_a_page(
    app: Flask, raw: redis.Redis, data: st.DataObject
) -> None:
    seed(raw)
    for corruption in data.draw(st.lists(st.sampled_from(CORRUPTIONS), min_size=1, max_size=3)):
        corruption(raw, data)
    extra = {"failed": ["class=Archive", "exception=RuntimeError", "order=oldest"]}
    check_every_url(app.test_client(), get_urls(app, subjects(raw), cap=8, extra_args=extra))


@pytest.mark.parametrize("corruption", CORRUPTIONS, ids=lambda c: c.__name__)
def test_each_corruption_is_exercised(app: Flask, raw: redis.Redis, corruption: Corruption) -> None:
    """Every corruption at least once, whatever Hypothesis' draws favour."""

    @settings(max_examples=5, deadline=None, derandomize=True, database=None)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        seed(raw)
        corruption(raw, data)
        check_every_url(app.test_client(), get_urls(app, subjects(raw), cap=4))

    run()


@pytest.mark.parametrize(
    ("key", "kind", "url", "api"),
    [
        ("queue:default", "hash", "/queues/default", "/api/v1/queues/default"),
        ("failed", "string", "/failed", "/api/v1/failed"),
        ("workers", "list", "/workers", "/api/v1/workers"),
        ("queues", "string", "/overview", "/api/v1/queues"),
        ("workers:heartbeat", "set", "/workers/all", "/api/v1/workers"),
        ("stat:processed", "list", "/stats/resque", "/api/v1/stats"),
    ],
)
def test_a_key_of_the_wrong_type_is_named_on_a_409_page(
    app: Flask, raw: redis.Redis, key: str, kind: str, url: str, api: str
) -> None:
    seed(raw)
    write_typed(raw, k(key), kind, b"x")
    client = app.test_client()
    page = client.get(url)
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "Unexpected data in Redis" in html
    assert f"resque:{key} is a {kind} where Resque keeps a" in html
    assert f'href="/stats/keys/{key}"' in html  # a way to look at it...
    assert client.get(f"/stats/keys/{key}").status_code == 200  # ...which works
    response = client.get(api)
    assert response.status_code == 409
    assert f"resque:{key} is a {kind}" in response.get_json()["message"]
