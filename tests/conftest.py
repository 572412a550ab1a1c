"""Shared fixtures: a real redis-server per test session, fakeredis for unit tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import fakeredis
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from resque_web import Resque
from resque_web.redis_server import RedisServer
from resque_web.web import create_app
from tests.support.dump import RUBY_PLUGINS, load_dump

# No dashboard a test starts samples the history graphs in the background (a thread that
# outlived its test would write into the next test's Redis); history tests turn it on.
os.environ["RESQUE_WEB_HISTORY"] = "0"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port for the whole session."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The real server's URL, emptied before each test."""
    client = redis.Redis(port=redis_server.port)
    client.flushall()
    client.close()
    yield redis_server.url


@pytest.fixture
def r(redis_url: str) -> Iterator[redis.Redis]:
    """A decoding client on the real server."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def resque(r: redis.Redis) -> Resque:
    return Resque(r)


@pytest.fixture
def fake() -> redis.Redis:
    """fakeredis, for fast unit tests of pure logic only."""
    return fakeredis.FakeRedis(decode_responses=True)


@pytest.fixture
def ruby_data(r: redis.Redis) -> redis.Redis:
    """The real server loaded with the Ruby Resque 3.0 fixture (both namespaces)."""
    load_dump(r)
    return r


@pytest.fixture
def ruby_plugins_data(r: redis.Redis) -> redis.Redis:
    """The real server loaded with what real resque-scheduler, resque-retry and
    resque-status wrote (namespace ``resque``)."""
    load_dump(r, RUBY_PLUGINS)
    return r


# The web dashboard, flaskr style ----------------------------------------------------------
@pytest.fixture
def app(redis_url: str) -> Flask:
    """The dashboard on the real server (empty unless the test also asks for ``ruby_data``)."""
    config = {"TESTING": True, "SECRET_KEY": "test", "REDIS_URL": redis_url}
    return create_app({**config, "RESQUE_NAMESPACE": "resque"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
