"""The Delayed and Schedule tabs in a real browser on what Ruby's resque-scheduler wrote:
each action clicked (confirm dialogs answered), then checked in Redis."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from resque_web.web import create_app

pytestmark = pytest.mark.browser

Serve = Callable[[Flask], str]
CAPTURED = 1796329780
T0 = 1900000000
SAME_AT = T0 + 99999


@pytest.fixture
def base(ruby_plugins_data: redis.Redis, redis_url: str, live_server: Serve, tmp_path: Path) -> str:
    schedule = tmp_path / "schedule.yml"
    schedule.write_text("file_job:\n  every: 1h\n  class: FileJob\n  queue: low\n  args: [1]\n")
    app = create_app(
        {
            "REDIS_URL": redis_url,
            "SECRET_KEY": "t",
            "RESQUE_WEB_POLL_INTERVAL": 0,
            "RESQUE_WEB_SCHEDULE_FILE": str(schedule),
        }
    )
    return live_server(app)


def flash(page: Any) -> str:
    return page.locator("p.flash").inner_text()


def test_delayed_tab_queue_a_whole_time_now(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/overview")
    page.locator("nav.tabs").get_by_role("link", name="Delayed", exact=True).click()
    page.wait_for_url(base + "/delayed")
    assert page.locator("p.delayed-totals").inner_text() == "16 timestamps holding 25 delayed jobs."
    page.on("dialog", lambda dialog: dialog.accept())  # two jobs: it asks first
    row = page.locator("table.delayed tbody tr").nth(1)
    assert "Flaky" in row.inner_text()
    row.get_by_role("button", name="Queue now").click()
    page.wait_for_url(base + "/delayed")
    assert flash(page) == "Queued 2 jobs due at 2026-12-03 20:39:40 UTC."
    assert r.llen("resque:queue:flaky") == 2
    assert page.locator("p.delayed-totals").inner_text() == "15 timestamps holding 23 delayed jobs."


def test_delayed_timestamp_queue_one_job_and_delete_one(
    page: Any, base: str, r: redis.Redis
) -> None:
    page.goto(base + "/delayed")
    page.locator("table.delayed").get_by_role(
        "link", name=re.compile("2030-03-18 21:33:19")
    ).click()
    page.wait_for_url(base + f"/delayed/{SAME_AT}")
    rows = page.locator("table.delayed-jobs tbody tr")
    assert rows.count() == 3
    rows.nth(2).get_by_role("button", name="Queue now").click()
    page.wait_for_url(re.compile(rf"/delayed/{SAME_AT}\?"))
    assert "Queued one Archive job on file_serve" in flash(page)
    assert r.lrange("resque:queue:file_serve", 0, -1) == ['{"class":"Archive","args":[7,"same"]}']
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("table.delayed-jobs tbody tr").first.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(rf"/delayed/{SAME_AT}\?"))
    assert "Deleted one delayed Archive job" in flash(page)
    assert r.llen(f"resque:delayed:{SAME_AT}") == 1
    assert page.locator("table.delayed-jobs tbody tr").count() == 1


def test_delayed_search_then_delete_from_the_results(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/delayed")
    page.locator("form.delayed-search input[name=class]").fill("billing")
    page.locator("form.delayed-search input[name=args]").fill("1004")
    page.locator("form.delayed-search").get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(r"class=billing"))
    results = page.locator("table.delayed-search-results tbody tr")
    assert results.count() == 1 and "ünïcode 队列" in results.first.inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    results.first.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/delayed\?.*class=billing"))
    assert "Deleted one delayed Billing::Charge job" in flash(page)
    assert "No delayed job matches." in page.locator("table.delayed-search-results").inner_text()
    assert r.llen(f"resque:delayed:{T0 + 4 * 3600}") == 1


def test_delayed_clear_all(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/delayed")
    questions: list[str] = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Clear all delayed").click()
    page.wait_for_url(base + "/delayed")
    assert questions == ["Delete every delayed job (16 timestamps)? This cannot be undone."]
    assert flash(page) == "Cleared 25 delayed jobs."
    assert r.zcard("resque:delayed_queue_schedule") == 0
    assert page.locator("table.delayed tbody").inner_text() == "There are no delayed jobs."


def test_schedule_tab_queue_now_and_delete(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/overview")
    page.locator("nav.tabs").get_by_role("link", name="Schedule", exact=True).click()
    page.wait_for_url(base + "/schedule")
    assert "sched-host.example.com:4242" in page.locator("p.schedule-intro").inner_text()
    nightly = page.locator("table.schedule tbody tr", has_text="nightly_report")
    nightly.get_by_role("button", name="Queue now").click()
    page.wait_for_url(base + "/schedule")
    assert flash(page) == "Queued Reports::Nightly on reports-nightly from schedule nightly_report."
    assert r.lrange("resque:queue:reports-nightly", 0, -1) == [
        '{"class":"Reports::Nightly","args":[1]}'
    ]
    page.locator("table.schedule tbody tr", has_text="file_job").get_by_role(
        "button", name="Queue now"
    ).click()
    page.wait_for_url(base + "/schedule")
    assert r.lrange("resque:queue:low", 0, -1) == ['{"class":"FileJob","args":[1]}']
    page.on("dialog", lambda dialog: dialog.accept())
    every = page.locator("table.schedule tbody tr", has_text="every_5m")
    every.get_by_role("button", name="Delete").click()
    page.wait_for_url(base + "/schedule")
    assert flash(page) == "Deleted schedule every_5m."
    assert not r.hexists("resque:persistent_schedules", "every_5m")
    assert page.locator("table.schedule tbody tr", has_text="every_5m").count() == 0
