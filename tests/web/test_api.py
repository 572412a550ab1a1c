"""The read-only JSON API under /api/v1 shows the fixture's figures with stable names."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from flask import Flask, url_for
from flask.testing import FlaskClient

from resque_web.web.views.queues import path_url


@pytest.fixture(autouse=True)
def _data(ruby_data: redis.Redis) -> None:
    """Every test here reads the Ruby fixture."""


def get_json(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.data[:300])
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_stats(client: FlaskClient, mq_client: FlaskClient, redis_url: str) -> None:
    assert get_json(client, "/api/v1/stats") == {
        "namespace": "resque",
        "server": redis_url,
        "pending": 2024,
        "processed": 275,
        "failed": 112,
        "failed_listed": 120,
        "queues": 9,
        "workers": 9,
        "working": 3,
    }
    data = get_json(mq_client, "/api/v1/stats")
    assert (data["failed"], data["failed_listed"], data["pending"]) == (12, 13, 7)


def test_queues(client: FlaskClient, mq_client: FlaskClient) -> None:
    data = get_json(client, "/api/v1/queues")
    sizes = {q["name"]: q["size"] for q in data["queues"]}
    assert sizes["default"] == 704 and sizes["ünïcode-队列"] == 101
    assert sizes["empty-after-drain"] == 0
    assert all(q["failed"] is None for q in data["queues"])
    assert data["queues"][0]["url"] == "/api/v1/queues/critical"
    data = get_json(mq_client, "/api/v1/queues")
    assert {q["name"]: q["failed"] for q in data["queues"]}["critical"] == 4


FIXTURE_QUEUES = [
    "critical",
    "default",
    "empty-after-drain",
    "images.resize",
    "long-running",
    "low.priority-batch",
    "mailers",
    "reports-nightly",
    "ünïcode-队列",
]


def test_queues_are_paged(client: FlaskClient) -> None:
    """Pages of the sorted queue list with totals and next/prev links; following the links
    visits every queue once."""
    data = get_json(client, "/api/v1/queues?per_page=4")
    assert {k: data[k] for k in ("total", "page", "per_page", "pages", "next", "prev")} == {
        "total": 9,
        "page": 1,
        "per_page": 4,
        "pages": 3,
        "next": "/api/v1/queues?page=2&per_page=4",
        "prev": None,
    }
    assert [q["name"] for q in data["queues"]] == FIXTURE_QUEUES[:4]
    assert data["queues"][1] == {
        "name": "default",
        "size": 704,
        "failed": None,
        "url": "/api/v1/queues/default",
    }
    seen = []
    url: str | None = "/api/v1/queues?per_page=4"
    while url:
        data = get_json(client, url)
        seen += [q["name"] for q in data["queues"]]
        url = data["next"]
    assert seen == FIXTURE_QUEUES
    assert (data["page"], data["prev"]) == (3, "/api/v1/queues?page=2&per_page=4")
    assert [q["size"] for q in data["queues"]] == [101]


def test_queues_page_defaults_and_limits(client: FlaskClient, r: redis.Redis) -> None:
    """100 a page by default and at most (a bigger or nonsense per_page falls back to 100,
    as on the other endpoints); a page past the end shows the last one."""
    extra = [f"extra-{n:03d}" for n in range(250)]
    r.sadd("resque:queues", *extra)
    r.rpush("resque:queue:extra-150", "a", "b", "c")
    names = sorted([*FIXTURE_QUEUES, *extra])
    for query in ("", "?per_page=1000", "?per_page=0", "?per_page=x"):
        data = get_json(client, f"/api/v1/queues{query}")
        assert (data["total"], data["per_page"], data["pages"]) == (259, 100, 3), query
        assert [q["name"] for q in data["queues"]] == names[:100]
    data = get_json(client, "/api/v1/queues?page=2")
    assert [q["name"] for q in data["queues"]] == names[100:200]
    assert {q["name"]: q["size"] for q in data["queues"]}["extra-150"] == 3
    assert data["next"] == "/api/v1/queues?page=3&per_page=100"
    data = get_json(client, "/api/v1/queues?page=99")
    assert (data["page"], data["next"]) == (3, None)
    assert [q["name"] for q in data["queues"]] == names[200:]


def test_queues_page_of_no_queues(client: FlaskClient, r: redis.Redis) -> None:
    r.delete("resque:queues")
    data = get_json(client, "/api/v1/queues")
    assert data == {
        "total": 0,
        "page": 1,
        "per_page": 100,
        "pages": 1,
        "next": None,
        "prev": None,
        "queues": [],
    }


def test_queue_jobs_page(client: FlaskClient) -> None:
    data = get_json(client, "/api/v1/queues/default?page=2&per_page=50")
    assert {k: data[k] for k in ("queue", "page", "per_page", "total", "pages", "order")} == {
        "queue": "default",
        "page": 2,
        "per_page": 50,
        "total": 704,
        "pages": 15,
        "order": "oldest",
    }
    assert [j["index"] for j in data["items"]][:2] == [50, 51]
    job = data["items"][0]
    assert set(job) == {"index", "class", "args", "payload_class", "raw", "error"}


def test_queue_unicode_name(client: FlaskClient) -> None:
    data = get_json(client, "/api/v1/queues/%C3%BCn%C3%AFcode-%E9%98%9F%E5%88%97")
    assert data["total"] == 101


def test_workers(client: FlaskClient) -> None:
    data = get_json(client, "/api/v1/workers")
    assert (data["total"], data["working"]) == (9, 3)
    by_id = {w["id"]: w for w in data["workers"]}
    w = by_id["worker-01.prod.example.com:10000:critical,default"]
    assert (w["host"], w["pid"], w["queues"]) == (
        "worker-01.prod.example.com",
        "10000",
        ["critical", "default"],
    )
    assert (w["processed"], w["failed"]) == (4823, 14)
    assert w["job"]["class"] == "Archive" and w["job"]["args"] == [1000, "tar"]
    assert w["job"]["queue"] == "default" and w["job"]["run_at"] == "2026-11-27T17:05:08+00:00"
    assert w["started_at"] == "2026-11-27T17:05:08+00:00"
    never = by_id["old-box-7.example.com:31337:mailers,default"]
    assert (never["stale_reason"], never["stale_kind"]) == ("no heartbeat", "never")
    assert by_id["gone-host.example.com:4242:critical"]["stale_kind"] == "expired"


def test_failed(client: FlaskClient) -> None:
    data = get_json(client, "/api/v1/failed")
    assert (data["total"], data["order"], data["page"], data["multi_queue"]) == (
        120,
        "newest",
        1,
        False,
    )
    assert data["lists"] == [{"name": "failed", "queue": None, "count": 120}]
    first = data["items"][0]
    assert first["index"] == 119
    assert set(first) >= {
        "digest",
        "queue",
        "worker",
        "failed_at",
        "retried_at",
        "exception",
        "error",
        "backtrace",
        "job",
    }
    retried = sum(
        1
        for page in (1, 2)
        for f in get_json(client, f"/api/v1/failed?per_page=100&page={page}")["items"]
        if f["retried_at_text"]
    )
    assert retried == 24


def test_failed_filtered(client: FlaskClient) -> None:
    data = get_json(client, "/api/v1/failed?exception=Resque::DirtyExit")
    assert data["filter"] == {"class": None, "exception": "Resque::DirtyExit"}
    assert data["total"] >= 1
    assert all(f["exception"] == "Resque::DirtyExit" for f in data["items"])


def test_failed_multi_queue(mq_client: FlaskClient) -> None:
    data = get_json(mq_client, "/api/v1/failed/critical")
    assert (data["queue"], data["total"], data["multi_queue"]) == ("critical", 4, True)
    assert sum(i["count"] for i in data["lists"]) == 13
    assert get_json(mq_client, "/api/v1/failed?queue=default")["total"] == 3


def test_api_errors_are_json(client: FlaskClient) -> None:
    data = get_json(client, "/api/v1/queues/no-such-queue", status=404)
    assert data["status"] == 404 and data["error"] == "No such queue"
    get_json(client, "/api/v1/failed/no-such-queue", status=404)


def test_api_is_read_only(client: FlaskClient) -> None:
    assert client.post("/api/v1/queues/default").status_code == 405


@pytest.mark.parametrize("script_name", ["", "/mounted here"])
@pytest.mark.parametrize(
    ("endpoint", "arg"),
    [
        (".api_queue", "name"),
        (".queue", "name"),
        (".worker", "target"),
        (".working_job", "worker_id"),
        (".failed_queue", "failure_list"),
    ],
)
def test_row_links_are_url_for_built_once(
    app: Flask, script_name: str, endpoint: str, arg: str
) -> None:
    """Tables and listings quote each name as url_for would (one Werkzeug build a page)."""
    odd = ["a/b", "with space", "100%", "ünïcode-队列", "?#&=", "a\nb", "%00", "a//b", '"<>\\^']
    odd += ["host-1:42:a/b,with space,100%", "h:1:*"]
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": script_name}):
        link = path_url(endpoint, arg)
        assert [link(n) for n in odd] == [url_for(endpoint, **{arg: n}) for n in odd]
