"""Several Redis instances in one dashboard (``--redis prod=URL --redis staging=URL``):
each under ``/<name>/`` with its own data, the index at ``/``, the header's switcher, an
instance that is down, the gate over every instance, and the CLI's parsing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from click.testing import CliRunner
from flask import Flask

from resque_web import Resque
from resque_web.cli import main
from resque_web.redis_server import RedisServer
from resque_web.web import create_app
from resque_web.web.instances import parse_instances, split_pair
from tests.support.serving import FakeServer, fake_make_server

from .html import links, parse, text


@pytest.fixture(scope="module")
def other_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def staging_url(other_server: RedisServer) -> str:
    client = redis.Redis(port=other_server.port)
    client.flushall()
    client.close()
    return other_server.url


def multi_app(**instances: str) -> Flask:
    pairs = ",".join(f"{name}={url}" for name, url in instances.items())
    return create_app({"TESTING": True, "SECRET_KEY": "t", "RESQUE_WEB_INSTANCES": pairs})


@pytest.fixture
def two(redis_url: str, staging_url: str) -> Flask:
    prod = Resque(redis.Redis.from_url(redis_url, decode_responses=True))
    for n in range(3):
        prod.enqueue_to("prod_only", "ProdJob", n)
    prod.redis.set("resque:stat:processed", 41)
    staging = Resque(redis.Redis.from_url(staging_url, decode_responses=True))
    staging.enqueue_to("staging_only", "StagingJob", 1)
    staging.redis.set("resque:stat:processed", 7)
    return multi_app(prod=redis_url, staging=staging_url)


def row(html: bytes, name: str) -> str:
    found = [tr for tr in parse(html).iter("tr") if tr.attrs.get("data-instance") == name]
    assert len(found) == 1
    return found[0].text()


def switcher(html: bytes) -> list[str]:
    nav = [n for n in parse(html).iter("nav") if n.attrs.get("class") == "instances"]
    assert len(nav) == 1
    return [a.attrs["href"] for a in nav[0].iter("a")]


def test_each_instance_shows_its_own_data(two: Flask) -> None:
    client = two.test_client()
    prod = client.get("/prod/queues")
    staging = client.get("/staging/queues")
    assert prod.status_code == staging.status_code == 200
    assert "prod_only" in text(prod.data) and "staging_only" not in text(prod.data)
    assert "staging_only" in text(staging.data) and "prod_only" not in text(staging.data)
    assert client.get("/prod/queues/prod_only").status_code == 200
    assert "ProdJob" in text(client.get("/prod/queues/prod_only").data)
    assert client.get("/prod/").headers["Location"] == "/prod/overview"
    for page in ("/overview", "/failed", "/workers", "/working", "/stats/resque", "/metrics"):
        assert client.get(f"/staging{page}").status_code == 200, page
    assert "resque_jobs_processed_total 7.0" in client.get("/staging/metrics").text
    assert "resque_jobs_processed_total 41.0" in client.get("/prod/metrics").text
    # Every link on an instance's page stays on that instance (or goes to the index/others).
    own = [h for h in links(prod.data) if h.startswith("/") and not h.startswith("/static/")]
    assert own and all(h == "/" or h.startswith(("/prod/", "/staging/")) for h in own)
    assert not [h for h in own if h.startswith("/staging/") and h != "/staging/queues"]


def test_index_lists_the_instances_with_their_numbers(two: Flask) -> None:
    response = two.test_client().get("/")
    assert response.status_code == 200
    prod, staging = row(response.data, "prod"), row(response.data, "staging")
    # name, masked URL, pending, processed, failed, workers, working
    assert prod.split()[0] == "prod" and prod.split()[2:] == ["3", "41", "0", "0", "0"]
    assert staging.split()[0] == "staging" and staging.split()[2:] == ["1", "7", "0", "0", "0"]
    assert "/prod/overview" in links(response.data)
    assert "/staging/overview" in links(response.data)


def test_switcher_links_to_the_same_tab_on_the_other_instances(two: Flask) -> None:
    client = two.test_client()
    assert switcher(client.get("/prod/queues").data) == ["/", "/prod/queues", "/staging/queues"]
    assert switcher(client.get("/staging/queues/staging_only").data) == [
        "/",
        "/prod/queues",
        "/staging/queues",
    ]
    assert switcher(client.get("/prod/failed").data) == ["/", "/prod/failed", "/staging/failed"]
    nav = [n for n in parse(client.get("/staging/workers").data).iter("li")]
    current = [li.text() for li in nav if li.attrs.get("class") == "current"]
    assert "staging" in current and "Workers" in current


def test_single_redis_has_no_switcher(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/overview").data
    assert not [n for n in parse(html).iter("nav") if n.attrs.get("class") == "instances"]


def test_an_instance_down_is_503_on_its_pages_and_an_error_row(redis_url: str) -> None:
    prod = Resque(redis.Redis.from_url(redis_url, decode_responses=True))
    prod.enqueue_to("prod_only", "ProdJob", 1)
    down = RedisServer().start()
    try:
        app = multi_app(prod=redis_url, staging=down.url)
        client = app.test_client()
        assert client.get("/staging/overview").status_code == 200
    finally:
        down.stop()
    for tab in ("overview", "queues", "failed"):
        response = client.get(f"/staging/{tab}")
        assert response.status_code == 503, tab
        assert "Redis is unavailable" in text(response.data)
        assert switcher(response.data) == ["/", f"/prod/{tab}", f"/staging/{tab}"]
    index = client.get("/")
    assert index.status_code == 200
    assert "Redis cannot be read" in row(index.data, "staging")
    assert row(index.data, "prod").split()[2] == "1"
    assert client.get("/prod/overview").status_code == 200


def test_every_instance_and_the_index_are_gated(redis_url: str, staging_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "RESQUE_WEB_INSTANCES": f"prod={redis_url},staging={staging_url}",
            "RESQUE_WEB_AUTH": "admin:secret",
            "RESQUE_WEB_ALLOWED_HOSTS": "dash.example",
            "RESQUE_WEB_METRICS_PATH": "/public/metrics",
        }
    )
    client = app.test_client()
    good = {"Authorization": "Basic YWRtaW46c2VjcmV0"}  # admin:secret
    for url in ("/", "/prod/overview", "/staging/queues", "/prod/metrics", "/static/favicon.svg"):
        assert client.get(url, base_url="http://dash.example").status_code == 401, url
        assert client.get(url, base_url="http://evil.example", headers=good).status_code == 400
        assert client.get(url, base_url="http://dash.example", headers=good).status_code == 200
    # Public metrics: one path per instance, without the login (but still the Host check).
    for name in ("prod", "staging"):
        response = client.get(f"/public/metrics/{name}", base_url="http://dash.example")
        assert response.status_code == 200 and "resque_up 1.0" in response.text
        assert (
            client.get(f"/public/metrics/{name}", base_url="http://evil.example").status_code == 400
        )
    assert client.get("/public/metrics", base_url="http://dash.example").status_code == 401


def test_instances_under_a_url_prefix(redis_url: str, staging_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "RESQUE_WEB_INSTANCES": f"prod={redis_url},staging={staging_url}",
            "RESQUE_WEB_URL_PREFIX": "/resque",
        }
    )
    client = app.test_client()
    assert client.get("/").headers["Location"] == "/resque/"
    index = client.get("/resque/")
    assert index.status_code == 200 and "/resque/staging/overview" in links(index.data)
    assert switcher(client.get("/resque/prod/queues").data) == [
        "/resque/",
        "/resque/prod/queues",
        "/resque/staging/queues",
    ]


# Parsing ------------------------------------------------------------------------------------
def test_split_pair_tells_a_name_from_a_url_with_a_query() -> None:
    assert split_pair("prod=redis://h:1/0") == ("prod", "redis://h:1/0")
    assert split_pair("redis://h:1/0?socket_timeout=1") == (None, "redis://h:1/0?socket_timeout=1")
    assert split_pair("p=redis://h/0?a=b") == ("p", "redis://h/0?a=b")


def test_parse_instances_errors_name_the_cause() -> None:
    assert parse_instances(["redis://h:1/0"]) is None
    assert [i.name for i in parse_instances(["a=redis://h/0", "b-2=redis://h/1"]) or []] == [
        "a",
        "b-2",
    ]
    with pytest.raises(ValueError, match="'prod' is given twice"):
        parse_instances(["prod=redis://a/0", "prod=redis://b/0"])
    with pytest.raises(ValueError, match=r"instance name 'pr od' is not allowed"):
        parse_instances(["pr od=redis://a/0"])
    with pytest.raises(ValueError, match=r"instance name 'a\.b' is not allowed"):
        parse_instances(["a.b=redis://a/0"])
    with pytest.raises(ValueError, match="has no name"):
        parse_instances(["prod=redis://a/0", "redis://b/0"])
    with pytest.raises(ValueError, match="reserved"):
        parse_instances(["static=redis://a/0"])
    with pytest.raises(ValueError, match="has no Redis URL"):
        parse_instances(["prod="])


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    fake_make_server(monkeypatch)
    for name in ("REDIS_URL", "RESQUE_WEB_INSTANCES", "RESQUE_WEB_URL_PREFIX", "RESQUE_WEB_AUTH"):
        monkeypatch.delenv(name, raising=False)
    return FakeServer


def test_serve_with_several_redis(served: type[FakeServer]) -> None:
    args = ["serve", "--redis", "prod=redis://:pw@db1:6379/0", "--redis", "staging=redis://db2/3"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "prod: http://127.0.0.1:5678/prod/ (Redis redis://:***@db1:6379/0)" in result.output
    assert "staging: http://127.0.0.1:5678/staging/ (Redis redis://db2/3)" in result.output
    app = served.last.app  # type: ignore[union-attr]
    assert app.blueprints["resque_web_prod"].settings.redis_url == "redis://:pw@db1:6379/0"
    assert app.blueprints["resque_web_staging"].settings.redis_url == "redis://db2/3"
    assert "resque_web" not in app.blueprints


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--redis", "a=redis://x/0", "--redis", "a=redis://y/0"], "'a' is given twice"),
        (["--redis", "a/b=redis://x/0", "--redis", "c=redis://y/0"], "'a/b' is not allowed"),
        (["--redis", "a=redis://x/0", "--redis", "redis://y/0"], "has no name"),
    ],
)
def test_serve_refuses_bad_instances(
    served: type[FakeServer], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2
    assert "--redis:" in result.output and message in result.output


def test_instances_from_the_environment(
    served: type[FakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESQUE_WEB_INSTANCES", "one=redis://a/0, two=redis://b/0")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    app = served.last.app  # type: ignore[union-attr]
    assert {"resque_web_one", "resque_web_two"} <= set(app.blueprints)
    monkeypatch.setenv("RESQUE_WEB_INSTANCES", "redis://a/0")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "name=url pairs separated by commas" in result.output
