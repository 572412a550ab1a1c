"""The README's embedding example, run as written: the host's login guards every dashboard
URL, and its ``authorize`` lets only admins act."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis
from flask import Flask

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_URL = "redis://127.0.0.1:6379/0"


def embedding_example() -> str:
    section = README.read_text(encoding="utf-8").split("## Embedding", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's Embedding section lost its example"
    return match.group(1)


@pytest.fixture
def host(ruby_data: redis.Redis, redis_url: str) -> Flask:
    code = embedding_example()
    assert EXAMPLE_URL in code
    scope: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(code.replace(EXAMPLE_URL, redis_url), "README.md", "exec"), scope)
    app = scope["app"]
    assert isinstance(app, Flask)
    return app


def test_the_hosts_login_guards_every_dashboard_url(host: Flask, r: redis.Redis) -> None:
    client = host.test_client()
    for url in (
        "/resque/overview",
        "/resque/failed",
        "/resque/api/v1/stats",
        "/resque/static/css/resque-web.css",
        "/resque/no/such/page",
    ):
        assert client.get(url).status_code == 401, url
    assert client.post("/resque/queues/mailers", data={"action": "clear"}).status_code == 401
    assert r.llen("resque:queue:mailers") == 303


def test_a_logged_in_user_views_but_only_an_admin_acts(host: Flask, r: redis.Redis) -> None:
    client = host.test_client()
    with client.session_transaction() as session:
        session["user"] = "viewer"
    page = client.get("/resque/queues/mailers")
    assert page.status_code == 200
    assert b'name="action" value="clear"' not in page.data  # no buttons
    assert client.post("/resque/queues/mailers", data={"action": "clear"}).status_code == 403
    assert r.llen("resque:queue:mailers") == 303
    with client.session_transaction() as session:
        session["role"] = "admin"
    assert b'name="action" value="clear"' in client.get("/resque/queues/mailers").data
    assert client.post("/resque/queues/mailers", data={"action": "clear"}).status_code == 303
    assert r.llen("resque:queue:mailers") == 0
