"""/failed with JavaScript turned off: a row's Retry and Remove (buttons of one shared
form, through the form= attribute) act on exactly their failure, and a backtrace's first
lines open in a <details> with the whole record a plain link away."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from resque_web.web import create_app

from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

KEY = "resque:failed"


@pytest.fixture
def base(ruby_data: redis.Redis, redis_url: str, live_server: Callable[[Flask], str]) -> str:
    return live_server(create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t"}))


@pytest.fixture
def no_script(browser: Any) -> Iterator[Any]:
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def ready(page: Any, url: str) -> None:
    """The page once the failure index has caught up (without script it cannot reload
    itself)."""
    for _ in range(50):
        page.goto(url)
        if page.locator("[data-counting]").count() == 0:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the failure index never caught up")


def test_row_actions_and_backtraces_work_without_script(
    no_script: Any, base: str, r: redis.Redis
) -> None:
    page = no_script
    trace = [f"/srv/app/app/jobs/charge_job.rb:{n}:in `perform'" for n in range(5)]
    trace.insert(1, "/srv/app/vendor/" + "g" * 150 + ".rb:7:in `call'")
    newest = {
        "failed_at": "2026/12/03 20:29:40 UTC",
        "payload": {"class": "ChargeJob", "args": [1]},
        "exception": "KeyError",
        "error": "key not found: :card",
        "backtrace": trace,
        "worker": "w:1:critical",
        "queue": "critical",
    }
    r.rpush(KEY, json.dumps(newest))
    ready(page, base + "/failed")
    row = page.locator("table.failures tbody tr").first
    position = int(row.get_attribute("id").removeprefix("failure-"))
    record = json.loads(r.lindex(KEY, position) or "")
    queue = record["queue"]
    before = r.llen(f"resque:queue:{queue}")
    row.get_by_role("button", name="Retry").click()
    page.wait_for_url(base + "/failed?page=1&per_page=20&order=newest")
    assert "Retried failure" in page.locator(".flash").inner_text()
    assert json.loads(r.lindex(KEY, position) or "").get("retried_at")
    assert r.llen(f"resque:queue:{queue}") == before + 1

    traced = page.locator("table.failures tbody tr:has(details.backtrace)").first
    traced.locator("details.backtrace summary").click()
    shown = traced.locator("details.backtrace pre").inner_text().splitlines()
    position = int(traced.get_attribute("id").removeprefix("failure-"))
    trace = json.loads(r.lindex(KEY, position) or "")["backtrace"]
    assert shown == [line if len(line) <= 120 else line[:120] + "\u2026" for line in trace[:3]]
    assert "3 more lines" in traced.locator("details.backtrace").inner_text()
    traced.get_by_role("link", name="the whole backtrace").click()
    assert json.loads(page.locator("body").inner_text())["backtrace"] == trace
    page.go_back()

    last = page.locator("table.failures tbody tr").last
    raw = r.lindex(KEY, int(last.get_attribute("id").removeprefix("failure-")))
    last.get_by_role("button", name="Remove").click()
    page.wait_for_url(base + "/failed?page=1&per_page=20&order=newest")
    assert page.locator(".flash").inner_text().startswith("Removed failure")
    assert r.llen(KEY) == 120 and raw not in r.lrange(KEY, 0, -1)
