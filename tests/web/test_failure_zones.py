"""Failures written by Ruby workers on hosts in other zones: the list, its time filters, the
groups' first and last seen, the exports and the API all read the instant the text names;
an unknown zone is shown as written and left out of time filters, never taken for UTC."""

from __future__ import annotations

import csv
import io
import json

import redis
from flask.testing import FlaskClient

from tests.test_times import RUBY_FAILED_AT, RUBY_UNKNOWN

from .html import parse

KEY = "resque:failed"
# 2026-02-01 00:00:00 UTC in every zone Ruby wrote it from, and one hour later in UTC.
AT_MIDNIGHT = [text for _, epoch, text in RUBY_FAILED_AT if epoch == 1769904000]
AN_HOUR_LATER = "2026/02/01 01:00:00 UTC"


def record(failed_at: str, n: int) -> str:
    return json.dumps(
        {
            "failed_at": failed_at,
            "payload": {"class": "Zoned", "args": [n]},
            "exception": "RuntimeError",
            "error": "boom",
            "backtrace": [],
            "worker": "host:1:q",
            "queue": "q",
        },
        separators=(",", ":"),
    )


def load(r: redis.Redis) -> list[str]:
    texts = [*AT_MIDNIGHT, AN_HOUR_LATER, RUBY_UNKNOWN]
    r.rpush(KEY, *[record(text, n) for n, text in enumerate(texts)])
    return texts


def items(client: FlaskClient, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/failed?per_page=100&order=oldest{query}")
    assert response.status_code == 200, response.data
    return response.get_json()["items"]


def test_the_api_and_the_list_read_each_zone(client: FlaskClient, r: redis.Redis) -> None:
    texts = load(r)
    got = items(client)
    assert [i["failed_at_text"] for i in got] == texts
    assert [i["failed_at"] for i in got] == (
        ["2026-02-01T00:00:00+00:00"] * len(AT_MIDNIGHT) + ["2026-02-01T01:00:00+00:00", None]
    )
    rows = parse(client.get("/failed?order=oldest").data).find_all("tr", "failure")
    stamps = [row.find("td", "time-col") for row in rows]
    assert [s.find_all("time")[0].attrs["datetime"] for s in stamps[:-1]] == (
        ["2026-02-01T00:00:00+00:00"] * len(AT_MIDNIGHT) + ["2026-02-01T01:00:00+00:00"]
    )
    unknown = stamps[-1]
    assert not unknown.find_all("time") and RUBY_UNKNOWN in unknown.text()
    assert "unknown time zone" in unknown.find("span", "muted").attrs["title"]


def test_time_filters_use_the_instant(client: FlaskClient, r: redis.Redis) -> None:
    load(r)
    window = "&since=2026-02-01T00:00&until=2026-02-01T00:01"
    assert [i["failed_at_text"] for i in items(client, window)] == AT_MIDNIGHT
    # With a text search each record is checked by the filter itself, not the index.
    assert [i["failed_at_text"] for i in items(client, window + "&q=boom")] == AT_MIDNIGHT
    later = "&since=2026-02-01T00:30"
    assert [i["failed_at_text"] for i in items(client, later)] == [AN_HOUR_LATER]
    assert [i["failed_at_text"] for i in items(client, later + "&q=boom")] == [AN_HOUR_LATER]
    everything = "&since=1970-01-01&until=2100-01-01"
    assert RUBY_UNKNOWN not in [i["failed_at_text"] for i in items(client, everything)]


def test_groups_first_and_last_seen(client: FlaskClient, r: redis.Redis) -> None:
    load(r)
    (group,) = client.get("/api/v1/failed/groups").get_json()["groups"]
    assert group["count"] == len(AT_MIDNIGHT) + 2
    assert group["first_seen"] == "2026-02-01T00:00:00+00:00"
    assert group["last_seen"] == "2026-02-01T01:00:00+00:00"


def test_exports_carry_the_text_and_the_utc_instant(client: FlaskClient, r: redis.Redis) -> None:
    texts = load(r)
    lines = client.get("/failed/export.ndjson").get_data(as_text=True).splitlines()
    exported = [json.loads(line) for line in lines]
    assert [x["failed_at"] for x in exported] == texts
    assert [x["failed_at_utc"] for x in exported] == (
        ["2026-02-01T00:00:00+00:00"] * len(AT_MIDNIGHT) + ["2026-02-01T01:00:00+00:00", None]
    )
    table = list(
        csv.DictReader(io.StringIO(client.get("/failed/export.csv").get_data(as_text=True)))
    )
    assert [row["failed_at_utc"] for row in table][-2:] == ["2026-02-01T01:00:00+00:00", ""]
    assert [row["failed_at"] for row in table] == texts
