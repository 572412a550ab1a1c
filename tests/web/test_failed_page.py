"""The failure list's weight and its row actions: one form for every row's Retry and
Remove (each button names its failure by position and digest), backtraces bounded in
the page and whole behind a plain link; every action still identity-checked, CSRF-checked,
authorized, audit-logged and hidden in read-only mode."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from flask import Flask, Request
from flask.testing import FlaskClient

from resque_web.failure import FailedJob
from resque_web.web import create_app

from .html import button_posts, parse

KEY = "resque:failed"
# 20 rows whose backtraces are 50 frames of 250 characters and whose messages are 2,000
# characters: the page quoted up to 10,000 characters of each and two forms a row (283 KB);
# now a bounded preview and two buttons of one shared form a row (58 KB). /workers/all
# weighs 58 KB on the BIG state.
PAGE_BUDGET = 60_000
TRACE_LINES = 3  # the first lines a row shows


def frame(n: int) -> str:
    return f"/srv/app/{n:02d}/vendor/bundle/ruby/3.1.0/gems/" + "g" * 200 + f".rb:{n}:in `find'"


def record(n: int, lines: int = 50, message: int = 60) -> dict[str, Any]:
    return {
        "failed_at": "2026/11/27 17:05:08 UTC",
        "payload": {"class": "Billing::ChargeJob", "args": [n, {"account": f"acct-{n}"}]},
        "exception": "ActiveRecord::RecordNotFound",
        "error": f"Couldn't find User with 'id'={n} " + "m" * max(0, message - 40),
        "backtrace": [frame(i) for i in range(lines)],
        "worker": "web-1.example.com:4242:critical,default,mailers",
        "queue": "critical",
    }


def app_with(redis_url: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "t", "REDIS_URL": redis_url, **config})


def ready(client: FlaskClient, url: str = "/failed") -> bytes:
    """The page once the failure index is current (it shows counts, not "Counting")."""
    for _ in range(100):
        body = client.get(url).data
        if b"data-counting" not in body:
            return body
    raise AssertionError("the failure index never caught up")


def stored(r: redis.Redis) -> list[FailedJob]:
    return [FailedJob(i, raw) for i, raw in enumerate(r.lrange(KEY, 0, -1))]


def flash(client: FlaskClient) -> str:
    return " ".join(p.text() for p in parse(client.get("/failed").data).find_all("p", "flash"))


def audit(client: FlaskClient) -> list[dict[str, Any]]:
    return client.get("/api/v1/audit").get_json()["items"]


def test_twenty_rows_with_large_backtraces_stay_within_budget(
    client: FlaskClient, r: redis.Redis
) -> None:
    r.rpush(KEY, *[json.dumps(record(n, message=2000)) for n in range(40)])
    body = ready(client)
    assert len(parse(body).find("table", "failures").find_all("tr", "failure")) == 20
    assert len(body) < PAGE_BUDGET, len(body)
    # Bounded, not dropped: each row names its backtrace's length and shows its first lines.
    html = body.decode()
    assert html.count("Backtrace (50 lines)") == 20
    assert html.count(frame(0)[:120]) == 20 and frame(TRACE_LINES)[:120] not in html


def test_the_whole_backtrace_is_a_plain_link_away(client: FlaskClient, r: redis.Redis) -> None:
    r.rpush(KEY, json.dumps(record(7, lines=12, message=900)))
    page = parse(ready(client))
    details = page.find("details", "backtrace")
    assert details.find("summary").text() == "Backtrace (12 lines)"
    assert details.find("pre").text().count("…") == TRACE_LINES  # each cut at 120
    assert "9 more lines: the whole message and backtrace" in details.text()
    (link,) = page.find_all("a", "whole-record")  # the message was cut at 300 too
    response = client.get(link.attrs["href"])  # no script: a GET of the stored record
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert json.loads(response.data) == record(7, lines=12, message=900)


def test_one_form_carries_every_rows_actions(client: FlaskClient, r: redis.Redis) -> None:
    r.rpush(KEY, *[json.dumps(record(n, lines=4)) for n in range(5)])
    page = parse(ready(client))
    (shared,) = page.find_all("form", id="row-actions")
    assert shared.attrs["method"] == "post" and shared.attrs["action"] == "/failed"
    buttons = [b for b in page.iter("button") if b.attrs.get("form") == "row-actions"]
    assert sorted(b.attrs["name"] for b in buttons) == ["remove"] * 5 + ["retry"] * 5
    truth = {f"{f.position}:{f.digest}" for f in stored(r)}
    assert {b.attrs["value"] for b in buttons} == truth  # position and SHA-1 of each row
    assert len([f for f in page.iter("form") if f.attrs.get("method") == "post"]) == 3


def test_a_row_button_acts_on_exactly_that_failure_and_is_logged(
    client: FlaskClient, r: redis.Redis
) -> None:
    r.rpush(KEY, *[json.dumps(record(n, lines=4)) for n in range(5)])
    posts = button_posts(ready(client))
    retry = next(p for p in posts if "retry" in p)
    position = int(retry["retry"].partition(":")[0])
    response = client.post(retry.pop("_action"), data=retry)
    assert response.status_code == 303
    assert response.headers["Location"] == "/failed?page=1&per_page=20&order=newest"
    assert json.loads(r.lindex(KEY, position) or "")["retried_at"]
    assert r.llen("resque:queue:critical") == 1
    assert audit(client)[0]["action"] == "failed.retry"
    # Remove the row the page showed; a second press finds it gone and touches nothing.
    remove = next(p for p in button_posts(ready(client)) if "remove" in p)
    gone = r.lindex(KEY, int(remove["remove"].partition(":")[0]))
    action = remove.pop("_action")
    assert client.post(action, data=remove).status_code == 303
    assert r.llen(KEY) == 4 and gone not in r.lrange(KEY, 0, -1)
    client.post(action, data=remove)
    assert r.llen(KEY) == 4
    assert "no longer in the list" in flash(client)
    assert [e["action"] for e in audit(client)[:2]] == ["failed.remove", "failed.remove"]


def test_a_row_button_whose_failure_changed_leaves_it_alone(
    client: FlaskClient, r: redis.Redis
) -> None:
    r.rpush(KEY, *[json.dumps(record(n, lines=4)) for n in range(3)])
    retry = next(p for p in button_posts(ready(client)) if "retry" in p)
    position = int(retry["retry"].partition(":")[0])
    r.lset(KEY, position, json.dumps(record(99)))  # another failure now sits there
    before = r.lrange(KEY, 0, -1)
    client.post(retry.pop("_action"), data=retry)
    assert r.lrange(KEY, 0, -1) == before and r.llen("resque:queue:critical") == 0


@pytest.mark.parametrize(
    "form",
    [
        {"retry": "0"},  # no digest
        {"remove": "0:not-a-digest"},
        {"retry": "x:" + "a" * 40},
        {"retry": "0:" + "a" * 40, "remove": "0:" + "a" * 40},  # two actions at once
        {"action": "retry", "retry": "0:" + "a" * 40},
    ],
)
def test_malformed_row_actions_are_400_and_change_nothing(
    client: FlaskClient, r: redis.Redis, form: dict[str, str]
) -> None:
    r.rpush(KEY, json.dumps(record(1, lines=4)))
    before = r.lrange(KEY, 0, -1)
    assert client.post("/failed", data=form).status_code == 400
    assert r.lrange(KEY, 0, -1) == before


def test_the_older_form_fields_still_work_for_scripts(client: FlaskClient, r: redis.Redis) -> None:
    r.rpush(KEY, json.dumps(record(1, lines=4)))
    (failure,) = stored(r)
    form = {"action": "remove", "index": failure.position, "digest": failure.digest}
    assert client.post("/failed", data=form).status_code == 303
    assert r.llen(KEY) == 0


def test_row_actions_are_refused_cross_site(client: FlaskClient, r: redis.Redis) -> None:
    r.rpush(KEY, json.dumps(record(1, lines=4)))
    retry = next(p for p in button_posts(ready(client)) if "retry" in p)
    headers = {"Sec-Fetch-Site": "cross-site"}
    response = client.post(retry.pop("_action"), data=retry, headers=headers)
    assert response.status_code == 403
    assert "retried_at" not in (r.lindex(KEY, 0) or "")


def test_read_only_hides_the_row_actions_and_refuses_them(redis_url: str, r: redis.Redis) -> None:
    r.rpush(KEY, json.dumps(record(1, lines=4)))
    (failure,) = stored(r)
    client = app_with(redis_url, RESQUE_WEB_READ_ONLY="1").test_client()
    page = parse(ready(client))
    assert page.find_all("form", id="row-actions") == [] and not list(page.iter("button"))[1:]
    assert button_posts(ready(client)) == []
    response = client.post("/failed", data={"retry": f"0:{failure.digest}"})
    assert response.status_code == 403
    assert r.lindex(KEY, 0) == failure.raw


def test_authorize_decides_each_row_action(redis_url: str, r: redis.Redis) -> None:
    r.rpush(KEY, json.dumps(record(1, lines=4)))
    (failure,) = stored(r)
    asked: list[str] = []

    def authorize(action: str, request: Request) -> bool:
        asked.append(action)
        return action in ("view", "failed.retry")

    client = app_with(redis_url, RESQUE_WEB_AUTHORIZE=authorize).test_client()
    posts = button_posts(ready(client))
    assert [p for p in posts if "remove" in p] == [] and [p for p in posts if "retry" in p]
    ref = f"0:{failure.digest}"
    assert client.post("/failed", data={"remove": ref}).status_code == 403
    assert r.lindex(KEY, 0) == failure.raw
    assert client.post("/failed", data={"retry": ref}).status_code == 303
    assert "failed.remove" in asked and "failed.retry" in asked


def test_the_api_names_a_failures_place_position_and_keeps_index(
    client: FlaskClient, r: redis.Redis
) -> None:
    r.rpush(KEY, *[json.dumps(record(n, lines=4)) for n in range(3)])
    ready(client)
    items = client.get("/api/v1/failed").get_json()["items"]
    assert [(i["position"], i["index"]) for i in items] == [(2, 2), (1, 1), (0, 0)]
    assert [i["digest"] for i in items] == [f.digest for f in reversed(stored(r))]
    (group,) = client.get("/api/v1/failed/groups").get_json()["groups"]
    assert group["sample"]["position"] == group["sample"]["index"] == 2


def test_a_per_queue_list_filtered_by_queue_renders(
    mq_client: FlaskClient, ruby_data: redis.Redis
) -> None:
    """The route's list name and the ``queue`` filter are two arguments: a page of one
    per-queue list filtered by the jobs' queue builds its links (it was a 500 while both
    were called ``queue``)."""
    page = mq_client.get("/failed/critical?queue=critical")
    assert page.status_code == 200
    hrefs = [a.attrs["href"] for a in parse(page.data).iter("a") if "href" in a.attrs]
    assert "/failed/critical?queue=critical&per_page=50" in hrefs
