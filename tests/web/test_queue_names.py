"""Queue names with ``/``, ``?``, ``#``, ``%``, spaces or unicode work as links and actions."""

from __future__ import annotations

import pytest
import redis
from flask.testing import FlaskClient

from resque_web import Resque

from .html import forms, links, parse

NAMES = ["a/b", "a//b/", "what?x=1", "c#sharp", "100%", "with space", "ünïcode-队列", "x/clear"]


@pytest.fixture
def queues(resque: Resque) -> list[str]:
    for name in NAMES:
        resque.enqueue_to(name, "Archive", name)
    return NAMES


def test_every_queue_name_links_to_its_page(client: FlaskClient, queues: list[str]) -> None:
    hrefs = [h for h in links(client.get("/queues").data) if h.startswith("/queues/")]
    assert len(hrefs) == len(queues)
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        title = parse(response.data).find("span", "queue-name").text()
        assert title in queues
        assert response.data.count(b"Archive") >= 1


def test_actions_on_odd_names(client: FlaskClient, queues: list[str], r: redis.Redis) -> None:
    hrefs = [h for h in links(client.get("/queues").data) if h.startswith("/queues/")]
    titles = {parse_title(client, h): h for h in hrefs}
    for name in queues:
        href = titles[name]
        form = next(f for f in forms(client.get(href).data) if f.get("action") == "clear")
        response = client.post(form.pop("_action"), data=form)
        assert response.status_code == 303
        assert client.get(response.headers["Location"]).status_code == 200
        assert r.llen(f"resque:queue:{name}") == 0, name
        assert r.sismember("resque:queues", name)


def parse_title(client: FlaskClient, href: str) -> str:
    return parse(client.get(href).data).find("span", "queue-name").text()


def test_api_urls_for_odd_names(client: FlaskClient, queues: list[str]) -> None:
    listed = client.get("/api/v1/queues").get_json()["queues"]
    for entry in listed:
        data = client.get(entry["url"]).get_json()
        assert data["queue"] == entry["name"] and data["total"] == 1


def test_worker_ids_with_odd_queues(client: FlaskClient, r: redis.Redis) -> None:
    worker = "host-1:42:a/b,with space,100%"
    r.sadd("resque:workers", worker)
    href = next(
        h for h in links(client.get("/workers/all").data) if h.startswith("/workers/host-1")
    )
    page = client.get(href)
    assert page.status_code == 200
    assert f"Worker {worker}" in parse(page.data).find("h1").text()
