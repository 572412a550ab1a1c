"""Cross-site POSTs refused, read-only mode, the authorize hook, and the response headers."""

from __future__ import annotations

import pytest
import redis
from flask import Flask, Request
from flask.testing import FlaskClient

from resque_web.web import create_app

from .html import forms, parse, text


@pytest.fixture(autouse=True)
def _data(ruby_data: redis.Redis) -> None:
    """Every test here reads the Ruby fixture."""


def app_with(redis_url: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "t", "REDIS_URL": redis_url, **config})


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_cross_site_posts_are_refused(
    client: FlaskClient, r: redis.Redis, headers: dict[str, str]
) -> None:
    response = client.post("/queues/mailers", data={"action": "clear"}, headers=headers)
    assert response.status_code == 403
    assert "Cross-site request refused" in text(response.data)
    assert r.llen("resque:queue:mailers") == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://localhost"},
        {},  # curl and scripts send neither header
    ],
)
def test_same_origin_posts_pass(
    client: FlaskClient, r: redis.Redis, headers: dict[str, str]
) -> None:
    response = client.post("/queues/mailers", data={"action": "clear"}, headers=headers)
    assert response.status_code == 303
    assert r.llen("resque:queue:mailers") == 0


def test_read_only_hides_actions_and_refuses_them(redis_url: str, r: redis.Redis) -> None:
    client = app_with(redis_url, RESQUE_WEB_READ_ONLY="1").test_client()
    for url in ("/queues/default", "/failed", "/overview"):
        assert forms(client.get(url).data) == []
    assert "read-only" in parse(client.get("/overview").data).find("header").text()
    response = client.post("/failed", data={"action": "clear"})
    assert response.status_code == 403
    assert "read-only" in text(response.data)
    assert r.llen("resque:failed") == 120


def test_authorize_hook_is_asked_for_every_action(redis_url: str, r: redis.Redis) -> None:
    asked: list[str] = []

    def authorize(action: str, request: Request) -> bool:
        asked.append(action)
        return action == "view" or request.headers.get("X-Role") == "admin"

    client = app_with(redis_url, RESQUE_WEB_AUTHORIZE=authorize).test_client()
    assert forms(client.get("/queues/default").data) == []  # buttons hidden
    assert "queue.clear" in asked and "queue.delete_job" in asked
    assert client.post("/queues/default", data={"action": "clear"}).status_code == 403
    assert r.llen("resque:queue:default") == 704
    response = client.post("/queues/default", data={"action": "clear"}, headers={"X-Role": "admin"})
    assert response.status_code == 303
    assert r.llen("resque:queue:default") == 0
    asked.clear()
    client.post("/failed", data={"action": "retry_all"}, headers={"X-Role": "admin"})
    client.post("/failed", data={"action": "clear_retried"})
    assert {"failed.retry_all", "failed.clear_retried"} <= set(asked)


def test_authorize_can_refuse_viewing(redis_url: str) -> None:
    client = app_with(redis_url, RESQUE_WEB_AUTHORIZE=lambda action, request: False).test_client()
    response = client.get("/overview")
    assert response.status_code == 403
    assert "not allowed to view" in text(response.data)


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    for url in ("/overview", "/api/v1/stats", "/queues/nope", "/stats.txt"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/resque-web.css")
    assert static.status_code == 200
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert static.headers.get("Cache-Control") != "no-store"
    static.close()


def test_no_inline_script_or_style(client: FlaskClient) -> None:
    for url in ("/overview", "/failed", "/queues/default", "/workers/all", "/stats/keys"):
        doc = parse(client.get(url).data)
        assert all(s.attrs.get("src") for s in doc.iter("script"))
        assert not doc.find_all("style")
        assert not [
            n for n in doc.iter() if "style" in n.attrs or any(a.startswith("on") for a in n.attrs)
        ]


def test_untrusted_text_is_escaped(client: FlaskClient, r: redis.Redis) -> None:
    r.sadd("resque:queues", "<img src=x onerror=alert(1)>")
    r.rpush("resque:queue:default", '{"class":"<script>alert(1)</script>","args":["<b>x</b>"]}')
    body = client.get("/queues").data + client.get("/queues/default?page=36").data
    assert b"<img src=x" not in body and b"<script>alert" not in body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in body
