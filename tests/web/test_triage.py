"""Failure triage over HTTP on the Ruby fixture: groups, composed filters, bulk operations,
selections, edit-and-retry, exports, the audit log and undo, each checked in Redis."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient

from resque_web.failure import FailedJob
from resque_web.model import FailureFilter, Failures
from resque_web.model.failure_index import indexes
from resque_web.web.blueprint import DashboardBlueprint
from tests.support.busy import busy_index
from tests.web.html import parse, text

KEY = "resque:failed"
JSON = {"Accept": "application/json"}


def failures(r: redis.Redis) -> list[FailedJob]:
    return [FailedJob(i, raw) for i, raw in enumerate(r.lrange(KEY, 0, -1))]


def get_json(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.data
    return response.get_json()


def test_groups_page_and_api_cover_every_failure(
    client: FlaskClient, ruby_data: redis.Redis
) -> None:
    data = get_json(client, "/api/v1/failed/groups")
    truth = Counter(f.group for f in failures(ruby_data))
    assert {g["id"]: g["count"] for g in data["groups"]} == dict(truth)
    first = data["groups"][0]
    assert first["sample"] is not None and first["queues"] and first["classes"]
    listed = get_json(client, "/api/v1/failed?group=" + first["id"])
    assert listed["total"] == first["count"]
    html = client.get("/failed/groups").data
    assert len(parse(html).find_all("tr", "group")) == len(truth)
    assert f"/failed?group={first['id']}" in html.decode()
    assert f"/failed/bulk?action=retry&amp;group={first['id']}" in html.decode()


def test_filters_compose_and_bad_ones_say_why(client: FlaskClient, ruby_data: redis.Redis) -> None:
    query = "queue=default&exception=KeyError&retried=no&q=not+found"
    where = FailureFilter.from_args(dict(a.split("=") for a in query.replace("+", " ").split("&")))
    truth = [f for f in failures(ruby_data) if where(f)]
    assert truth
    html = client.get("/failed?" + query).data
    assert int(parse(html).find("b", "total").text()) == len(truth)
    assert get_json(client, "/api/v1/failed?" + query)["total"] == len(truth)
    response = client.get("/failed?since=last+tuesday")
    assert response.status_code == 400 and "is not a time" in text(response.data)


def test_bulk_retry_preview_then_steps(client: FlaskClient, ruby_data: redis.Redis) -> None:
    matching = [f for f in failures(ruby_data) if f.display_class == "Ghost::MissingJob"]
    preview = text(client.get("/failed/bulk?action=retry&class=Ghost::MissingJob").data)
    assert f"Retry {len(matching)} failures matching class=Ghost::MissingJob" in preview
    response = client.post("/failed/bulk", data={"action": "retry", "class": "Ghost::MissingJob"})
    assert response.status_code == 303
    op_url = response.headers["Location"]
    op_id = op_url.rsplit("/", 1)[-1]
    op = get_json(client, f"/api/v1/failed/bulk/{op_id}")
    assert op["status"] == "pending" and op["expected"] == len(matching)
    while not op["finished"]:
        op = client.post(f"/failed/bulk/{op_id}/step", headers=JSON).get_json()
    assert op["status"] == "done" and op["done"] == len(matching)
    after = failures(ruby_data)
    retried = [f for f in after if f.retried and f.display_class == "Ghost::MissingJob"]
    assert len(retried) == len(matching)
    assert "done" in text(client.get(op_url).data)
    entry = get_json(client, "/api/v1/audit")["items"][0]
    assert entry["action"] == "failed.bulk_retry" and entry["count"] == len(matching)
    assert entry["filter"] == {"class": "Ghost::MissingJob"}


def test_selection_acts_on_exactly_the_rows(client: FlaskClient, ruby_data: redis.Redis) -> None:
    rows = failures(ruby_data)[100:103]
    form = {"action": "remove_selected", "row": [f"{f.position}:{f.digest}" for f in rows]}
    client.post("/failed", data=form)
    left = {f.raw for f in failures(ruby_data)}
    assert not any(f.raw in left for f in rows) and len(left) == 117
    entry = get_json(client, "/api/v1/audit")["items"][0]
    assert entry["action"] == "failed.remove_selected" and entry["count"] == 3
    assert entry["hold"]
    client.post(f"/audit/{entry['id']}/restore")
    assert ruby_data.llen(KEY) == 120
    assert {f.raw for f in rows} <= {f.raw for f in failures(ruby_data)}
    stale = {"action": "retry_selected", "row": [f"5:{'0' * 40}"]}
    client.post("/failed", data=stale)
    flashes = parse(client.get("/failed").data).find_all("p", "flash")
    assert any("no longer in the list" in p.text() for p in flashes)


def test_edit_args_then_retry(client: FlaskClient, ruby_data: redis.Redis) -> None:
    failure = next(f for f in failures(ruby_data) if not f.parse_error and f.queue == "default")
    url = f"/failed/edit?index={failure.position}&digest={failure.digest}"
    assert "Arguments (a JSON array)" in text(client.get(url).data)
    form = {"index": failure.position, "digest": failure.digest}
    bad = client.post("/failed/edit", data={**form, "args": "[1, 2"})
    assert "That is not valid JSON: " in text(bad.data)
    not_a_list = client.post("/failed/edit", data={**form, "args": '{"a": 1}'})
    assert "must be a JSON array" in text(not_a_list.data)
    assert ruby_data.lindex(KEY, failure.position) == failure.raw  # nothing changed yet
    before = ruby_data.llen("resque:queue:default")
    assert client.post("/failed/edit", data={**form, "args": '[42, "edited"]'}).status_code == 303
    pushed = json.loads(ruby_data.lindex("resque:queue:default", -1))
    assert pushed["args"] == [42, "edited"] and ruby_data.llen("resque:queue:default") == before + 1
    stored = json.loads(ruby_data.lindex(KEY, failure.position))
    assert stored["payload"]["args"] == [42, "edited"] and stored["retried_at"]


def test_edit_refuses_args_ruby_cannot_hold(client: FlaskClient, ruby_data: redis.Redis) -> None:
    """Python's json reads NaN, Infinity, 1e400 (as inf) and lone surrogates; Ruby refuses
    the first ones and cannot write back the others: the form says so, nothing changes."""
    failure = next(f for f in failures(ruby_data) if not f.parse_error and f.queue == "default")
    form = {"index": failure.position, "digest": failure.digest}
    before = ruby_data.llen("resque:queue:default")
    for args, words in (
        ("[NaN]", "That is not valid JSON: NaN is not JSON"),
        ('[1, {"a": -Infinity}]', "That is not valid JSON: -Infinity is not JSON"),
        ('["\\ud800"]', "That is not valid JSON: a lone surrogate"),
        ("[1e400]", "Ruby could not run that job: 1e400 is too large for a float"),
        ("[" * 100 + "]" * 100, "Ruby could not run that job: it nests deeper than 98"),
    ):
        response = client.post("/failed/edit", data={**form, "args": args})
        assert response.status_code == 400 and words in text(response.data), args
    assert ruby_data.lindex(KEY, failure.position) == failure.raw
    assert ruby_data.llen("resque:queue:default") == before


def test_exports_stream_the_filtered_set(client: FlaskClient, ruby_data: redis.Redis) -> None:
    truth = [f for f in failures(ruby_data) if f.exception == "KeyError"]
    response = client.get("/failed/export.ndjson?exception=KeyError")
    assert response.is_streamed and response.mimetype == "application/x-ndjson"
    lines = [json.loads(x) for x in response.get_data(as_text=True).splitlines()]
    assert [x["digest"] for x in lines] == [f.digest for f in truth]
    response = client.get("/failed/export.csv")
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(table) == 120 and table[0]["digest"] == failures(ruby_data)[0].digest


def test_an_export_of_many_failures_streams_in_chunks(client: FlaskClient, r: redis.Redis) -> None:
    record = {"failed_at": "2026/11/27 17:05:08 UTC", "payload": {"class": "A", "args": []}}
    r.rpush(KEY, *[json.dumps({**record, "error": f"e{i}"}) for i in range(20_000)])
    response = client.get("/failed/export.ndjson")
    chunks = 0
    count = 0
    for piece in response.response:
        chunks += 1
        count += piece.count("\n") if isinstance(piece, str) else piece.count(b"\n")
    assert count == 20_000 and chunks >= 20_000  # a line at a time, never the whole list


def test_clear_is_audited_and_undone(client: FlaskClient, ruby_data: redis.Redis) -> None:
    before = sorted(ruby_data.lrange(KEY, 0, -1))
    client.post("/failed", data={"action": "clear"})
    assert ruby_data.llen(KEY) == 0
    page = client.get("/audit").data
    assert "failed.clear" in text(page) and "Restore 120" in text(page)
    entry = get_json(client, "/api/v1/audit")["items"][0]
    assert entry["count"] == 120 and entry["expires_at"]
    client.post(f"/audit/{entry['id']}/restore")
    assert sorted(ruby_data.lrange(KEY, 0, -1)) == before
    assert "undo expired or done" in text(client.get("/audit").data)


def test_queue_actions_are_audited_with_the_user(
    client: FlaskClient, ruby_data: redis.Redis
) -> None:
    client.post("/queues/mailers", data={"action": "clear"}, environ_base={"REMOTE_USER": "ana"})
    entry = get_json(client, "/api/v1/audit")["items"][0]
    assert (entry["action"], entry["target"], entry["user"]) == ("queue.clear", "mailers", "ana")


def test_pages_answer_while_the_index_catches_up(app: Flask, r: redis.Redis) -> None:
    """A process's first look at 100,000 failures takes the index seconds: meanwhile the
    list shows the newest matching rows, says it is counting, and never shows a count
    that is not exact; once caught up, the counts are there."""
    client = app.test_client()
    rows = [failure_record("Mailer" if i % 3 else "Archive", i) for i in range(3000)]
    r.rpush(KEY, *rows)
    index = busy_index(app)
    r.rpush(KEY, *[failure_record("Mailer", i) for i in range(3000, 3010)])
    with index._lock:  # a rebuild under way in another thread
        html = client.get("/failed?class=Archive&per_page=20").get_data(as_text=True)
        page = parse(html)
        assert page.find("p", "counting").attrs.get("data-counting") is not None
        assert "Archive (1,000)" not in html  # no count per class while counting
        assert page.find_all("span", "partial")  # "at least": the newest were searched
        shown = [int(tr.attrs["id"].split("-")[1]) for tr in page.find_all("tr", "failure")]
        assert shown == [i for i in range(2999, -1, -1) if i % 3 == 0][:20]
        api = get_json(client, "/api/v1/failed?class=Archive&per_page=20")
        assert api["counting"] == {"indexed": 3000, "total": 3010}
        assert api["complete"] is False and 20 <= api["total"] < 1000
        oldest = get_json(client, "/api/v1/failed?class=Archive&per_page=5&order=oldest")
        assert [f["index"] for f in oldest["items"]] == [0, 3, 6, 9, 12]
        assert [f["index"] for f in api["items"]] == shown
        groups = client.get("/failed/groups").get_data(as_text=True)
        assert parse(groups).find_all("p", "counting")
    index.current(None)
    html = client.get("/failed?class=Archive").get_data(as_text=True)
    assert not parse(html).find_all("p", "counting")
    assert int(parse(html).find("b", "total").text().replace(",", "")) == 1000
    assert "Mailer (2,010)" in html
    assert get_json(client, "/api/v1/failed?class=Archive")["counting"] is None


def failure_record(job_class: str, n: int) -> str:
    return json.dumps(
        {
            "failed_at": f"2026/11/27 17:{n // 60 % 60:02d}:{n % 60:02d} UTC",
            "payload": {"class": job_class, "args": [n]},
            "exception": "KeyError",
            "error": f"key {n} not found",
            "backtrace": [],
            "worker": "w:1:*",
            "queue": "default",
        },
        separators=(",", ":"),
    )


def test_the_first_request_starts_indexing_the_failures(app: Flask, r: redis.Redis) -> None:
    """Whatever page a process serves first, its failure index starts catching up in the
    background, so the first look at /failed finds the counts made."""
    r.rpush(KEY, *[failure_record("Mailer", i) for i in range(2500)])
    indexes.forget()  # a new process
    assert app.test_client().get("/stats/redis").status_code == 200
    bp = app.blueprints["resque_web"]
    assert isinstance(bp, DashboardBlueprint)
    index = Failures(bp.resque).index(Failures(bp.resque).list())
    deadline = time.monotonic() + 20
    while index.n < 2500 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.n == 2500
