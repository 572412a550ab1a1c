"""Pause, resume and prune in a real browser: the buttons, their confirmations, the banner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from flask import Flask

from resque_web import Resque
from resque_web.keys import Keys
from resque_web.web import create_app

K = Keys()
OLD = "2020-01-01T00:00:00+00:00"


def make_app(redis_url: str) -> Flask:
    return create_app({"SECRET_KEY": "test", "REDIS_URL": redis_url})


def test_pause_all_banner_and_resume(
    page: Any, live_server: Callable[[Flask], str], redis_url: str, r: redis.Redis
) -> None:
    base = live_server(make_app(redis_url))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/workers")
    page.get_by_role("button", name="Pause all workers").click()
    banner = page.locator(".pause-banner")
    banner.get_by_text("Every worker is paused").wait_for()
    assert r.get(K.pause_all_workers) == "true"
    page.goto(f"{base}/failed")
    banner.get_by_text("Every worker is paused").wait_for()
    banner.get_by_role("button", name="Resume all workers").click()
    page.get_by_text("Resumed every worker.").wait_for()
    assert page.url == f"{base}/failed"
    assert page.locator(".pause-banner").count() == 0
    assert r.get(K.pause_all_workers) is None


def test_remove_a_stale_worker_and_all_stale(
    page: Any, live_server: Callable[[Flask], str], redis_url: str, r: redis.Redis
) -> None:
    for n in range(3):
        wid = f"dead-host:{n}:q"
        r.sadd(K.workers, wid)
        r.hset(K.heartbeats, wid, OLD)
    r.set(K.worker("dead-host:0:q"), '{"queue":"q","run_at":"2020-01-01T00:00:00Z",'
          '"payload":{"class":"Archive","args":[1]}}')  # fmt: skip
    base = live_server(make_app(redis_url))
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.goto(f"{base}/workers")
    row = page.locator("tr", has_text="dead-host:0")
    row.get_by_role("button", name="Remove").click()
    page.get_by_text("Removed 1 stale worker (dead-host:0:q)").wait_for()
    assert "Its job is recorded as a Resque::DirtyExit failure" in questions[0]
    assert not r.sismember(K.workers, "dead-host:0:q") and r.llen(K.failed) == 1
    page.get_by_role("button", name="Remove all stale").click()
    page.get_by_text("Removed 2 stale workers").wait_for()
    assert r.scard(K.workers) == 0
    page.goto(f"{base}/audit")
    assert page.locator("code.audit-action", has_text="workers.prune").count() == 2


def test_pause_a_queue_from_its_row(
    page: Any, live_server: Callable[[Flask], str], redis_url: str, r: redis.Redis
) -> None:
    Resque(r).enqueue_to("mailers", "Mail", 1)
    Resque(r).enqueue_to("reports", "Report", 1)
    base = live_server(make_app(redis_url))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/queues")
    page.locator("tr", has_text="mailers").get_by_role("button", name="Pause").click()
    page.get_by_text("Paused queue mailers.").wait_for()
    assert page.locator("tr", has_text="mailers").locator(".badge-paused").count() == 1
    assert page.locator("tr", has_text="reports").locator(".badge-paused").count() == 0
    assert r.get(K.queue_paused("mailers")) == "true"
    page.locator("tr", has_text="mailers").get_by_role("button", name="Resume").click()
    page.get_by_text("Resumed queue mailers.").wait_for()
    assert r.get(K.queue_paused("mailers")) is None
