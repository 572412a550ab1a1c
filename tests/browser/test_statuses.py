"""Job status in a real browser with a real worker process performing the job: the example
host app's progress bar goes from 0 to 100 %, and the dashboard's status page refreshes
itself until the job is done, then stops (no inline script or style: any CSP violation
fails the test through the ``page`` fixture)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask

import resque_web.client
from examples.status_app.app import create_app as create_example
from examples.status_app.jobs import MakeThumbnails
from resque_web import Resque
from resque_web.status import StatusStore
from resque_web.web import create_app
from tests.support.worker import RunningWorker, wait_until

pytestmark = pytest.mark.browser

Serve = Callable[[Flask], str]


def watch(page: Any, selector: str, until: Callable[[], bool], timeout: float = 30) -> list[int]:
    """The values a <progress> shows, sampled until ``until()`` (deduplicated in order)."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = until()  # before reading the bar: the bar is drawn before the state is
        value = int(float(page.eval_on_selector(selector, "e => e.value")))
        if not seen or seen[-1] != value:
            seen.append(value)
        if done:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"timed out; the bar showed {seen}")


def test_the_example_apps_progress_bar_goes_from_0_to_100(
    page: Any,
    redis_url: str,
    r: redis.Redis,
    live_server: Serve,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resque_web.client, "_default", None)  # the example configures it
    base = live_server(create_example(redis_url, THUMBNAIL_STEPS=6, THUMBNAIL_PAUSE=0.4))
    page.goto(base + "/")
    page.click("#start")
    page.wait_for_url(f"{base}/thumbnails/*")
    uuid = page.url.rsplit("/", 1)[1]
    # No worker yet: the page has polled and shows the queued job at 0 %.
    page.wait_for_function("document.getElementById('state').textContent === 'queued'")
    assert page.eval_on_selector("#progress", "e => e.value") == 0
    with RunningWorker(redis_url, "thumbnails", "-r", "examples.status_app.jobs") as worker:
        seen = watch(
            page,
            "#progress",
            lambda: page.eval_on_selector("#state", "e => e.textContent") == "completed",
        )
        assert "Exiting" not in worker.log()
    assert seen[0] == 0 and seen[-1] == 100, seen
    assert seen == sorted(seen), seen
    assert any(0 < v < 100 for v in seen), seen  # it moved, not just jumped to done
    assert page.inner_text("#percent") == "100%"
    assert page.get_attribute("#result-link", "href") == "/thumbnails/42.png"
    found = StatusStore(Resque(r)).get(uuid)
    assert found is not None and found.status == "completed" and found.num == 6


def test_the_dashboards_status_page_follows_a_running_job(
    page: Any,
    redis_url: str,
    r: redis.Redis,
    live_server: Serve,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0})
    base = live_server(app)
    monkeypatch.setattr(MakeThumbnails, "resque", Resque(r))
    uuid = MakeThumbnails.create(photo=7, steps=8, pause=0.5)
    page.goto(f"{base}/statuses/{uuid}")
    assert page.locator(".status-holder[data-live]").count() == 1
    assert page.inner_text(".status-holder .state") == "queued"
    page.goto(f"{base}/statuses")
    assert page.locator("nav.tabs li.current").inner_text() == "Statuses"
    page.goto(f"{base}/statuses/{uuid}")
    with RunningWorker(redis_url, "thumbnails", "-r", "examples.status_app.jobs"):
        seen = watch(
            page,
            ".status-holder progress",
            lambda: page.locator(".status-holder .state").inner_text() == "completed",
        )
    # The page refreshed itself (no live-poll toggle: poll interval 0) and then stopped.
    assert seen[0] == 0 and seen[-1] == 100 and any(0 < v < 100 for v in seen), seen
    assert page.locator(".status-holder[data-live]").count() == 0
    assert "/thumbnails/7.png" in page.inner_text("table.details")
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    time.sleep(2)  # longer than the refresh period: no more requests once it is done
    assert requests == []
    wait_until(lambda: r.get("resque:stat:processed") == "1", what="the worker's count")
