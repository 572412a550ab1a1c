"""The dashboard in a real browser: tabs, paging, filtering, actions end to end (checked in
Redis), live polling, and the blueprint under a prefix behind a host app's login."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask, Response, redirect, request, session, url_for
from playwright.sync_api import expect

from resque_web.web import create_app, make_blueprint

pytestmark = pytest.mark.browser

Serve = Callable[[Flask], str]


@pytest.fixture
def base(ruby_data: redis.Redis, redis_url: str, live_server: Serve) -> str:
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0.3})
    return live_server(app)


def test_every_tab_renders(page: Any, base: str) -> None:
    page.goto(base + "/")
    assert page.url == base + "/overview"
    expected = {
        "Overview": "3 of 9 Workers Working",
        "Working": "3 of 9 Workers Working",
        "Failed": "120 failed jobs.",
        "Queues": "9 registered queues holding 2,024 jobs.",
        "Workers": "worker-01.prod.example.com",
        "Stats": "failed (counter)",
    }
    for tab, needle in expected.items():
        page.locator("nav.tabs").get_by_role("link", name=tab, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("nav.tabs li.current").inner_text() == tab
        assert needle in page.locator("#content").inner_text(), tab
    # The stylesheet loaded (no CSP or path problem): the top bar is dark, not transparent.
    color = page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert color == "rgb(34, 38, 46)"


def test_paging_jump_and_page_size(page: Any, base: str) -> None:
    page.goto(base + "/queues/default")
    nav = page.locator("nav.pagination").first
    nav.get_by_role("link", name="Next \u203a").click()
    assert page.url.endswith("/queues/default?page=2")
    nav = page.locator("nav.pagination").first
    nav.locator("input[name=page]").fill("30")
    nav.get_by_role("button", name="Go").click()
    page.wait_for_url(re.compile(r"page=30"))
    assert "581\u2013600 of 704" in page.locator("nav.pagination").first.inner_text()
    page.locator("nav.pagination").first.get_by_role("link", name="50", exact=True).click()
    page.wait_for_url(re.compile(r"per_page=50"))
    assert page.locator("table.jobs tbody tr").count() == 50
    page.locator("nav.pagination").first.get_by_role("link", name="Newest first").click()
    assert page.locator("table.jobs tbody tr td.num").first.inner_text() == "704"


def test_filter_failures_by_class_and_exception(page: Any, base: str, r: redis.Redis) -> None:
    records = [json.loads(x) for x in r.lrange("resque:failed", 0, -1)]
    ghosts = sum(1 for f in records if f["payload"]["class"] == "Ghost::MissingJob")
    page.goto(base + "/failed")
    page.locator("select[name=class]").select_option("Ghost::MissingJob")
    page.wait_for_url(re.compile(r"class=Ghost"))
    assert page.locator("b.total").inner_text() == str(ghosts)
    rows = page.locator("table.failures tbody tr")
    assert rows.count() == min(ghosts, 20)
    # Each row's exception is a link that narrows the filter further.
    exception = rows.first.locator("a.exception").inner_text()
    rows.first.locator("a.exception").click()
    page.wait_for_url(re.compile(r"exception="))
    assert page.locator("select[name=exception]").input_value() == exception
    page.get_by_role("link", name="Clear filter").click()
    assert page.locator("b.total").inner_text() == "120"


def test_retry_and_remove_one_failure(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/failed")
    first = page.locator("table.failures tbody tr").first
    index = int(first.get_attribute("id").removeprefix("failure-"))
    queue = json.loads(r.lindex("resque:failed", index) or "")["queue"]
    before = r.llen(f"resque:queue:{queue}")
    first.get_by_role("button", name="Retry").click()
    assert "Retried failure" in page.locator(".flash").inner_text()
    assert json.loads(r.lindex("resque:failed", index) or "").get("retried_at")
    assert r.llen(f"resque:queue:{queue}") == before + 1
    raw = r.lindex("resque:failed", index)
    page.locator("table.failures tbody tr").first.get_by_role("button", name="Remove").click()
    assert page.locator(".flash").inner_text().startswith("Removed failure")
    assert r.llen("resque:failed") == 119
    assert raw not in r.lrange("resque:failed", 0, -1)


def test_clear_queue_asks_first(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/queues/mailers")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Clear queue").click()
    assert r.llen("resque:queue:mailers") == 303
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clear queue").click()
    page.wait_for_selector(".flash")
    assert page.locator(".flash").inner_text() == "Cleared 303 jobs from mailers."
    assert r.llen("resque:queue:mailers") == 0
    assert r.sismember("resque:queues", "mailers")


def test_delete_one_job_and_remove_a_queue(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/queues/critical")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("table.jobs tbody tr").first.get_by_role("button", name="Delete").click()
    page.wait_for_selector(".flash")
    assert r.llen("resque:queue:critical") == 203
    page.get_by_role("button", name="Remove queue").click()
    page.wait_for_url(base + "/queues")
    assert "Removed queue critical" in page.locator(".flash").inner_text()
    assert not r.sismember("resque:queues", "critical")


def test_retry_all_and_clear_failures(page: Any, base: str, r: redis.Redis) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(base + "/failed?exception=Resque::DirtyExit")
    matching = int(page.locator("b.total").inner_text())
    page.get_by_role("link", name=re.compile(r"^Retry all matching")).click()
    page.get_by_role("button", name=re.compile(r"^Start: retry")).click()
    expect(page.locator(".op-status")).to_have_text("done")
    expect(page.locator(".op-message")).to_have_text(
        f"Finished: {matching} failure{'s' if matching != 1 else ''} retried matching "
        "exception=Resque::DirtyExit."
    )
    page.goto(base + "/failed")  # "Clear retried" is offered on the unfiltered list only
    page.get_by_role("button", name="Clear retried").click()
    page.wait_for_selector(".flash")
    left = [json.loads(x) for x in r.lrange("resque:failed", 0, -1)]
    assert len(left) < 120 - 24 and not any(f.get("retried_at") for f in left)
    page.goto(base + "/failed")
    page.get_by_role("link", name=re.compile(r"^Clear all")).click()
    page.get_by_role("button", name=re.compile(r"^Clear all")).click()
    page.wait_for_selector(".flash")
    assert r.llen("resque:failed") == 0
    assert "No failed jobs." in page.locator("#content").inner_text()


def test_live_poll_updates_counts_in_place(page: Any, base: str, r: redis.Redis) -> None:
    page.set_viewport_size({"width": 1000, "height": 400})
    page.goto(base + "/overview")
    critical = page.locator("table.queues tbody tr", has_text="critical").locator("td.num").first
    assert critical.inner_text() == "204"
    page.locator("#live-poll").check()
    page.evaluate("window.__sameDocument = true; window.scrollTo(0, 200)")
    r.rpush("resque:queue:critical", *['{"class":"Added","args":[]}'] * 5)
    expect(critical).to_have_text("209")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("window.scrollY") == 200  # scroll kept
    assert page.locator("#poll-status").inner_text().startswith("updated")
    # The toggle is remembered across pages.
    page.goto(base + "/queues")
    assert page.locator("#live-poll").is_checked()
    page.locator("#live-poll").uncheck()
    r.rpush("resque:queue:critical", '{"class":"Added","args":[]}')
    page.wait_for_timeout(900)
    assert "209" in page.locator("table.queues").inner_text()


def test_blueprint_under_a_prefix_behind_host_login(
    browser: Any, redis_url: str, ruby_data: redis.Redis, live_server: Serve, r: redis.Redis
) -> None:
    host = Flask("host")
    host.secret_key = "host-secret"

    @host.before_request
    def require_login() -> Response | None:
        if request.endpoint != "login" and not session.get("user"):
            return redirect(url_for("login", next=request.path))
        return None

    @host.route("/login", methods=["GET", "POST"])
    def login() -> Response | str:
        if request.method == "POST" and request.form.get("password") == "open sesame":
            session["user"] = request.form["user"]
            return redirect(request.args.get("next") or "/")
        return (
            '<form method="post"><input name="user"><input name="password" type="password">'
            '<button type="submit">Log in</button></form>'
        )

    host.register_blueprint(
        make_blueprint(redis_url=redis_url, poll_interval=0), url_prefix="/admin/resque"
    )
    base = live_server(host)
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(base + "/admin/resque/overview")
        assert "/login" in page.url
        page.fill("input[name=user]", "ops")
        page.fill("input[name=password]", "open sesame")
        page.click("button")
        page.wait_for_url(base + "/admin/resque/overview")
        assert "3 of 9 Workers Working" in page.inner_text("#content")
        assert not page.locator("#live-poll").count()  # polling turned off for this mount
        page.locator("nav.tabs").get_by_role("link", name="Queues", exact=True).click()
        page.wait_for_url(base + "/admin/resque/queues")  # a click does not wait for the load
        page.get_by_role("link", name="ünïcode-队列").click()
        page.wait_for_url(base + "/admin/resque/queues/%C3%BCn%C3%AFcode-%E9%98%9F%E5%88%97")
        page.on("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Clear queue").click()
        page.wait_for_selector(".flash")
        assert r.llen("resque:queue:ünïcode-队列") == 0
        color = page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
        assert color == "rgb(34, 38, 46)"  # the stylesheet came from /admin/resque/static
    finally:
        context.close()


def test_phone_width_in_dark_mode(browser: Any, base: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    try:
        for url in ("/overview", "/failed", "/queues/default", "/workers/all", "/stats/redis"):
            page.goto(base + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (url, width)  # tables scroll inside themselves, the page does not
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 22)"
    finally:
        context.close()


def test_live_poll_pauses_while_the_tab_is_hidden(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/queues")
    page.locator("#live-poll").check()
    expect(page.locator("#poll-status")).to_have_text(re.compile(r"^updated"))
    hide = "v => { Object.defineProperty(document, 'hidden', {value: v, configurable: true});"
    hide += " document.dispatchEvent(new Event('visibilitychange')); }"
    page.evaluate(hide, True)
    page.wait_for_timeout(400)  # let a fetch already under way land
    r.rpush("resque:queue:critical", '{"class":"Added","args":[]}')
    page.wait_for_timeout(1000)  # three intervals: nothing is fetched while hidden
    critical = page.locator("table.queues tbody tr", has_text="critical").locator("td.num").first
    assert critical.inner_text() == "204"
    page.evaluate(hide, False)  # back: polls at once
    expect(critical).to_have_text("205")
