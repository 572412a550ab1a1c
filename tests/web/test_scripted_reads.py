"""The pages that read across every queue or worker in one Lua script answer as the
pipelines they replaced did, edge cases included: who counts as busy (MGET's view: a
non-empty string), a payload whose ``run_at`` is spelled another way, hosts that are
prefixes of other hosts, an id without a colon, and names JSON has to escape."""

from __future__ import annotations

import json

import pytest
import redis
from flask.testing import FlaskClient

from .html import parse, table_rows

H = "resque"


def add_worker(r: redis.Redis, worker_id: str, job: str | None = None) -> None:
    r.sadd(f"{H}:workers", worker_id)
    r.hset(f"{H}:workers:heartbeat", worker_id, "2026-11-27T17:05:08+00:00")
    if job is not None:
        r.set(f"{H}:worker:{worker_id}", job)


def job(run_at: str, spaced: bool = False) -> str:
    data = {"queue": "default", "run_at": run_at, "payload": {"class": "Archive", "args": [1]}}
    return json.dumps(data) if spaced else json.dumps(data, separators=(",", ":"))


@pytest.fixture
def busy(r: redis.Redis) -> redis.Redis:
    add_worker(r, "h:1:default", job("2026-11-27T17:05:03Z"))
    add_worker(r, "h:2:default", job("2026-11-27T17:05:01Z", spaced=True))  # parsed in Python
    add_worker(r, "h-1:3:default", job("2026-11-27T17:05:02Z"))
    add_worker(r, "h:4:default")  # idle
    add_worker(r, "h:5:default", "")  # empty: idle, as MGET reads it
    add_worker(r, "h:6:default")
    r.hset(f"{H}:worker:h:6:default", "not", "a string")  # wrong type: idle, not an error
    add_worker(r, "h", job("not a time"))  # no colon: host "h"; unreadable time sorts first
    add_worker(r, 'hh:7:a"b\\c/d\n,*', job("2026-11-27T17:05:04Z"))
    return r


def test_working_lists_the_busy_longest_first(client: FlaskClient, busy: redis.Redis) -> None:
    html = client.get("/working").data
    rows = table_rows(html, "working")
    assert [row[1] for row in rows] == ["h:", "h:2", "h-1:3", "h:1", "hh:7"]
    assert "5 of 8 Workers Working" in parse(html).find("h2").text()
    overview = parse(client.get("/overview").data)
    summary = {
        dt.text(): dd.text() for dt, dd in zip(overview.find_all("dt"), overview.find_all("dd"))
    }
    assert (summary["Working"], summary["Workers"]) == ("5", "8")  # the busy list's length


def test_hosts_by_binary_search(client: FlaskClient, busy: redis.Redis) -> None:
    rows = table_rows(client.get("/workers").data, "hosts")
    assert rows == [["h", "6"], ["h-1", "1"], ["hh", "1"]]  # "h" counts the colonless id
    assert parse(client.get("/workers/h").data).find("h1").text() == "Worker h"  # ids first
    assert [row[1] for row in table_rows(client.get("/workers/hh").data, "workers")] == ["hh:7"]
    assert [row[1] for row in table_rows(client.get("/workers/h-1").data, "workers")] == ["h-1:3"]
    busy.srem(f"{H}:workers", "h")
    listed = [row[1] for row in table_rows(client.get("/workers/h").data, "workers")]
    assert listed == ["h:1", "h:2", "h:4", "h:5", "h:6"]


def test_worker_rows_and_busy_count(client: FlaskClient, busy: redis.Redis) -> None:
    data = client.get("/api/v1/workers").get_json()
    # The count is EXISTS (as the summary has always counted): the empty and the hash-typed
    # keys count, while the rows (MGET) show those two workers idle.
    assert (data["total"], data["working"]) == (8, 7)
    jobs = {w["id"]: w["job"] and w["job"]["run_at"] for w in data["workers"]}
    assert jobs["h:2:default"] == "2026-11-27T17:05:01+00:00"
    assert (jobs["h:4:default"], jobs["h:5:default"], jobs["h:6:default"]) == (None, None, None)
    assert jobs['hh:7:a"b\\c/d\n,*'] == "2026-11-27T17:05:04+00:00"
    assert all(w["heartbeat_at"] == "2026-11-27T17:05:08+00:00" for w in data["workers"])


def test_queue_names_json_has_to_escape(client: FlaskClient, r: redis.Redis) -> None:
    odd = ['a"b', "back\\slash", "new\nline", "tab\tand/slash", "ünï", "\x01ctl", "[]{}"]
    for n, name in enumerate(odd):
        r.sadd(f"{H}:queues", name)
        r.rpush(f"{H}:queue:{name}", *["x"] * (n + 1))
    data = client.get("/api/v1/queues").get_json()
    assert [(q["name"], q["size"]) for q in data["queues"]] == sorted(
        (name, n + 1) for n, name in enumerate(odd)
    )
    lines = client.get("/stats.txt").get_data(as_text=True).split("\n")
    assert "queues.ünï=5" in lines and 'queues.a"b=1' in lines
    assert "resque.pending=28" in lines


def test_empty_state(client: FlaskClient) -> None:
    for url in ("/overview", "/working", "/workers", "/workers/all", "/queues", "/stats.txt"):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/workers").get_json()["working"] == 0
    assert client.get("/stats.txt").get_data(as_text=True).endswith("resque.working=0")
