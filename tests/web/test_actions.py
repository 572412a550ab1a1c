"""Every action: POST only, checked in Redis afterwards, and reported as a flash message."""

from __future__ import annotations

import json

import pytest
import redis
from flask.testing import FlaskClient

from resque_web.failure import digest
from resque_web.model import bulk
from resque_web.web.views.failed import listing

from .html import button_posts, forms, parse, text


@pytest.fixture(autouse=True)
def _data(ruby_data: redis.Redis) -> None:
    """Every test here acts on the Ruby fixture."""


def flash(client: FlaskClient, response_location: str) -> str:
    page = client.get(response_location)
    return " ".join(p.text() for p in parse(page.data).find_all("p", "flash"))


def test_get_never_mutates(client: FlaskClient, r: redis.Redis) -> None:
    client.get("/queues/default?action=clear")
    client.get("/failed?action=clear")
    assert r.llen("resque:queue:default") == 704
    assert r.llen("resque:failed") == 120


def test_clear_queue_keeps_it_registered(client: FlaskClient, r: redis.Redis) -> None:
    response = client.post("/queues/mailers", data={"action": "clear"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/queues/mailers"
    assert r.llen("resque:queue:mailers") == 0
    assert r.sismember("resque:queues", "mailers")
    assert flash(client, "/queues/mailers") == "Cleared 303 jobs from mailers."


def test_remove_queue(client: FlaskClient, r: redis.Redis) -> None:
    response = client.post("/queues/critical", data={"action": "remove"})
    assert response.headers["Location"] == "/queues"
    assert not r.exists("resque:queue:critical")
    assert not r.sismember("resque:queues", "critical")
    assert "Removed queue critical and its 204 jobs." in flash(client, "/queues")


def test_delete_one_job_by_its_raw_value(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get("/queues/critical?page=2").data
    delete_forms = [f for f in forms(html) if f.get("action") == "delete_job"]
    assert len(delete_forms) == 20
    form = delete_forms[3]
    assert form["raw"] == r.lindex("resque:queue:critical", 23)
    action = form.pop("_action")
    response = client.post(action, data=form)
    assert response.headers["Location"] == "/queues/critical?page=2&per_page=20&order=oldest"
    assert r.llen("resque:queue:critical") == 203
    assert "Deleted one job from critical." in flash(client, response.headers["Location"])
    # Identical jobs are interchangeable: a second click removes another copy, if any.
    copies = r.lrange("resque:queue:critical", 0, -1).count(form["raw"])
    client.post(action, data=form)
    assert r.llen("resque:queue:critical") == 203 - min(copies, 1)


def test_delete_a_job_already_gone(client: FlaskClient, r: redis.Redis) -> None:
    response = client.post(
        "/queues/critical", data={"action": "delete_job", "raw": '{"class":"Nope","args":[]}'}
    )
    assert "no longer in the queue" in flash(client, response.headers["Location"])
    assert r.llen("resque:queue:critical") == 204


def test_retry_one_failure(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get("/failed").data
    form = next(f for f in button_posts(html) if "retry" in f)
    index = int(form["retry"].partition(":")[0])
    record = json.loads(r.lindex("resque:failed", index) or "")
    queue = record["queue"]
    before = r.llen(f"resque:queue:{queue}")
    response = client.post(form.pop("_action"), data=form)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/failed?page=1&per_page=20&order=newest")
    assert r.llen(f"resque:queue:{queue}") == before + 1
    assert json.loads(r.lindex("resque:failed", index) or "")["retried_at"]
    assert r.llen("resque:failed") == 120
    assert flash(client, "/failed").startswith("Retried failure")


def test_remove_one_failure_by_digest(client: FlaskClient, r: redis.Redis) -> None:
    raw = r.lindex("resque:failed", 5) or ""
    response = client.post(
        "/failed", data={"action": "remove", "index": "5", "digest": digest(raw)}
    )
    assert response.status_code == 303
    assert r.llen("resque:failed") == 119
    assert raw not in r.lrange("resque:failed", 0, -1)
    # The same form again: the failure is gone, nothing else is removed.
    client.post("/failed", data={"action": "remove", "index": "5", "digest": digest(raw)})
    assert r.llen("resque:failed") == 119
    assert "no longer in the list" in flash(client, "/failed")


def test_retry_all_filtered(client: FlaskClient, r: redis.Redis) -> None:
    matching = [
        raw
        for raw in r.lrange("resque:failed", 0, -1)
        if json.loads(raw)["exception"] == "Resque::DirtyExit"
    ]
    response = client.post(
        "/failed", data={"action": "retry_all", "exception": "Resque::DirtyExit", "order": "oldest"}
    )
    assert response.headers["Location"] == "/failed?order=oldest&exception=Resque::DirtyExit"
    assert f"Retried {len(matching)} failure" in flash(client, response.headers["Location"])
    retried = [json.loads(raw) for raw in r.lrange("resque:failed", 0, -1)]
    assert all(f.get("retried_at") for f in retried if f["exception"] == "Resque::DirtyExit")


def test_clear_filtered_by_class(client: FlaskClient, r: redis.Redis) -> None:
    html = client.get("/failed?class=Ghost::MissingJob").data
    count = int(parse(html).find("b", "total").text())
    client.post("/failed", data={"action": "clear", "class": "Ghost::MissingJob"})
    assert r.llen("resque:failed") == 120 - count
    assert all("Ghost::MissingJob" not in raw for raw in r.lrange("resque:failed", 0, -1))


def test_clear_retried_and_clear_all(client: FlaskClient, r: redis.Redis) -> None:
    client.post("/failed", data={"action": "clear_retried"})
    assert r.llen("resque:failed") == 96
    assert "Cleared 24 retried failures." in flash(client, "/failed")
    client.post("/failed", data={"action": "clear"})
    assert r.llen("resque:failed") == 0
    assert "No failed jobs." in text(client.get("/failed").data)


def test_multi_queue_actions(mq_client: FlaskClient, r: redis.Redis) -> None:
    html = mq_client.get("/failed/critical").data
    form = next(f for f in button_posts(html) if "retry" in f)
    assert form["_action"] == "/failed/critical"
    mq_client.post(form.pop("_action"), data=form)
    assert r.llen("resque_mq:queue:critical") == 2
    response = mq_client.post("/failed/default", data={"action": "clear"})
    assert response.headers["Location"] == "/failed/default"
    assert r.llen("resque_mq:default_failed") == 0
    assert r.llen("resque_mq:critical_failed") == 4


def test_multi_queue_every_list(mq_client: FlaskClient, r: redis.Redis) -> None:
    mq_client.post("/failed", data={"action": "clear", "scope": "all"})
    assert "Cleared 13 failures in 4 lists." in flash(mq_client, "/failed")
    for name in ("critical", "default", "reports-nightly", "ünïcode-队列"):
        assert r.llen(f"resque_mq:{name}_failed") == 0


def test_a_long_bulk_action_goes_on_from_its_progress_page(
    client: FlaskClient, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retry all runs through the resumable bulk engine: what does not finish in the
    request (here: one chunk of 10) goes on from the operation's page, step by step (the
    page runs them by itself right after this POST only)."""
    monkeypatch.setattr(bulk, "CHUNK", 10)
    monkeypatch.setattr(listing, "RUN_HERE", 0.0)
    response = client.post("/failed", data={"action": "retry_all"})
    assert response.status_code == 303 and "/failed/bulk/" in response.headers["Location"]
    op = response.headers["Location"].rsplit("/", 1)[-1]
    assert r.llen("resque:queue:critical") + r.llen("resque:queue:default") - 704 - 204 > 0
    # The user's own POST handed it over: its page runs the steps, once (a later visit
    # to the page only shows it paused, as any other GET of it).
    assert 'data-run="1"' in client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-run="0"' in client.get(response.headers["Location"]).get_data(as_text=True)
    steps = 0
    while not get_op(client, op)["finished"]:
        client.post(f"/failed/bulk/{op}/step", headers={"Accept": "application/json"})
        steps += 1
    assert steps >= 1
    found = get_op(client, op)
    assert found["status"] == "done" and found["message"] == "Retried 120 failures."
    listed = [json.loads(raw) for raw in r.lrange("resque:failed", 0, -1)]
    assert len(listed) == 120 and all(f.get("retried_at") for f in listed)
    audit = client.get("/api/v1/audit").get_json()["items"][0]
    assert audit["action"] == "failed.retry_all" and audit["count"] == 120


def get_op(client: FlaskClient, op: str) -> dict[str, object]:
    return client.get(f"/api/v1/failed/bulk/{op}").get_json()


def test_unknown_action_is_a_400(client: FlaskClient) -> None:
    assert client.post("/queues/default", data={"action": "explode"}).status_code == 400
    assert client.post("/failed", data={"action": "explode"}).status_code == 400
    assert client.post("/failed", data={"action": "retry", "index": "x"}).status_code == 400
