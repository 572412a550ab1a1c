"""Counts by "retried" come from the failure index, which sees the dashboard's own retries
at once (they are logged) but a retry made by another tool (Ruby's resque-web rewrites the
record in place with ``retried_at``, logging nothing) only at its next rebuild. Wherever
such a count can be short it says "about"; once the index re-reads the list it is exact."""

from __future__ import annotations

import json

import redis
from flask.testing import FlaskClient

from .html import parse, text

KEY = "resque:failed"


def record(n: int) -> dict:
    return {
        "failed_at": f"2026/12/03 20:{n // 60:02d}:{n % 60:02d} UTC",
        "payload": {"class": "Charge", "args": [n]},
        "exception": "Timeout::Error",
        "error": "execution expired",
        "backtrace": [],
        "worker": "host:1:billing",
        "queue": "billing",
    }


def compact(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))


def ruby_retry(r: redis.Redis, position: int) -> None:
    """What Ruby's Resque::Failure::Redis.requeue does: LSET the record with retried_at
    appended (Resque.encode keeps key order), then Job.create on its queue."""
    item = json.loads(r.lindex(KEY, position))
    item["retried_at"] = "2026/12/03 20:10:00 UTC"
    r.lset(KEY, position, compact(item))
    r.sadd("resque:queues", item["queue"])
    r.rpush(f"resque:queue:{item['queue']}", compact(item["payload"]))


def group(client: FlaskClient) -> dict:
    (found,) = client.get("/api/v1/failed/groups").get_json()["groups"]
    return found


def retried_api(client: FlaskClient, flag: str) -> dict:
    return client.get(f"/api/v1/failed?retried={flag}&order=oldest&per_page=100").get_json()


def test_counts_that_can_be_short_say_about(client: FlaskClient, r: redis.Redis) -> None:
    r.rpush(KEY, *[compact(record(n)) for n in range(100)])
    assert (group(client)["retried"], group(client)["retried_approximate"]) == (0, True)

    # Far from the list's end, which is all the index checks when nothing was logged.
    ruby_retry(r, 1)
    assert group(client)["retried"] == 0 and group(client)["retried_approximate"]
    yes = retried_api(client, "yes")
    assert (yes["total"], yes["approximate"]) == (0, True)
    no = retried_api(client, "no")
    assert (no["total"], no["approximate"]) == (100, True)
    shown = [i["index"] for i in no["items"]]
    assert shown == [0, *range(2, 100)]  # each row is checked as it is now
    page = parse(client.get("/failed?retried=no").data)
    assert page.find("span", "approximate").text() == "about"
    assert (
        "a retry made by another tool (Ruby's resque-web)"
        in page.find("span", "retried-note").text()
    )
    assert "about" not in text(client.get("/failed?class=Charge").data).split("failures match")[0]
    assert retried_api(client, "no")["approximate"] is True
    assert client.get("/api/v1/failed?class=Charge").get_json()["approximate"] is False

    # The dashboard's own retry is logged: counted at once, and labelled while it can
    # still be short.
    row = f"0:{no['items'][0]['digest']}"
    client.post("/failed", data={"action": "retry_selected", "row": [row]})
    assert group(client)["retried"] == 1
    html = parse(client.get("/failed/groups").data)
    assert html.find("div", "retried").text() == "about 1 retried"

    # A removal by another tool makes the index re-read the list: Ruby's retry counts now
    # (still "about": another one may come at any time, unseen).
    r.lrem(KEY, 1, r.lindex(KEY, 99))
    assert (group(client)["retried"], group(client)["retried_approximate"]) == (2, True)
    assert retried_api(client, "yes")["total"] == 2

    # When every failure of a group counts as retried, none can be missing: no "about".
    client.post("/failed", data={"action": "retry_all"})
    assert (group(client)["retried"], group(client)["retried_approximate"]) == (99, False)
    assert parse(client.get("/failed/groups").data).find("div", "retried").text() == "99 retried"
