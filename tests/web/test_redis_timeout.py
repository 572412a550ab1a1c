"""Redis that accepts connections but stops answering (SIGSTOP: a hung or swapping server,
not a refused connection) makes pages answer 503 within the configured timeout, and they
recover by themselves once it answers again (SIGCONT)."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import redis
from werkzeug.serving import make_server

from resque_web.redis_server import RedisServer
from resque_web.web import create_app
from tests.support.dump import load_dump

from .html import text

TIMEOUT = 0.5
PAGES = ["/overview", "/failed", "/queues/default", "/workers/all", "/stats/keys", "/stats.txt"]


@pytest.fixture
def stoppable() -> Iterator[RedisServer]:
    """A private Redis with the Ruby fixture, continued again whatever the test does."""
    server = RedisServer().start()
    client = redis.Redis(port=server.port)
    load_dump(client)
    client.close()
    yield server
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGCONT)
    server.close()


def pause(server: RedisServer) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)


def resume(server: RedisServer) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGCONT)


def test_a_hung_redis_is_a_503_within_the_timeout_then_recovers(stoppable: RedisServer) -> None:
    app = create_app(
        {"TESTING": True, "REDIS_URL": stoppable.url, "RESQUE_WEB_REDIS_TIMEOUT": str(TIMEOUT)}
    )
    client = app.test_client()
    for url in PAGES:  # warm: pooled connections exist, the failure index is built
        assert client.get(url).status_code == 200, url
    pause(stoppable)
    for url in [*PAGES, "/api/v1/stats"]:
        started = time.monotonic()
        response = client.get(url)
        elapsed = time.monotonic() - started
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "5"
        # One round trip gives up after TIMEOUT; the page does not retry command by command.
        assert elapsed < TIMEOUT * 4, (url, elapsed)
        if "/api/" in url:
            assert "timed out" in response.get_json()["message"]
        else:
            assert f"Redis at {stoppable.url} timed out" in text(response.data)
    response = client.post("/queues/mailers", data={"action": "clear"})
    assert response.status_code == 503
    resume(stoppable)
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    # The clear sent while Redis was stopped may still run once it continues (Redis got the
    # command; only the answer was late): the 503 page does not claim nothing changed.
    assert "nothing was changed" not in text(response.data)


def test_a_real_server_stays_responsive_while_redis_hangs(stoppable: RedisServer) -> None:
    """Threads of a real HTTP server each give up after the timeout: none is stuck, and
    concurrent requests all come back."""
    app = create_app({"REDIS_URL": stoppable.url, "RESQUE_WEB_REDIS_TIMEOUT": str(TIMEOUT)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert urllib.request.urlopen(base + "/overview", timeout=10).status == 200
        pause(stoppable)
        statuses: list[int] = []

        def fetch(url: str) -> None:
            try:
                urllib.request.urlopen(base + url, timeout=10)
                statuses.append(200)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

        started = time.monotonic()
        workers = [threading.Thread(target=fetch, args=(url,)) for url in PAGES * 2]
        for w in workers:
            w.start()
        for w in workers:
            w.join(15)
        assert statuses == [503] * len(workers)
        assert time.monotonic() - started < TIMEOUT * 8
        resume(stoppable)
        assert urllib.request.urlopen(base + "/overview", timeout=10).status == 200
    finally:
        resume(stoppable)
        server.shutdown()
        server.server_close()
        thread.join(5)
