"""``/retry``, ``/retry/<timestamp>`` and ``/api/v1/retry`` on what Ruby's resque-retry wrote
(the shared fixture: Flaky [42,"x"] and [43,"y"] waiting 600 s, Backoff ["acct-9"] on its
second retry): the rows join each delayed retry to its attempt key and last error; the
actions are POST only, authorized, audited, refused in read-only mode or from another
site, and act on the job shown. Failed rows of jobs still retrying show their count."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from resque_web import JobRegistry, Keys, Resque, Retry
from resque_web.model import Dashboard, Retries
from resque_web.retry import retry_identifier
from tests.support.roundtrips import count_redis

from .html import forms, parse, table_rows
from .posting import CROSS_SITE, app_with, authorizer, flash, form_for, post

CAPTURED = 1796329780
FLAKY_AT = CAPTURED + 600
BACKOFF_AT = CAPTURED + 60
T0 = 1900000000


def key(name: str, *args: Any) -> str:
    return "resque:" + Keys.retry_name(name, retry_identifier(list(args)))


FLAKY_42 = key("Flaky", 42, "x")
FLAKY_43 = key("Flaky", 43, "y")


@pytest.fixture(autouse=True)
def _data(ruby_plugins_data: redis.Redis) -> None:
    """Every test here reads the resque-retry fixture."""


def test_the_retry_page_lists_rubys_retries(client: FlaskClient) -> None:
    html = client.get("/retry").data
    summary = parse(html).find("p", "retry-summary").text()
    assert summary.startswith("3 jobs waiting to retry among 25 delayed jobs.")
    rows = table_rows(html, "retries")
    assert [r[1:5] for r in rows] == [
        ["Backoff", '["acct-9"]', "flaky", "retry 2"],
        ["Flaky", '[42, "x"]', "flaky", "retry 1"],
        ["Flaky", '[43, "y"]', "flaky", "retry 1"],
    ]
    assert rows[0][0].startswith("2026-12-03 20:30:40 UTC")
    assert rows[1][0].startswith("2026-12-03 20:39:40 UTC")
    assert rows[0][5].startswith("Timeout::Error")
    assert "slow upstream" in rows[0][5] and "Backtrace (8 lines)" in rows[0][5]
    assert 'upstream down ([42, "x"])' in rows[1][5]
    assert {f["action"] for f in forms(html)} == {"retry_now", "remove"}


def test_one_time_shows_every_job_with_its_retry_state(client: FlaskClient) -> None:
    rows = table_rows(client.get(f"/retry/{FLAKY_AT}").data, "retries")
    assert [r[1:5] for r in rows] == [
        ["Flaky", '[42, "x"]', "flaky", "retry 1"],
        ["Flaky", '[43, "y"]', "flaky", "retry 1"],
    ]
    html = client.get(f"/retry/{T0}").data  # Archive and Billing::Charge: not retries
    rows = table_rows(html, "retries")
    assert [r[4] for r in rows] == ["normal delayed job"] * 2
    assert forms(html) == []


def test_unknown_and_malformed_times(client: FlaskClient) -> None:
    for url in (f"/retry/{T0 + 1}", "/retry/tomorrow", "/retry/1e9", "/api/v1/retry/x"):
        response = client.get(url)
        assert response.status_code == 404, url
    assert client.get(f"/api/v1/retry/{T0 + 1}").get_json()["status"] == 404


def test_retry_now_enqueues_that_job_and_keeps_its_count(
    client: FlaskClient, r: redis.Redis
) -> None:
    form = form_for(client.get("/retry").data, "retry_now", index="1", _action=f"/retry/{FLAKY_AT}")
    assert form["from"] == "list"
    response = post(client, form)
    assert (
        response.status_code == 303 and response.headers["Location"] == "/retry?page=1&per_page=20"
    )
    assert r.lrange("resque:queue:flaky", 0, -1) == ['{"class":"Flaky","args":[43,"y"]}']
    assert r.lrange(f"resque:delayed:{FLAKY_AT}", 0, -1) == [
        '{"class":"Flaky","args":[42,"x"],"queue":"flaky"}'
    ]
    assert r.get(FLAKY_43) == "0"  # still that retry: the worker counts it
    assert "Queued one Flaky job on flaky" in flash(client, "/retry")
    entry = client.get("/api/v1/audit").get_json()["items"][0]
    assert (entry["action"], entry["target"], entry["count"]) == (
        "retry.enqueue",
        f"delayed:{FLAKY_AT}",
        1,
    )


def test_remove_deletes_the_job_and_both_keys(client: FlaskClient, r: redis.Redis) -> None:
    form = form_for(client.get(f"/retry/{FLAKY_AT}").data, "remove", index="0")
    response = post(client, form)
    assert response.headers["Location"] == f"/retry/{FLAKY_AT}?page=1&per_page=20"
    assert not r.exists(FLAKY_42) and not r.exists(
        FLAKY_42.replace(":resque-retry", ":failure-resque-retry")
    )
    assert not r.exists('resque:timestamps:{"class":"Flaky","args":[42,"x"],"queue":"flaky"}')
    assert r.lrange(f"resque:delayed:{FLAKY_AT}", 0, -1) == [
        '{"class":"Flaky","args":[43,"y"],"queue":"flaky"}'
    ]
    assert r.get(FLAKY_43) == "0"  # the other job is untouched
    assert "Removed the retry of Flaky due at 2026-12-03 20:39:40 UTC" in flash(
        client, response.headers["Location"]
    )
    assert client.get("/api/v1/audit").get_json()["items"][0]["action"] == "retry.remove"
    # The last job of a time: back to the list, the time gone.
    form = form_for(client.get(f"/retry/{FLAKY_AT}").data, "remove", index="0")
    assert post(client, form).headers["Location"] == "/retry"
    assert r.zscore("resque:delayed_queue_schedule", str(FLAKY_AT)) is None


def test_an_action_on_a_job_that_changed_changes_nothing(
    client: FlaskClient, r: redis.Redis
) -> None:
    form = form_for(client.get(f"/retry/{FLAKY_AT}").data, "remove", index="0")
    r.lset(f"resque:delayed:{FLAKY_AT}", 0, '{"class":"Flaky","args":[1,"z"],"queue":"flaky"}')
    response = post(client, form)
    assert "no longer there" in flash(client, response.headers["Location"])
    assert r.get(FLAKY_42) == "0" and r.llen(f"resque:delayed:{FLAKY_AT}") == 2
    assert client.get("/api/v1/audit").get_json()["items"] == []


def test_bad_requests(client: FlaskClient, r: redis.Redis) -> None:
    for fields in ({"index": "-1", "digest": "0" * 40}, {"index": "0", "digest": "zz"}, {}):
        response = client.post(f"/retry/{FLAKY_AT}", data={"action": "remove", **fields})
        assert response.status_code == 400
    assert client.post(f"/retry/{FLAKY_AT}", data={"action": "explode"}).status_code == 400
    assert client.post("/retry", data={"action": "remove"}).status_code == 405
    client.get(f"/retry/{FLAKY_AT}?action=remove&index=0")  # GET never acts
    assert r.llen(f"resque:delayed:{FLAKY_AT}") == 2 and r.exists(FLAKY_42)


def test_read_only_hides_and_refuses_actions(redis_url: str, r: redis.Redis) -> None:
    client = app_with(redis_url, RESQUE_WEB_READ_ONLY="1").test_client()
    for url in ("/retry", f"/retry/{FLAKY_AT}"):
        assert forms(client.get(url).data) == [], url
    digest = client.get("/api/v1/retry").get_json()["items"][1]["digest"]
    data = {"action": "remove", "index": "0", "digest": digest}
    assert client.post(f"/retry/{FLAKY_AT}", data=data).status_code == 403
    assert r.exists(FLAKY_42)


def test_authorize_is_asked_for_each_retry_action(redis_url: str, r: redis.Redis) -> None:
    asked, authorize = authorizer("view", "retry.enqueue")
    client = app_with(redis_url, RESQUE_WEB_AUTHORIZE=authorize).test_client()
    html = client.get("/retry").data
    assert {f["action"] for f in forms(html)} == {"retry_now"}
    assert {"retry.enqueue", "retry.remove"} <= set(asked)
    digest = client.get("/api/v1/retry").get_json()["items"][1]["digest"]
    data = {"action": "remove", "index": "0", "digest": digest}
    assert client.post(f"/retry/{FLAKY_AT}", data=data).status_code == 403
    assert r.exists(FLAKY_42) and r.llen(f"resque:delayed:{FLAKY_AT}") == 2


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_cross_site_posts_are_refused(
    client: FlaskClient, r: redis.Redis, headers: dict[str, str]
) -> None:
    digest = client.get("/api/v1/retry").get_json()["items"][1]["digest"]
    data = {"action": "remove", "index": "0", "digest": digest}
    assert client.post(f"/retry/{FLAKY_AT}", data=data, headers=headers).status_code == 403
    assert r.exists(FLAKY_42)


def test_json_twin(client: FlaskClient) -> None:
    body = client.get("/api/v1/retry").get_json()
    assert (body["complete"], body["total"], body["read"], body["more"]) == (True, 3, 25, False)
    backoff, flaky, _ = body["items"]
    assert backoff["timestamp"] == BACKOFF_AT and backoff["at"] == "2026-12-03T20:30:40+00:00"
    assert (backoff["attempts"], backoff["retry"], backoff["retry_limit"]) == (1, 2, None)
    assert backoff["retry_key"] == key("Backoff", "acct-9").removeprefix("resque:")
    assert backoff["last_error"]["exception"] == "Timeout::Error"
    assert backoff["last_error"]["failed_at"] == "2026-12-03T20:29:40+00:00"
    assert flaky["raw"] == '{"class":"Flaky","args":[42,"x"],"queue":"flaky"}'
    assert flaky["args"] == [42, "x"] and flaky["queue"] == "flaky" and flaky["index"] == 0
    page = client.get("/api/v1/retry?per_page=1&page=2").get_json()
    assert [i["args"] for i in page["items"]] == [[42, "x"]] and page["more"]
    one = client.get(f"/api/v1/retry/{T0}").get_json()
    assert [i["attempts"] for i in one["items"]] == [None, None] and one["total"] == 2


def test_corrupt_values_render(client: FlaskClient, r: redis.Redis) -> None:
    r.set(FLAKY_42.replace(":resque-retry", ":failure-resque-retry"), "not json <b>")
    r.set(FLAKY_43, "<i>garbage</i>")
    r.rpush(f"resque:delayed:{FLAKY_AT}", "not json", '{"class":"<script>x</script>","args":[]}')
    r.set(key("<script>x</script>"), "2")
    html = client.get("/retry").data
    assert client.get("/retry").status_code == 200 and b"<script>x" not in html
    rows = table_rows(html, "retries")
    assert rows[1][5].startswith("unreadable") and rows[2][4] == "retry 1"
    assert rows[3][1:5] == ["<script>x</script>", "[]", "", "retry 3"]
    assert client.get(f"/retry/{FLAKY_AT}").status_code == 200
    assert client.get("/api/v1/retry").status_code == 200


def test_the_tab_shows_where_retries_are(redis_url: str, r: redis.Redis) -> None:
    def nav(app: Flask) -> list[str]:
        html = app.test_client().get("/overview").data
        return [a.text() for a in parse(html).find("nav", "tabs").iter("a")]

    assert "Retry" in nav(app_with(redis_url))
    r.flushdb()
    assert "Retry" not in nav(app_with(redis_url))
    assert app_with(redis_url).test_client().get("/retry").status_code == 200  # it answers
    r.set("resque:resque-retry:Ruby::Job", "0")  # a job running its first attempt
    assert "Retry" in nav(app_with(redis_url))


def test_the_tab_costs_no_round_trip_once_known(redis_url: str) -> None:
    client = app_with(redis_url).test_client()
    client.get("/overview")
    bp = client.application.blueprints["resque_web"]
    (tab,) = [t for t in bp.tabs if t.name == "retry"]
    with client.application.test_request_context("/overview"), count_redis() as tally:
        assert tab.shown()
    assert tally.round_trips == 0


def test_failed_rows_of_jobs_still_retrying_show_their_count(
    client: FlaskClient, r: redis.Redis
) -> None:
    """With the plain Redis backend every failed attempt is a record; while the job still
    has an attempt key, its Failed row says how many retries it has had."""
    r.set(key("Hopeless", 1), "2")
    html = client.get("/failed").data
    badges = parse(html).find_all("a", "retry-attempts")
    assert [b.text() for b in badges] == ["2 retries so far"]
    assert badges[0].attrs["href"] == "/retry"
    row = parse(html).find("tr", id="failure-0")
    assert "Hopeless" in row.text() and "2 retries so far" in row.text()


def test_failed_pages_read_attempts_in_one_round_trip_and_only_when_in_use(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(30):
        r.rpush("resque:failed", json.dumps({"payload": {"class": "Flaky", "args": [i, "z"]}}))
    d = Dashboard(Resque(r))
    page = d.failures.page(None, 1, 20, True)
    r.set(key("Flaky", 29, "z"), "4")  # the newest failure, index 31
    r.set(key("Flaky", 0, "z"), "4")  # not on the page
    with count_redis() as tally:
        assert d.retries.attempts_for(page.items) == {31: 4}
    assert (tally.round_trips, tally.command_names) == (1, ["MGET"])
    asked: list[int] = []
    real = Retries.attempts_for

    def spy(self: Retries, failures: Any) -> dict[int, int]:
        asked.append(1)
        return real(self, failures)

    monkeypatch.setattr(Retries, "attempts_for", spy)
    app_with(redis_url).test_client().get("/failed")
    assert asked == [1]
    r.flushdb()
    r.rpush("resque:failed", json.dumps({"payload": {"class": "Flaky", "args": [1]}}))
    assert app_with(redis_url).test_client().get("/failed").status_code == 200
    assert asked == [1]  # retries not in use: no read at all


def test_a_scan_stops_at_its_budget(r: redis.Redis) -> None:
    retries = Retries(Resque(r))
    scan = retries.waiting(10, budget=20, chunk=7)
    assert (scan.complete, scan.read, [row.job.class_name for row in scan.rows]) == (
        False,
        20,
        ["Backoff", "Flaky", "Flaky"],
    )
    scan = retries.waiting(2, chunk=1)
    assert (scan.complete, scan.more, len(scan.rows)) == (False, True, 2)
    assert retries.waiting(10).total == 3


def test_a_class_registered_here_gives_its_own_key_and_limit(r: redis.Redis) -> None:
    local = JobRegistry()

    @local.register("Flaky")
    class Flaky(Retry):
        queue = "flaky"
        retry_limit = 3

    @local.register("Backoff")
    class Backoff:  # registered here, but not a retry job: no retry state is shown
        queue = "flaky"

    d = Dashboard(Resque(r))
    retries = Retries(d.resque, d.delayed, registry=local)
    rows = retries.waiting(10).rows
    assert [(row.job.class_name, row.retry_number, row.limit) for row in rows] == [
        ("Flaky", 1, 3),
        ("Flaky", 1, 3),
    ]
    assert retries.in_use()
