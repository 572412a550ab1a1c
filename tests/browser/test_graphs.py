"""The graphs in headless Chromium: the history page draws its canvases from
/api/v1/history and the overview's realtime chart gains a point per live poll, with the
CSP unchanged and no violation (the page fixture fails on any console error; the init
script below also records ``securitypolicyviolation`` events)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask

from resque_web.keys import Keys
from resque_web.model import History
from resque_web.web import create_app

pytestmark = pytest.mark.browser

Serve = Callable[[Flask], str]
KEYS = Keys()
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_the_history_page_draws_without_csp_violations(
    page: Any, r: redis.Redis, redis_url: str, live_server: Serve
) -> None:
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_HISTORY": False})
    history = History(app.blueprints["resque_web"].resque)
    r.sadd(KEYS.queues, "mail")
    now = time.time()
    for minutes_ago, processed in ((3, 10), (2, 25), (0, 40)):  # a gap a minute ago
        r.set(KEYS.processed, processed)
        r.rpush(KEYS.queue("mail"), "{}")
        history.sample(now=now - minutes_ago * 60)
    base = live_server(app)
    page.add_init_script(WATCH_CSP)
    page.goto(base + "/stats/history")
    page.wait_for_selector(".history[data-drawn]")
    for chart in ("rates", "pending", "queues"):
        assert page.locator(f'[data-chart="{chart}"] canvas').count() == 1, chart
        assert page.get_attribute(f'[data-chart="{chart}"]', "data-points") == "1440"
    # The canvas holds drawn pixels, not a blank surface.
    painted = page.eval_on_selector(
        '[data-chart="pending"] canvas',
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v)",
    )
    assert painted
    assert page.evaluate("window.__csp") == []
    assert "Queue mail" in page.locator("table.history-latest").inner_text()
    page.get_by_role("link", name="Per hour").click()
    page.wait_for_selector(".history[data-drawn]")
    assert page.get_attribute('[data-chart="rates"]', "data-points") == "720"
    assert page.evaluate("window.__csp") == []


def test_the_overview_realtime_chart_gets_a_point_per_poll(
    page: Any, r: redis.Redis, redis_url: str, live_server: Serve
) -> None:
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0.3})
    base = live_server(app)
    page.add_init_script(WATCH_CSP + "localStorage.setItem('resque-web:live-poll', '1');")
    r.set(KEYS.processed, 100)
    page.goto(base + "/overview")
    box = '[data-chart="realtime"]'
    page.wait_for_selector(box + " canvas")
    page.wait_for_function(
        "s => +document.querySelector(s).getAttribute('data-points') >= 3", arg=box
    )
    assert page.locator(box + " canvas").count() == 1  # the chart moved into each swap
    assert page.locator('[data-realtime="processed"]').inner_text() == "0"
    # One interval sees the 7 processed and 2 failed; the table beside says so.
    r.incrby(KEYS.processed, 7)
    r.incrby(KEYS.failed_count, 2)
    page.wait_for_function(
        """() => document.querySelector('[data-realtime="processed"]').textContent === '7'
              && document.querySelector('[data-realtime="failed"]').textContent === '2'"""
    )
    assert page.evaluate("window.__csp") == []
