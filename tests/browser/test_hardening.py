"""Issue 10 item 8 in a real browser: opening a bulk operation's page, by a link on another
site or by hand, never advances the operation; only the user's own POST (Start, Continue)
makes the page run its steps."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask, Response
from playwright.sync_api import expect

from resque_web import Resque
from resque_web.model import AuditLog, BulkOperations, FailureFilter
from resque_web.web import create_app

pytestmark = pytest.mark.browser

Serve = Callable[[Flask], str]
KEY = "resque:failed"


def pending_retry(r: redis.Redis, count: int) -> str:
    record = {"failed_at": "2026/11/27 17:05:08 UTC", "exception": "E", "queue": "bulk"}
    r.rpush(
        KEY,
        *[json.dumps({**record, "payload": {"class": "B", "args": [i]}}) for i in range(count)],
    )
    resque = Resque(r)
    ops = BulkOperations(resque, AuditLog(resque))
    return ops.create("retry", None, FailureFilter.from_args({"exception": "E"}), "alice").id


def test_opening_a_bulk_page_never_resumes_it(
    page: Any, r: redis.Redis, redis_url: str, live_server: Serve
) -> None:
    op_id = pending_retry(r, 100)
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0})
    base = live_server(app)
    target = f"{base}/failed/bulk/{op_id}"
    evil = Flask("evil")
    evil.add_url_rule(
        "/", "index", lambda: Response(f'<a id="go" href="{target}">win</a>', mimetype="text/html")
    )
    evil.add_url_rule("/favicon.ico", "icon", lambda: Response(status=204))
    page.goto(live_server(evil).replace("127.0.0.1", "localhost") + "/")
    page.click("#go")  # a cross-site top-level navigation, as the red team made it
    page.wait_for_url(target)
    page.wait_for_timeout(1500)
    expect(page.locator(".op-paused")).to_be_visible()
    state = json.loads(r.get(f"resque:web:bulk:{op_id}"))
    assert (state["status"], state["done"], r.llen("resque:queue:bulk")) == ("pending", 0, 0)
    page.reload()
    page.wait_for_timeout(500)
    assert json.loads(r.get(f"resque:web:bulk:{op_id}"))["done"] == 0
    # The user's own click resumes it, and the page then runs it to the end.
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".op-status")).to_have_text("done")
    assert r.llen("resque:queue:bulk") == 100


def test_start_runs_the_operation_it_created(
    page: Any, r: redis.Redis, redis_url: str, live_server: Serve
) -> None:
    record = {"failed_at": "2026/11/27 17:05:08 UTC", "exception": "S", "queue": "bulk"}
    r.rpush(
        KEY, *[json.dumps({**record, "payload": {"class": "B", "args": [i]}}) for i in range(30)]
    )
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0})
    base = live_server(app)
    page.goto(base + "/failed/bulk?action=retry&exception=S")
    page.get_by_role("button", name=re.compile(r"^Start")).click()
    expect(page.locator(".op-status")).to_have_text("done")
    assert r.llen("resque:queue:bulk") == 30
