"""404 pages with a way back, 503 while Redis is down (and recovery), a clean 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient

from resque_web.redis_server import RedisServer
from resque_web.web import create_app

from .html import parse, text


@pytest.mark.parametrize(
    ("url", "title", "back"),
    [
        ("/queues/no-such-queue", "No such queue", "/queues"),
        ("/workers/no-such-host", "No such worker or host", "/workers/all"),
        ("/workers/host:1:gone", "No such worker or host", "/workers/all"),
        ("/working/host:1:gone", "No such worker", "/working"),
        ("/stats/keys/no:such:key", "No such key", "/stats/keys"),
        ("/failed/no-such-queue", "No such failure list", "/failed"),
        ("/no/such/page", "Page not found", "/overview"),
    ],
)
def test_not_found_pages(
    client: FlaskClient, ruby_data: redis.Redis, url: str, title: str, back: str
) -> None:
    response = client.get(url)
    assert response.status_code == 404
    doc = parse(response.data)
    assert title in doc.find("h1").text()
    assert doc.find("a", "btn").attrs["href"] == back
    assert doc.find("nav", "tabs")  # inside the layout


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A Redis of its own, to stop and start without disturbing the session's server."""
    server = RedisServer().start()
    yield server
    server.close()


def test_redis_down_is_a_503_that_recovers(private_redis: RedisServer) -> None:
    url = private_redis.url
    app = create_app({"TESTING": True, "REDIS_URL": url})
    client = app.test_client()
    assert client.get("/overview").status_code == 200
    private_redis.stop()
    for page in ("/overview", "/failed", "/queues/default", "/stats/redis"):
        response = client.get(page)
        assert response.status_code == 503, page
        assert response.headers["Retry-After"] == "5"
        assert f"Redis at {url} is unreachable" in text(response.data)
        assert "Is redis-server running" in text(response.data)
    api = client.get("/api/v1/stats")
    assert api.status_code == 503
    assert api.get_json()["error"] == "Redis is unavailable"
    assert client.post("/queues/default", data={"action": "clear"}).status_code == 503
    private_redis.start()
    assert client.get("/overview").status_code == 200
    assert client.get("/api/v1/stats").status_code == 200


def test_the_password_is_never_shown(private_redis: RedisServer) -> None:
    url = f"redis://:hunter2@127.0.0.1:{private_redis.port}/0"
    private_redis.stop()
    client = create_app({"TESTING": True, "REDIS_URL": url}).test_client()
    body = client.get("/overview").data
    assert b"hunter2" not in body
    assert b"redis://:***@127.0.0.1" in body


def test_an_unexpected_error_is_a_clean_500(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resque_web.model import Queues, Stats

    def broken(self: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Queues, "all", broken)
    monkeypatch.setattr(Queues, "page_of_names", broken)
    monkeypatch.setattr(Stats, "summary", broken)
    app = create_app({"REDIS_URL": redis_url, "PROPAGATE_EXCEPTIONS": False})
    for url, kind in (("/queues", "text/html"), ("/api/v1/queues", "application/json")):
        response = app.test_client().get(url)
        assert response.status_code == 500
        assert response.mimetype == kind
        assert b"secret internals" not in response.data and b"Traceback" not in response.data
    html = app.test_client().get("/queues").data
    assert "Something went wrong" in text(html)
    assert parse(html).find("nav", "tabs")
