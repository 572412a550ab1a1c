"""``/schedule`` on what Ruby's resque-scheduler wrote, plus a schedule file: each entry's
interval, class, queue, arguments, next and last run, the master; Queue now and Delete
(persistent entries only) authorized, audited, identity-checked, refused when read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from flask import Flask, Request
from flask.testing import FlaskClient

from resque_web.web import create_app

from .html import forms, parse, table_rows, text


@pytest.fixture(autouse=True)
def _data(ruby_plugins_data: redis.Redis) -> None:
    """Every test here reads the resque-scheduler fixture."""


@pytest.fixture
def schedule_file(tmp_path: Path) -> str:
    path = tmp_path / "schedule.yml"
    path.write_text(
        "file_job:\n  every: 1h\n  class: FileJob\n  queue: low\n  args: [1, 'ü']\n"
        "broken:\n  cron: '99 * * *'\n  class: X\n"
    )
    return str(path)


def app_with(redis_url: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "t", "REDIS_URL": redis_url, **config})


def flash(client: FlaskClient) -> str:
    return " ".join(p.text() for p in parse(client.get("/schedule").data).find_all("p", "flash"))


def test_schedule_page_shows_rubys_persistent_schedules(client: FlaskClient) -> None:
    html = client.get("/schedule").data
    intro = parse(html).find("p", "schedule-intro").text()
    assert "Current master: sched-host.example.com:4242" in intro
    assert "3 changes waiting for a scheduler to reload" in intro
    rows = table_rows(html, "schedule")
    assert [r[0] for r in rows] == [
        "every_5m persistent",
        "nightly_report persistent",
        "tz_cron persistent",
    ]
    assert rows[1][1:6] == [
        "Nightly report",
        "cron: 0 5 * * *",
        "Reports::Nightly",
        "reports-nightly",
        "[1]",
    ]
    assert rows[1][7].startswith("2030-03-16 17:46:40 UTC")
    assert rows[0][2] == "every: 5m" and rows[0][6].startswith("within 5 minutes")
    assert rows[0][7] == "Never"
    assert rows[2][2] == "cron: 30 8 * * 1-5 America/New_York"


def test_next_run_is_computed(client: FlaskClient) -> None:
    body = client.get("/api/v1/schedule").get_json()
    nightly = next(i for i in body["items"] if i["name"] == "nightly_report")
    assert nightly["next_run"].endswith("T05:00:00+00:00")  # 0 5 * * * in UTC
    tz = next(i for i in body["items"] if i["name"] == "tz_cron")
    assert tz["next_run"].endswith("T13:30:00+00:00")  # 08:30 New York (EST) in December


def test_a_schedule_file_is_shown_with_its_errors(redis_url: str, schedule_file: str) -> None:
    client = app_with(redis_url, RESQUE_WEB_SCHEDULE_FILE=schedule_file).test_client()
    html = client.get("/schedule").data
    rows = table_rows(html, "schedule")
    file_row = next(r for r in rows if r[0].startswith("file_job"))
    assert file_row[0] == "file_job file" and file_row[5] == '[1, "ü"]'
    assert "broken: cron '99 * * *' is not a valid cron expression" in text(html)
    assert schedule_file in text(html)
    # A file entry can be queued, not deleted (it lives in the file).
    file_forms = [f for f in forms(html) if f.get("name") == "file_job"]
    assert [f["action"] for f in file_forms] == ["queue_now"]


def test_queue_now(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get("/schedule").data
    form = next(
        f for f in forms(html) if f.get("name") == "nightly_report" and f["action"] == "queue_now"
    )
    response = client.post(form.pop("_action"), data=form)
    assert response.status_code == 303 and response.headers["Location"] == "/schedule"
    assert r.lrange("resque:queue:reports-nightly", 0, -1) == [
        '{"class":"Reports::Nightly","args":[1]}'
    ]
    assert (
        flash(client) == "Queued Reports::Nightly on reports-nightly from schedule nightly_report."
    )
    entry = client.get("/api/v1/audit").get_json()["items"][0]
    assert (entry["action"], entry["target"]) == ("schedule.enqueue", "nightly_report")


def test_queue_now_from_the_file(redis_url: str, r: redis.Redis, schedule_file: str) -> None:
    client = app_with(redis_url, RESQUE_WEB_SCHEDULE_FILE=schedule_file).test_client()
    client.post("/schedule", data={"action": "queue_now", "name": "file_job"})
    assert r.lrange("resque:queue:low", 0, -1) == ['{"class":"FileJob","args":[1,"ü"]}']


def test_queue_now_without_a_queue_says_why(client: FlaskClient, r: redis.Redis) -> None:
    form = next(f for f in forms(client.get("/schedule").data) if f.get("name") == "tz_cron")
    client.post(form.pop("_action"), data=form)
    assert "Billing::Charge has no queue" in flash(client)
    assert client.get("/api/v1/audit").get_json()["items"] == []


def test_delete_a_persistent_schedule(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get("/schedule").data
    form = next(f for f in forms(html) if f.get("name") == "every_5m" and f["action"] == "remove")
    client.post(form.pop("_action"), data=form)
    assert not r.hexists("resque:persistent_schedules", "every_5m")
    assert r.sismember("resque:schedules_changed", "every_5m")
    assert flash(client) == "Deleted schedule every_5m."
    assert client.get("/api/v1/audit").get_json()["items"][0]["action"] == "schedule.remove"


def test_actions_on_a_changed_schedule_are_refused(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get("/schedule").data
    remove = next(f for f in forms(html) if f.get("name") == "every_5m" and f["action"] == "remove")
    r.hset(
        "resque:persistent_schedules", "every_5m", '{"every":"1m","class":"Archive","queue":"q"}'
    )
    client.post(remove.pop("_action"), data=remove)
    assert "was changed or deleted" in flash(client)
    assert r.hexists("resque:persistent_schedules", "every_5m")


def test_bad_schedule_requests(client: FlaskClient) -> None:
    assert client.post("/schedule", data={"action": "explode", "name": "x"}).status_code == 400
    assert client.post("/schedule", data={"action": "queue_now"}).status_code == 400
    assert (
        client.post("/schedule", data={"action": "remove", "name": "every_5m"}).status_code == 400
    )
    bad = {"action": "remove", "name": "every_5m", "digest": "not-a-digest"}
    assert client.post("/schedule", data=bad).status_code == 400


def test_read_only_and_authorize(redis_url: str, r: redis.Redis) -> None:
    client = app_with(redis_url, RESQUE_WEB_READ_ONLY="1").test_client()
    assert forms(client.get("/schedule").data) == []
    assert (
        client.post("/schedule", data={"action": "queue_now", "name": "every_5m"}).status_code
        == 403
    )

    def authorize(action: str, request: Request) -> bool:
        return action in ("view", "schedule.enqueue")

    client = app_with(redis_url, RESQUE_WEB_AUTHORIZE=authorize).test_client()
    assert {f["action"] for f in forms(client.get("/schedule").data)} == {"queue_now"}
    digest = client.get("/api/v1/schedule").get_json()["items"][0]["digest"]
    refused = client.post(
        "/schedule", data={"action": "remove", "name": "every_5m", "digest": digest}
    )
    assert refused.status_code == 403
    assert r.hexists("resque:persistent_schedules", "every_5m")


def test_cross_site_posts_are_refused(client: FlaskClient, r: redis.Redis) -> None:
    response = client.post(
        "/schedule",
        data={"action": "queue_now", "name": "file_job"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert "Cross-site request refused" in text(response.data)


def test_schedule_json(client: FlaskClient) -> None:
    body = client.get("/api/v1/schedule").get_json()
    assert (body["master"], body["pending_reloads"], body["file"]) == (
        "sched-host.example.com:4242",
        3,
        None,
    )
    nightly = next(i for i in body["items"] if i["name"] == "nightly_report")
    assert nightly["source"] == "persistent" and len(nightly["digest"]) == 40
    assert (nightly["cron"], nightly["class"], nightly["queue"], nightly["args"]) == (
        "0 5 * * *",
        "Reports::Nightly",
        "reports-nightly",
        [1],
    )
    assert nightly["last_enqueued_at"] == "2030-03-16T17:46:40+00:00"
    assert nightly["last_enqueued_text"] == "2030-03-16 17:46:40 UTC"


def test_an_empty_schedule(redis_url: str, r: redis.Redis) -> None:
    r.flushdb()
    client = app_with(redis_url, RESQUE_WEB_SCHEDULER_TABS="on").test_client()
    html = client.get("/schedule").data
    assert "no scheduler holds the master lock" in text(html)
    assert "There are no recurring jobs" in text(html)
