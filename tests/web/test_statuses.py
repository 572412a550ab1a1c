"""The Statuses tab, a status's page and the statuses JSON, on what Ruby's resque-status
wrote (the plugins fixture) and on data no Ruby would write."""

from __future__ import annotations

import json
import time

import pytest
import redis
from flask import Flask, Request
from flask.testing import FlaskClient

from resque_web import Keys, Resque
from resque_web.model import statuses as statuses_model
from resque_web.status import StatusStore
from resque_web.status import store as status_store
from resque_web.web import create_app, remembered
from resque_web.web.views import statuses as statuses_view
from tests.support.dump import RUBY_PLUGINS, dump_keys
from tests.support.roundtrips import count_redis

from .html import forms, links, parse, table_rows, text

COMPLETED = "ec2500e8df37a36b5490b4224cb69772"
FAILED = "29521e527f32fa899900f82c83833cb2"
KILLED = "18917fc372fbca4b7f8c3e951326c231"
QUEUED = "b9791eb96a4b0840d00fbcc006499710"
WORKING = "528cb74c365f233c7b1226ea110a9790"
NEWEST_FIRST = [COMPLETED, QUEUED, WORKING, FAILED, KILLED]  # one second: by uuid, descending
KEYS = Keys()


def app_with(redis_url: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "t", "REDIS_URL": redis_url, **config})


def flash(client: FlaskClient, location: str) -> str:
    return " ".join(p.text() for p in parse(client.get(location).data).find_all("p", "flash"))


def fixture_object(uuid: str) -> dict:
    return json.loads(dump_keys(RUBY_PLUGINS)[f"resque:status:{uuid}"]["value"])


# The list ----------------------------------------------------------------------------------
def test_the_list_shows_rubys_statuses_exactly(
    client: FlaskClient, ruby_plugins_data: redis.Redis
) -> None:
    page = client.get("/statuses")
    assert page.status_code == 200
    rows = table_rows(page.data, "statuses")
    assert [row[0] for row in rows] == NEWEST_FIRST
    by_uuid = {row[0]: row for row in rows}
    name, state, _, pct, message, kill = by_uuid[COMPLETED][1:]
    assert (name, state, pct) == ('Thumb({"mode"=>"done", "photo"=>1})', "completed", "100% 100%")
    assert message == "Completed at 2026-12-03 20:29:40 +0000" and kill == ""
    assert by_uuid[FAILED][2:] == [
        "failed",
        by_uuid[FAILED][3],
        "20% 20%",
        "The task failed because of an error: disk full",
        "",
    ]
    assert by_uuid[WORKING][1] == "—"  # written with Hash.set: no name
    assert by_uuid[WORKING][2:5:2] == ["working", "37% 37%"]
    assert by_uuid[KILLED][2] == "killed" and by_uuid[QUEUED][2] == "queued"
    bars = {
        tr.attrs["data-uuid"]: tr.find("progress").attrs["value"]
        for tr in parse(page.data).find_all("tr", "status-row")
    }
    assert bars == {COMPLETED: "100", QUEUED: "0", WORKING: "37", FAILED: "20", KILLED: "0"}
    # Kill only what is still queued or working; clear completed, failed, all.
    actions = [f["_action"] for f in forms(page.data)]
    assert sorted(a for a in actions if a.endswith("/kill")) == sorted(
        [f"/statuses/{QUEUED}/kill", f"/statuses/{WORKING}/kill"]
    )
    assert [f["which"] for f in forms(page.data) if "which" in f] == ["all", "completed", "failed"]
    assert "style=" not in page.get_data(as_text=True)  # the CSP forbids inline style
    assert "/statuses" in links(client.get("/overview").data)  # the tab


def test_filter_by_state(client: FlaskClient, ruby_plugins_data: redis.Redis) -> None:
    for state, uuid in (("failed", FAILED), ("working", WORKING), ("queued", QUEUED)):
        page = client.get(f"/statuses?state={state}")
        assert [row[0] for row in table_rows(page.data, "statuses")] == [uuid]
        assert f"1 {state} among statuses 1\u20135 of 5" in text(page.data)
    assert "No killed statuses" not in text(client.get("/statuses?state=killed").data)
    response = client.get("/statuses?state=bogus")
    assert response.status_code == 400 and "not a status state" in text(response.data)
    assert client.get("/statuses?state=failed&from=-1").status_code == 400


def test_a_filtered_search_is_bounded_and_continues(
    client: FlaskClient, r: redis.Redis, resque: Resque, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Statuses are not indexed by state: a search reads at most FIND_BUDGET of them and
    links onward from where it stopped."""
    monkeypatch.setattr(status_store, "FIND_BUDGET", 10)
    for i in range(25):
        state = "failed" if i in (3, 17) else "completed"
        r.set(KEYS.status(f"u{i:02}"), json.dumps({"status": state}))
        r.zadd(KEYS.statuses, {f"u{i:02}": 1000 + i})
    first = client.get("/statuses?state=failed")  # positions 0-9: u24 .. u15
    assert [row[0] for row in table_rows(first.data, "statuses")] == ["u17"]
    assert "1 failed among statuses 1\u201310 of 25" in text(first.data)
    further = [a for a in links(first.data) if "from=10" in a]
    assert further
    second = client.get(further[0])  # u14 .. u05: none failed
    assert table_rows(second.data, "statuses") == [["No failed statuses here."]]
    assert "0 failed among statuses 11\u201320 of 25" in text(second.data)
    third = client.get("/statuses?state=failed&from=20")
    assert [row[0] for row in table_rows(third.data, "statuses")] == ["u03"]
    assert "Searched to the oldest" in text(third.data)
    api = client.get("/api/v1/statuses?state=failed&from=10").get_json()
    assert (api["read"], api["next_from"], api["total"]) == (10, 20, 25)
    assert api["items"] == []
    api = client.get("/api/v1/statuses?state=failed").get_json()
    # Stored without a uuid: filled in from the key, as Ruby's Hash.get does.
    assert api["items"] == [{"status": "failed", "uuid": "u17", "pct_complete": 0}]


def test_pages_read_only_their_rows(client: FlaskClient, r: redis.Redis) -> None:
    """A page costs the same round trips with 10 or 1,200 statuses (O(rows shown))."""
    store = StatusStore(Resque(r))

    def fill(n: int) -> None:
        pipe = r.pipeline()
        for i in range(n):
            pipe.set(KEYS.status(f"{i:032x}"), json.dumps({"status": "working", "num": i}))
            pipe.zadd(KEYS.statuses, {f"{i:032x}": i})
        pipe.execute()

    fill(10)
    client.get("/statuses?per_page=20")  # warm: scripts, tab cache
    with count_redis() as small:
        client.get("/statuses?per_page=20")
    fill(1200)
    with count_redis() as big:
        page = client.get("/statuses?per_page=20&page=3")
    assert big.round_trips == small.round_trips
    assert big.command_names.count("GET") == 0 and "MGET" in big.command_names
    assert len(table_rows(page.data, "statuses")) == 20
    assert store.count() == 1200


def test_paging_and_an_out_of_range_page(client: FlaskClient, r: redis.Redis) -> None:
    store = StatusStore(Resque(r))
    for i in range(120):
        store.set(f"s{i:03}", {"status": "queued"})
        r.zadd(KEYS.statuses, {f"s{i:03}": i})
    rows = table_rows(client.get("/statuses?page=3&per_page=50").data, "statuses")
    assert [row[0] for row in rows] == [f"s{i:03}" for i in range(19, -1, -1)]
    assert table_rows(client.get("/statuses?page=99&per_page=50").data, "statuses") == rows


# One status --------------------------------------------------------------------------------
def test_a_status_page_shows_every_field_and_refreshes_only_while_running(
    client: FlaskClient, ruby_plugins_data: redis.Redis
) -> None:
    done = client.get(f"/statuses/{COMPLETED}")
    assert done.status_code == 200
    details = dict(r[:2] for r in table_rows(done.data, "details"))
    assert details["url"] == "/thumbs/1.png" and details["pct_complete"] == "100"
    assert details["options"] == '{ "mode": "done", "photo": 1 }'
    holder = parse(done.data).find("div", "status-holder")
    assert "data-live" not in holder.attrs
    assert holder.find("progress").attrs["value"] == "100"
    working = parse(client.get(f"/statuses/{WORKING}").data).find("div", "status-holder")
    assert "data-live" in working.attrs and working.find("progress").attrs["value"] == "37"
    queued = parse(client.get(f"/statuses/{QUEUED}").data).find("div", "status-holder")
    assert "data-live" in queued.attrs
    missing = client.get("/statuses/0123456789abcdef0123456789abcdef")
    assert missing.status_code == 404 and "No such status" in text(missing.data)


def test_odd_values_render_and_never_500(client: FlaskClient, r: redis.Redis) -> None:
    r.set(KEYS.status("bad"), "{not json <b>")
    r.set(KEYS.status("arr"), "[1]")
    evil = {
        "status": "<script>alert(1)</script>",
        "name": "<img src=x onerror=alert(1)>",
        "message": {"nested": ["<b>"]},
        "num": "lots",
        "total": None,
        "time": "yesterday",
        "<k>": "v",
    }
    r.set(KEYS.status("evil"), json.dumps(evil))
    r.zadd(KEYS.statuses, {"bad": 3, "arr": 2, "evil": 1, "gone": 0})
    page = client.get("/statuses")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src=x" not in body and "<b>" not in body
    rows = {row[0]: row for row in table_rows(page.data, "statuses")}
    assert "unreadable" in rows["bad"][1] and "unreadable" in rows["arr"][1]
    assert rows["gone"][1].startswith("expired")
    assert rows["evil"][2] == "<script>alert(1)</script>"  # shown as text
    assert "status-other" in body  # no class from data
    for uuid in ("bad", "arr", "evil"):
        one = client.get(f"/statuses/{uuid}")
        assert one.status_code == 200, uuid
        assert "<script>alert" not in one.get_data(as_text=True)
    api = client.get("/api/v1/statuses/bad")
    assert api.status_code == 200
    assert api.get_json() == {
        "uuid": "bad",
        "status": None,
        "unreadable": api.get_json()["unreadable"],
        "raw": "{not json <b>",
        "pct_complete": 0,
    }
    assert "not JSON" in api.get_json()["unreadable"]
    items = client.get("/api/v1/statuses").get_json()["items"]
    assert items[3] == {"uuid": "gone", "status": None, "expired": True, "pct_complete": 0}


def test_a_status_key_of_another_type_blocks_nothing(client: FlaskClient, r: redis.Redis) -> None:
    """Someone else's hash at ``status:<uuid>``: searches, kills and clears go around it."""
    r.hset(KEYS.status("hash"), "status", "working")
    r.set(KEYS.status("ok"), '{"status":"working"}')
    r.zadd(KEYS.statuses, {"hash": 2, "ok": 1})
    assert client.get("/statuses").status_code == 200
    page = client.get("/statuses?state=working")
    assert [row[0] for row in table_rows(page.data, "statuses")] == ["ok"]
    client.post("/statuses/hash/kill")
    assert "its status is unreadable" in flash(client, "/statuses")
    assert r.scard(KEYS.status_kill) == 0
    client.post("/statuses/clear", data={"which": "completed"})
    assert r.zcard(KEYS.statuses) == 2
    assert client.get("/statuses/hash").status_code == 409  # named, not a 500


# JSON --------------------------------------------------------------------------------------
def test_the_status_json_is_rubys_object_plus_pct_complete(
    client: FlaskClient, ruby_plugins_data: redis.Redis
) -> None:
    for uuid, pct in ((COMPLETED, 100), (FAILED, 20), (WORKING, 37), (QUEUED, 0), (KILLED, 0)):
        response = client.get(f"/api/v1/statuses/{uuid}")
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert response.get_json() == {**fixture_object(uuid), "pct_complete": pct}
        assert list(response.get_json()) == [*fixture_object(uuid), "pct_complete"]
    assert client.get(f"/api/v1/statuses/{COMPLETED}").get_json()["url"] == "/thumbs/1.png"
    missing = client.get("/api/v1/statuses/nope")
    assert missing.status_code == 404
    assert missing.get_json() == {
        "error": "No such status",
        "message": "There is no status 'nope'.",
        "status": 404,
    }
    listing = client.get("/api/v1/statuses?per_page=2&page=2").get_json()
    assert (listing["total"], listing["pages"], listing["page"]) == (5, 3, 2)
    assert [i["uuid"] for i in listing["items"]] == [WORKING, FAILED]
    assert listing["items"][0]["pct_complete"] == 37
    failed = client.get("/api/v1/statuses?state=failed").get_json()
    assert [i["uuid"] for i in failed["items"]] == [FAILED]
    assert failed["next_from"] is None and failed["read"] == 5
    bad = client.get("/api/v1/statuses?state=nope")
    assert bad.status_code == 400 and bad.get_json()["error"] == "Unknown state"


# Actions -----------------------------------------------------------------------------------
def test_kill_asks_a_running_job_to_stop_and_is_audited(
    client: FlaskClient, ruby_plugins_data: redis.Redis
) -> None:
    r = ruby_plugins_data
    response = client.post(f"/statuses/{WORKING}/kill", data={"state": "working"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/statuses?state=working"
    assert r.smembers(KEYS.status_kill) == {WORKING}
    assert "Asked job" in flash(client, "/statuses")
    [entry] = client.get("/api/v1/audit").get_json()["items"]
    assert (entry["action"], entry["target"], entry["count"]) == ("status.kill", WORKING, 1)
    row = {r[0]: r for r in table_rows(client.get("/statuses").data, "statuses")}[WORKING]
    assert "kill requested" in row[2]
    # A finished job is not asked (nothing written, nothing audited).
    response = client.post(f"/statuses/{COMPLETED}/kill", data={"from_status": COMPLETED})
    assert response.headers["Location"] == f"/statuses/{COMPLETED}"
    assert "already finished" in flash(client, "/statuses")
    assert client.post("/statuses/nope/kill").status_code == 303
    assert r.smembers(KEYS.status_kill) == {WORKING}
    assert len(client.get("/api/v1/audit").get_json()["items"]) == 1
    assert client.get(f"/statuses/{QUEUED}/kill").status_code in (404, 405)
    assert r.smembers(KEYS.status_kill) == {WORKING}


def test_clear_removes_exactly_the_state_and_is_audited(
    client: FlaskClient, ruby_plugins_data: redis.Redis
) -> None:
    r = ruby_plugins_data
    response = client.post("/statuses/clear", data={"which": "completed"})
    assert response.status_code == 303 and response.headers["Location"] == "/statuses"
    assert not r.exists(KEYS.status(COMPLETED)) and r.zscore(KEYS.statuses, COMPLETED) is None
    assert r.zcard(KEYS.statuses) == 4
    assert "Cleared 1 completed status." in flash(client, "/statuses")
    assert client.post("/statuses/clear", data={"which": "working"}).status_code == 400
    assert client.post("/statuses/clear").status_code == 400
    assert r.zcard(KEYS.statuses) == 4
    client.post("/statuses/clear", data={"which": "all"})
    assert r.zcard(KEYS.statuses) == 0 and r.keys("resque:status:*") == []
    actions = [
        (e["action"], e["target"], e["count"])
        for e in client.get("/api/v1/audit").get_json()["items"]
    ]
    assert actions == [("status.clear", "all", 4), ("status.clear", "completed", 1)]
    assert r.llen("resque:queue:images") == 1  # statuses only: the queued job stays


def test_a_long_clear_stops_in_time_and_says_so(
    client: FlaskClient, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request clears for about CLEAR_SECONDS (here: one 500-status step), then says
    more remain; clearing again goes on."""
    monkeypatch.setattr(statuses_model, "CLEAR_SECONDS", 0)
    pipe = r.pipeline()
    for i in range(1200):
        pipe.set(KEYS.status(f"c{i:04}"), '{"status":"completed"}')
        pipe.zadd(KEYS.statuses, {f"c{i:04}": i})
    pipe.execute()
    client.post("/statuses/clear", data={"which": "completed"})
    assert r.zcard(KEYS.statuses) == 700
    assert "More remain to be looked at" in flash(client, "/statuses")
    client.post("/statuses/clear", data={"which": "completed"})
    assert "Cleared 500 completed statuses. More remain" in flash(client, "/statuses")
    client.post("/statuses/clear", data={"which": "completed"})
    assert r.zcard(KEYS.statuses) == 0
    assert flash(client, "/statuses") == "Cleared 200 completed statuses."


def test_read_only_and_authorize_hide_and_refuse_actions(
    redis_url: str, ruby_plugins_data: redis.Redis
) -> None:
    r = ruby_plugins_data
    read_only = app_with(redis_url, RESQUE_WEB_READ_ONLY="1").test_client()
    assert forms(read_only.get("/statuses").data) == []
    assert forms(read_only.get(f"/statuses/{WORKING}").data) == []
    assert read_only.post(f"/statuses/{WORKING}/kill").status_code == 403
    assert read_only.post("/statuses/clear", data={"which": "all"}).status_code == 403
    asked: list[str] = []

    def authorize(action: str, request: Request) -> bool:
        asked.append(action)
        return action == "view" or request.headers.get("X-Role") == "admin"

    client = app_with(redis_url, RESQUE_WEB_AUTHORIZE=authorize).test_client()
    assert forms(client.get("/statuses").data) == []
    assert {"status.kill", "status.clear"} <= set(asked)
    assert client.post(f"/statuses/{WORKING}/kill").status_code == 403
    assert client.post("/statuses/clear", data={"which": "all"}).status_code == 403
    assert r.scard(KEYS.status_kill) == 0 and r.zcard(KEYS.statuses) == 5
    admin = {"X-Role": "admin"}
    assert client.post(f"/statuses/{WORKING}/kill", headers=admin).status_code == 303
    assert r.smembers(KEYS.status_kill) == {WORKING}
    cross = {"Sec-Fetch-Site": "cross-site", **admin}
    assert client.post("/statuses/clear", data={"which": "all"}, headers=cross).status_code == 403
    assert r.zcard(KEYS.statuses) == 5


# The tab -----------------------------------------------------------------------------------
def test_the_tab_hides_without_statuses_and_caches_its_answer(
    redis_url: str, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(remembered.time, "monotonic", lambda: clock[0])
    client = app_with(redis_url).test_client()
    assert "/statuses" not in links(client.get("/overview").data)
    assert "/statuses" in links(client.get("/statuses").data)  # shown on its own page
    StatusStore(Resque(r)).create("a" * 32, {})
    with count_redis() as tally:
        assert "/statuses" not in links(client.get("/overview").data)  # remembered
    assert "EXISTS" not in tally.command_names
    clock[0] += statuses_view.TAB_CACHE_SECONDS + 1
    client.get("/overview")  # the stale answer still; a background thread asks again
    deadline = time.perf_counter() + 5  # (monotonic is the test's clock here)
    while "/statuses" not in links(client.get("/overview").data):
        assert time.perf_counter() < deadline, "the tab never appeared"
        time.sleep(0.02)


def test_redis_down_keeps_the_error_page_a_503(redis_url: str) -> None:
    """The tab's question fails with Redis: the 503 page must still render its tabs."""
    client = app_with("redis://127.0.0.1:1/0", RESQUE_WEB_REDIS_TIMEOUT="0.2").test_client()
    for url in ("/overview", "/statuses", f"/statuses/{WORKING}", "/api/v1/statuses/x"):
        assert client.get(url).status_code == 503, url
