"""``/delayed`` and ``/delayed/<timestamp>`` on what Ruby's resque-scheduler wrote: the
pages show exactly the fixture's delayed jobs, every action is POST only, authorized,
audited, refused in read-only mode or from another site, and acts on the job shown."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from resque_web.model.delayed import reads as delayed_reads

from .html import forms, links, parse, table_rows, text
from .posting import CROSS_SITE, app_with, authorizer, flash, form_for, post

CAPTURED = 1796329780
T0 = 1900000000
SAME_AT = T0 + 99999
SAME = '{"class":"Archive","args":[7,"same"],"queue":"file_serve"}'


@pytest.fixture(autouse=True)
def _data(ruby_plugins_data: redis.Redis) -> None:
    """Every test here reads the resque-scheduler fixture."""


def test_delayed_page_shows_rubys_schedule(client: FlaskClient) -> None:
    html = client.get("/delayed").data
    totals = parse(html).find("p", "delayed-totals").text()
    assert totals == "16 timestamps holding 25 delayed jobs."
    assert "2 timestamps are due: the oldest was due 2026-12-03 20:30:40 UTC" in text(html)
    rows = table_rows(html, "delayed")
    assert len(rows) == 16
    assert rows[0][:4] == [
        "2026-12-03 20:30:40 UTC " + rows[0][0].split(" UTC ")[1],
        "1",
        "Backoff",
        '["acct-9"]',
    ]
    assert rows[2][1:4] == ["2", "Archive and 1 more", '[0, "tar"]']
    assert rows[3][2:4] == ["Reports::Nightly", "[[1, 2.5, null]]"]
    assert rows[15][0].startswith("2030-03-18 21:33:19 UTC in ")
    assert rows[15][1:4] == ["3", "Archive and 2 more", '[7, "same"]']
    assert f"/delayed/{SAME_AT}" in links(html)


def test_beyond_the_timestamps_a_page_counts_jobs_are_counted_on_request(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delayed_reads, "PAGE_COUNT_LIMIT", 5)
    html = client.get("/delayed").data
    totals = parse(html).find("p", "delayed-totals")
    assert totals.text().startswith("16 timestamps holding delayed jobs: count them")
    assert totals.find("a", "count-jobs").attrs["href"] == "/delayed?count=1"
    html = client.get("/delayed?count=1").data
    assert parse(html).find("p", "delayed-totals").text() == (
        "16 timestamps holding 25 delayed jobs (counted just now)."
    )
    body = client.get("/api/v1/delayed").get_json()
    assert (body["jobs"], body["jobs_counted"], body["jobs_exact"]) == (1 + 2 + 2 + 1 + 1, 5, False)
    body = client.get("/api/v1/delayed?count=1").get_json()
    assert (body["jobs"], body["jobs_counted"], body["jobs_exact"]) == (25, 16, True)


def test_timestamp_page_shows_its_jobs(client: FlaskClient) -> None:
    html = client.get(f"/delayed/{SAME_AT}").data
    assert "Delayed jobs scheduled for 2030-03-18 21:33:19 UTC" in text(html)
    rows = table_rows(html, "delayed-jobs")
    assert [r[:4] for r in rows] == [
        [str(i), "Archive", '[7, "same"]', "file_serve"] for i in (1, 2, 3)
    ]
    rows = table_rows(client.get(f"/delayed/{T0}").data, "delayed-jobs")
    assert rows[1][1:4] == [
        "Billing::Charge",
        '[1000, {"cents": 1999, "note": "ünïcode 队列"}]',
        "critical",
    ]


def test_timestamp_pages_are_paged(client: FlaskClient) -> None:
    html = client.get(f"/delayed/{SAME_AT}?per_page=2&page=2").data
    assert [r[0] for r in table_rows(html, "delayed-jobs")] == ["3"]
    assert "3\u20133 of 3" in parse(html).find("nav", "pagination").text()


def test_unknown_and_malformed_timestamps(client: FlaskClient) -> None:
    for url in (f"/delayed/{T0 + 1}", "/delayed/tomorrow", "/delayed/1e9"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Delayed jobs" in [a.text() for a in parse(response.data).iter("a")]
    assert client.get("/api/v1/delayed/5").get_json()["status"] == 404


def test_corrupt_items_render(client: FlaskClient, r: redis.Redis) -> None:
    r.rpush(f"resque:delayed:{T0}", "not json <b>", "[1]", '{"class":"<script>x</script>"}')
    r.set(f"resque:delayed:{T0 + 7}", "not a list")
    r.zadd("resque:delayed_queue_schedule", {str(T0 + 7): T0 + 7})
    html = client.get("/delayed").data
    assert b"<b>" not in html.replace(b"<b class", b"")  # nothing unescaped
    row = next(r for r in table_rows(html, "delayed") if r[1] == "not a list")
    assert row[0].startswith("2030-03-17 17:46:47 UTC")
    detail = client.get(f"/delayed/{T0}")
    assert detail.status_code == 200
    rows = table_rows(detail.data, "delayed-jobs")
    assert rows[2][1:3] == ["(unknown) unreadable", "not json <b>"]
    assert rows[4][1] == "<script>x</script>"
    assert b"<script>x" not in detail.data


def test_search_by_class_and_args(client: FlaskClient) -> None:
    html = client.get("/delayed?class=billing").data
    rows = table_rows(html, "delayed-search-results")
    assert [r[2] for r in rows] == ["Billing::Charge"] * 6
    assert rows[0][3] == '[1000, {"cents": 1999, "note": "ünïcode 队列"}]'
    html = client.get('/delayed?args="same"').data
    assert [r[1] for r in table_rows(html, "delayed-search-results")] == ["1", "2", "3"]
    html = client.get("/delayed?class=nothing-like-it").data
    assert table_rows(html, "delayed-search-results") == [["No delayed job matches."]]
    assert client.get("/delayed?class=" + "x" * 201).status_code == 400


def test_search_pages_stop_at_what_they_show(client: FlaskClient) -> None:
    html = client.get("/delayed?class=archive&per_page=20").data
    assert len(table_rows(html, "delayed-search-results")) == 15
    html = client.get("/delayed?class=archive&per_page=5&page=2").data
    rows = table_rows(html, "delayed-search-results")
    assert [r[3] for r in rows] == [f'[{i}, "tar"]' for i in range(5, 10)]
    assert "there may be more" in parse(html).find("p", "search-summary").text()


def test_get_never_mutates(client: FlaskClient, r: redis.Redis) -> None:
    client.get("/delayed?action=clear")
    client.get(f"/delayed/{SAME_AT}?action=queue_now")
    assert r.zcard("resque:delayed_queue_schedule") == 16
    assert r.llen(f"resque:delayed:{SAME_AT}") == 3


def test_queue_one_job_now(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get(f"/delayed/{SAME_AT}").data
    form = form_for(html, "queue_job", index="1")
    response = post(client, form)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/delayed/{SAME_AT}?page=1&per_page=20"
    assert r.lrange("resque:queue:file_serve", 0, -1) == ['{"class":"Archive","args":[7,"same"]}']
    assert r.llen(f"resque:delayed:{SAME_AT}") == 2
    message = flash(client, response.headers["Location"])
    assert message == "Queued one Archive job on file_serve (was due 2030-03-18 21:33:19 UTC)."
    entry = client.get("/api/v1/audit").get_json()["items"][0]
    assert (entry["action"], entry["target"], entry["count"]) == (
        "delayed.enqueue",
        f"delayed:{SAME_AT}",
        1,
    )


def test_delete_one_job_then_the_time_is_gone(client: FlaskClient, r: redis.Redis) -> None:
    at = CAPTURED + 60
    form = form_for(client.get(f"/delayed/{at}").data, "remove")
    response = post(client, form)
    assert response.headers["Location"] == "/delayed"  # nothing left at that time
    assert not r.exists(f"resque:delayed:{at}")
    assert r.zscore("resque:delayed_queue_schedule", str(at)) is None
    assert not r.exists('resque:timestamps:{"class":"Backoff","args":["acct-9"],"queue":"flaky"}')
    assert "Deleted one delayed Backoff job" in flash(client, "/delayed")
    assert client.get("/api/v1/audit").get_json()["items"][0]["action"] == "delayed.remove"


def test_an_action_on_a_job_that_changed_is_refused(client: FlaskClient, r: redis.Redis) -> None:
    form = form_for(client.get(f"/delayed/{T0}").data, "remove", index="1")
    r.lset(f"resque:delayed:{T0}", 1, SAME)  # someone changed the item meanwhile
    response = post(client, form)
    assert "no longer there" in flash(client, response.headers["Location"])
    assert r.lrange(f"resque:delayed:{T0}", 0, -1)[1] == SAME
    assert client.get("/api/v1/audit").get_json()["items"] == []  # nothing done, nothing logged


def test_a_forged_index_or_digest_is_a_bad_request(client: FlaskClient, r: redis.Redis) -> None:
    for fields in ({"index": "-1", "digest": "0" * 40}, {"index": "0", "digest": "zz"}, {}):
        response = client.post(f"/delayed/{T0}", data={"action": "remove", **fields})
        assert response.status_code == 400
    assert client.post(f"/delayed/{T0}", data={"action": "explode"}).status_code == 400
    assert r.llen(f"resque:delayed:{T0}") == 2


def test_queue_a_whole_timestamp_from_the_list(client: FlaskClient, r: redis.Redis) -> None:
    form = form_for(client.get("/delayed").data, "queue_now", _action=f"/delayed/{CAPTURED + 600}")
    response = post(client, form)
    assert response.headers["Location"] == "/delayed"
    assert r.lrange("resque:queue:flaky", 0, -1) == [
        '{"class":"Flaky","args":[42,"x"]}',
        '{"class":"Flaky","args":[43,"y"]}',
    ]
    assert "Queued 2 jobs due at 2026-12-03 20:39:40 UTC." in flash(client, "/delayed")


def test_actions_from_search_results_return_to_the_search(
    client: FlaskClient, r: redis.Redis
) -> None:
    html = client.get("/delayed?class=billing&args=1004").data
    form = form_for(html, "remove")
    assert (form["from"], form["class"], form["args"]) == ("search", "billing", "1004")
    response = post(client, form)
    assert response.headers["Location"] == "/delayed?page=1&per_page=20&class=billing&args=1004"
    assert r.lrange(f"resque:delayed:{T0 + 4 * 3600}", 0, -1) == [
        '{"class":"Archive","args":[4,"tar"],"queue":"file_serve"}'
    ]


def test_clear_all_delayed(client: FlaskClient, r: redis.Redis) -> None:
    form = form_for(client.get("/delayed").data, "clear")
    response = post(client, form)
    assert response.headers["Location"] == "/delayed"
    assert r.zcard("resque:delayed_queue_schedule") == 0
    assert not [k for k in r.keys("resque:timestamps:*")]
    assert flash(client, "/delayed") == "Cleared 25 delayed jobs."
    entry = client.get("/api/v1/audit").get_json()["items"][0]
    assert (entry["action"], entry["count"]) == ("delayed.clear", 25)
    assert table_rows(client.get("/delayed").data, "delayed") == [["There are no delayed jobs."]]


def test_read_only_hides_and_refuses_actions(redis_url: str, r: redis.Redis) -> None:
    client = app_with(redis_url, RESQUE_WEB_READ_ONLY="1").test_client()
    for url in ("/delayed", f"/delayed/{T0}", "/delayed?class=archive"):
        assert forms(client.get(url).data) == [], url
    assert client.post("/delayed", data={"action": "clear"}).status_code == 403
    assert client.post(f"/delayed/{T0}", data={"action": "queue_now"}).status_code == 403
    assert r.zcard("resque:delayed_queue_schedule") == 16


def test_authorize_is_asked_for_each_delayed_action(redis_url: str, r: redis.Redis) -> None:
    asked, authorize = authorizer("view", "delayed.enqueue")
    client = app_with(redis_url, RESQUE_WEB_AUTHORIZE=authorize).test_client()
    html = client.get(f"/delayed/{T0}").data
    assert {f["action"] for f in forms(html)} == {"queue_now", "queue_job"}  # no Delete
    assert {"delayed.enqueue", "delayed.remove"} <= set(asked)
    assert "clear" not in {f["action"] for f in forms(client.get("/delayed").data)}
    assert client.post("/delayed", data={"action": "clear"}).status_code == 403
    digest = json.loads(client.get(f"/api/v1/delayed/{T0}").data)["items"][0]["digest"]
    refused = client.post(
        f"/delayed/{T0}", data={"action": "remove", "index": "0", "digest": digest}
    )
    assert refused.status_code == 403
    assert r.llen(f"resque:delayed:{T0}") == 2


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_cross_site_posts_are_refused(
    client: FlaskClient, r: redis.Redis, headers: dict[str, str]
) -> None:
    assert client.post("/delayed", data={"action": "clear"}, headers=headers).status_code == 403
    response = client.post(f"/delayed/{T0}", data={"action": "queue_now"}, headers=headers)
    assert response.status_code == 403
    assert r.zcard("resque:delayed_queue_schedule") == 16


def test_json_twins(client: FlaskClient) -> None:
    body = client.get("/api/v1/delayed?per_page=3").get_json()
    assert (body["timestamps"], body["jobs"], body["jobs_exact"], body["total"]) == (
        16,
        25,
        True,
        16,
    )
    assert (body["oldest"], body["oldest_at"]) == (CAPTURED + 60, "2026-12-03T20:30:40+00:00")
    assert body["due"] == 2 and body["lag_seconds"] > 0
    first = body["items"][0]
    assert first["timestamp"] == CAPTURED + 60 and first["size"] == 1
    assert first["first"]["class"] == "Backoff" and first["first"]["queue"] == "flaky"
    assert first["url"] == f"/api/v1/delayed/{CAPTURED + 60}"
    same = client.get(f"/api/v1/delayed/{SAME_AT}").get_json()
    assert [i["raw"] for i in same["items"]] == [SAME] * 3
    assert [i["index"] for i in same["items"]] == [0, 1, 2]
    assert same["at"] == "2030-03-18T21:33:19+00:00" and same["total"] == 3
    found = client.get("/api/v1/delayed?class=Billing&args=1002").get_json()
    assert [(i["timestamp"], i["index"]) for i in found["items"]] == [(T0 + 7200, 1)]
    assert found["complete"] and not found["more"]
    assert found["items"][0]["args"] == [1002, {"cents": 1999, "note": "ünïcode 队列"}]


def test_tabs_show_where_the_scheduler_is(redis_url: str, r: redis.Redis, tmp_path: Any) -> None:
    def nav(app: Flask) -> list[str]:
        html = app.test_client().get("/overview").data
        return [a.text() for a in parse(html).find("nav", "tabs").iter("a")]

    tabs = nav(app_with(redis_url))
    assert tabs.index("Stats") < tabs.index("Schedule") == tabs.index("Delayed") - 1
    r.flushdb()
    assert "Delayed" not in nav(app_with(redis_url))
    assert "Schedule" in nav(app_with(redis_url, RESQUE_WEB_SCHEDULER_TABS="on"))
    schedule = tmp_path / "schedule.yml"
    schedule.write_text("job:\n  every: 1h\n  class: A\n")
    assert "Delayed" in nav(app_with(redis_url, RESQUE_WEB_SCHEDULE_FILE=str(schedule)))
    r.set("resque:resque:resque_scheduler_master_lock", "h:1")
    assert "Delayed" not in nav(app_with(redis_url, RESQUE_WEB_SCHEDULER_TABS="off"))
    assert "Delayed" in nav(app_with(redis_url))
    with pytest.raises(ValueError, match="auto, on or off"):
        app_with(redis_url, RESQUE_WEB_SCHEDULER_TABS="sometimes")


def test_the_tab_is_current_on_its_pages(client: FlaskClient) -> None:
    html = client.get(f"/delayed/{T0}").data
    assert parse(html).find("nav", "tabs").find("li", "current").text() == "Delayed"
