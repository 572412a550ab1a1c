"""The Retry tab in a real browser on what Ruby's resque-retry wrote: from the tab to one
time's retries, Retry now and Remove clicked (the confirm dialog answered, then declined),
each checked in Redis, and a Failed row's retry count linking to the tab."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask

from resque_web.keys import Keys
from resque_web.retry import retry_identifier
from resque_web.web import create_app

pytestmark = pytest.mark.browser

Serve = Callable[[Flask], str]
K = Keys()
FLAKY_AT = 1796329780 + 600
FLAKY_42 = K.retry_attempts(K.retry_name("Flaky", retry_identifier([42, "x"])))
FLAKY_43 = K.retry_attempts(K.retry_name("Flaky", retry_identifier([43, "y"])))


@pytest.fixture
def base(ruby_plugins_data: redis.Redis, redis_url: str, live_server: Serve) -> str:
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0})
    return live_server(app)


def flash(page: Any) -> str:
    return page.locator("p.flash").inner_text()


def test_retry_now_then_remove_from_the_tab(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/overview")
    page.locator("nav.tabs").get_by_role("link", name="Retry", exact=True).click()
    page.wait_for_url(base + "/retry")
    rows = page.locator("table.retries tbody tr")
    assert rows.count() == 3
    assert "retry 2" in rows.nth(0).inner_text() and "Timeout::Error" in rows.nth(0).inner_text()
    rows.nth(1).locator("details.backtrace summary").click()
    assert "app/jobs.rb:41" in rows.nth(1).locator("details.backtrace").inner_text()

    rows.nth(1).get_by_role("button", name="Retry now").click()
    page.wait_for_url(re.compile(r"/retry\?page=1"))
    assert "Queued one Flaky job on flaky" in flash(page)
    assert r.lrange("resque:queue:flaky", 0, -1) == ['{"class":"Flaky","args":[42,"x"]}']
    assert r.get(FLAKY_42) == "0"
    assert page.locator("table.retries tbody tr").count() == 2

    page.locator("table.retries").get_by_role(
        "link", name=re.compile("2026-12-03 20:39:40")
    ).click()
    page.wait_for_url(base + f"/retry/{FLAKY_AT}")
    asked: list[str] = []

    def decline(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()  # changed my mind: nothing happens

    page.once("dialog", decline)
    page.locator("table.retries tbody tr").first.get_by_role("button", name="Remove").click()
    assert asked == ["Remove this retry of Flaky, its attempt count and last error?"]
    assert page.url == base + f"/retry/{FLAKY_AT}" and r.exists(FLAKY_43)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("table.retries tbody tr").first.get_by_role("button", name="Remove").click()
    page.wait_for_url(base + "/retry")  # the time held nothing else
    assert "Removed the retry of Flaky due at 2026-12-03 20:39:40 UTC" in flash(page)
    assert not r.exists(FLAKY_43) and not r.exists(K.retry_failure(K.strip(FLAKY_43)))
    assert r.llen(f"resque:delayed:{FLAKY_AT}") == 0
    assert page.locator("table.retries tbody tr").count() == 1

    page.goto(base + "/audit")
    assert "retry.remove" in page.locator("body").inner_text()


def test_a_failed_rows_retry_count_leads_to_the_tab(page: Any, base: str, r: redis.Redis) -> None:
    r.set(K.retry_attempts(K.retry_name("Hopeless", retry_identifier([1]))), "1")
    page.goto(base + "/failed")
    badge = page.locator("#failure-0 a.retry-attempts")
    assert badge.inner_text() == "1 retry so far"
    badge.click()
    page.wait_for_url(base + "/retry")
