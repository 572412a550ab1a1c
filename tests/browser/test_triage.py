"""Failure triage in a real browser, each flow checked in Redis: groups to a filtered list to
a group retry, composed filters, a chunked bulk run with progress, shift-click selection,
edit-and-retry, export download, and the audit page's undo."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from playwright.sync_api import expect

from resque_web.failure import FailedJob
from resque_web.model.bulk import BulkOperations
from resque_web.web import create_app
from tests.support.busy import busy_index

pytestmark = pytest.mark.browser

Serve = Callable[[Flask], str]
KEY = "resque:failed"


@pytest.fixture
def base(ruby_data: redis.Redis, redis_url: str, live_server: Serve) -> str:
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0})
    return live_server(app)


def failures(r: redis.Redis) -> list[FailedJob]:
    return [FailedJob(i, raw) for i, raw in enumerate(r.lrange(KEY, 0, -1))]


def test_groups_to_filtered_list_to_group_retry(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/failed")
    page.get_by_role("link", name="Groups", exact=True).click()
    page.wait_for_url(re.compile(r"/failed/groups"))
    first = page.locator("table.groups tbody tr.group").first
    count = int(first.locator("a.group-count").inner_text())
    first.locator("a.group-count").click()
    page.wait_for_url(re.compile(r"/failed\?group="))
    assert int(page.locator("b.total").inner_text()) == count
    assert page.locator("table.failures tbody tr").count() == min(count, 20)
    group = page.url.split("group=")[1]
    page.goto(base + "/failed/groups")
    page.locator(f"#group-{group}").get_by_role("link", name="Retry\u2026").click()
    expect(page.locator(".preview-count")).to_have_text(str(count))
    page.get_by_role("button", name=re.compile(r"^Start: retry")).click()
    expect(page.locator(".op-status")).to_have_text("done")
    expect(page.locator(".op-done")).to_have_text(str(count))
    retried = [f for f in failures(r) if f.group == group and f.retried]
    assert len(retried) == count


def test_filters_compose_in_the_url(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/failed")
    page.locator("select[name=queue]").select_option("default")
    page.wait_for_url(re.compile(r"queue=default"))
    page.locator("select[name=retried]").select_option("no")
    page.wait_for_url(re.compile(r"retried=no"))
    page.locator("form.filters input[name=q]").fill("not found")
    page.locator("form.filters input[name=q]").press("Enter")
    page.wait_for_url(re.compile(r"q=not"))
    truth = [
        f
        for f in failures(r)
        if f.queue == "default" and not f.retried and "not found" in f.error.lower()
    ]
    assert truth
    assert int(page.locator("b.total").inner_text()) == len(truth)
    page.reload()  # bookmarkable: the URL alone rebuilds the view
    assert page.locator("select[name=queue]").input_value() == "default"
    assert page.locator("form.filters input[name=q]").input_value() == "not found"
    assert "since=" not in page.url  # empty fields stay out of the URL


def test_bulk_runs_in_chunks_with_progress(
    page: Any, base: str, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One 500-record chunk per step, so the progress is drawn on the way however fast the
    # machine is (with the default 0.5 s budget an idle machine finishes in one step).
    monkeypatch.setattr(BulkOperations.step, "__defaults__", (0.0,))
    record = {"failed_at": "2026/11/27 17:05:08 UTC", "exception": "Bulk::Error", "queue": "bulk"}
    r.rpush(
        KEY,
        *[
            json.dumps({**record, "payload": {"class": "Bulk", "args": [i]}, "error": f"e{i}"})
            for i in range(4000)
        ],
    )
    page.goto(base + "/failed?exception=Bulk::Error")
    page.get_by_role("link", name=re.compile(r"^Retry all matching")).click()
    assert (
        "Retry 4,000 failures matching exception=Bulk::Error"
        in page.locator(".preview").inner_text()
    )
    page.get_by_role("button", name=re.compile(r"^Start")).click()
    page.wait_for_url(re.compile(r"/failed/bulk/\w+$"))
    seen = set()
    for _ in range(200):
        seen.add(page.locator(".bulk-progress").get_attribute("value"))
        if page.locator(".op-status").inner_text() == "done":
            break
        page.wait_for_timeout(20)
    expect(page.locator(".op-status")).to_have_text("done")
    assert page.locator(".bulk-progress").get_attribute("value") == "1000"
    assert len(seen) >= 2  # progress was drawn on the way
    expect(page.locator(".op-message")).to_contain_text("4,000 failures retried")
    assert r.llen("resque:queue:bulk") == 4000


def test_shift_click_selects_a_range_and_acts(page: Any, base: str, r: redis.Redis) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(base + "/failed")
    boxes = page.locator("input.select-row")
    values = [boxes.nth(i).get_attribute("value") for i in range(5)]
    boxes.nth(1).click()
    boxes.nth(4).click(modifiers=["Shift"])
    expect(page.locator(".selected-count")).to_have_text("4 selected")
    page.get_by_role("button", name="Remove selected").click()
    expect(page.locator(".flash")).to_have_text("Removed 4 selected failures.")
    left = {f.digest for f in failures(r)}
    assert r.llen(KEY) == 116
    assert values[0].split(":")[1] in left  # the unticked row stayed
    assert not any(v.split(":")[1] in left for v in values[1:])
    page.locator("input.select-all").check()
    expect(page.locator(".selected-count")).to_have_text("20 selected")
    page.get_by_role("button", name="Retry selected").click()
    expect(page.locator(".flash")).to_contain_text("Retried")


def test_edit_args_then_retry(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/failed?queue=default")
    row = page.locator("table.failures tbody tr").first
    index = int(row.get_attribute("id").split("-")[1])
    row.get_by_role("link", name="Edit").click()
    page.locator("textarea[name=args]").fill("[1, ")
    page.get_by_role("button", name="Retry with these arguments").click()
    expect(page.locator(".edit-error")).to_contain_text("not valid JSON")
    # Refused with 400 (issue 10), which Chromium reports on the console.
    page.console_errors.remove(
        "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    )
    page.locator("textarea[name=args]").fill('["edited", 2]')
    page.get_by_role("button", name="Retry with these arguments").click()
    page.wait_for_url(re.compile(r"/failed$"))
    assert json.loads(r.lindex("resque:queue:default", -1))["args"] == ["edited", 2]
    assert json.loads(r.lindex(KEY, index))["payload"]["args"] == ["edited", 2]


def test_export_downloads_the_filtered_set(page: Any, base: str, r: redis.Redis) -> None:
    page.goto(base + "/failed?exception=KeyError")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export NDJSON").click()
    with open(info.value.path(), encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == sum(1 for f in failures(r) if f.exception == "KeyError")
    assert all(json.loads(x)["exception"] == "KeyError" for x in lines)


def test_audit_page_restores_a_clear(page: Any, base: str, r: redis.Redis) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    before = sorted(r.lrange(KEY, 0, -1))
    page.goto(base + "/failed")
    page.get_by_role("link", name=re.compile(r"^Clear all")).click()
    page.get_by_role("button", name="Clear all 120").click()
    expect(page.locator(".flash")).to_have_text("Cleared 120 failures.")
    assert r.llen(KEY) == 0
    page.locator("nav.tabs").get_by_role("link", name="Audit").click()
    entry = page.locator("table.audit tbody tr").first
    expect(entry.locator(".audit-action")).to_have_text("failed.clear")
    entry.get_by_role("button", name="Restore 120").click()
    expect(page.locator(".flash")).to_have_text("Restored 120 failures to failed.")
    assert sorted(r.lrange(KEY, 0, -1)) == before
    expect(page.locator("table.audit tbody tr").first.locator(".audit-action")).to_have_text(
        "failed.restore"
    )


def test_a_counting_page_refreshes_itself_until_the_counts_are_in(
    page: Any, redis_url: str, r: redis.Redis, live_server: Serve
) -> None:
    """While the failure index catches up, /failed says so and shows no counts; it reloads
    its content by itself (live polling off) and shows them once the index is done."""
    app = create_app({"REDIS_URL": redis_url, "SECRET_KEY": "t", "RESQUE_WEB_POLL_INTERVAL": 0})
    base = live_server(app)
    r.rpush(KEY, *[json.dumps({"payload": {"class": "Mailer", "args": [i]}}) for i in range(50)])
    index = busy_index(app)
    with index._lock:  # a rebuild under way in another thread
        page.goto(base + "/failed")
        expect(page.locator("p.counting")).to_contain_text("Counting failures: 50 of 50")
        assert page.locator("select[name=class] option", has_text="Mailer (50)").count() == 0
    expect(page.locator("p.counting")).to_have_count(0)
    expect(page.locator("select[name=class] option", has_text="Mailer (50)")).to_have_count(1)
