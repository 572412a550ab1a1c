"""Pause and prune through the dashboard: POST only, authorized, audited, read-only aware,
the banner on every page, paused queues on their rows, Remove on exactly the stale workers."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from resque_web import Resque, times
from resque_web.keys import Keys
from resque_web.web import create_app
from resque_web.web.views.operations import pause_banner

K = Keys()
OLD = "2020-01-01T00:00:00+00:00"
BUSY = '{"queue":"q","run_at":"2020-01-01T00:00:00Z","payload":{"class":"Archive","args":[1]}}'


def make_app(redis_url: str, **config: Any) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "REDIS_URL": redis_url, **config})


def dead_worker(r: redis.Redis, wid: str, beat: str = OLD, job: str | None = BUSY) -> None:
    r.sadd(K.workers, wid)
    r.hset(K.heartbeats, wid, beat)
    if job:
        r.set(K.worker(wid), job)


def audit_actions(client: FlaskClient) -> list[str]:
    return [e["action"] for e in client.get("/api/v1/audit").get_json()["items"]]


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_pause_all_sets_resques_key_and_every_page_shows_the_banner(
    client: FlaskClient, r: redis.Redis
) -> None:
    assert "Every worker is paused" not in text(client, "/workers")
    response = client.post("/workers", data={"action": "pause_all", "next": "/queues?page=1"})
    assert response.status_code == 303 and response.location == "/queues?page=1"
    assert r.get(K.pause_all_workers) == "true"
    for url in ("/overview", "/queues", "/failed", "/stats/resque", "/audit", "/workers"):
        assert "Every worker is paused" in text(client, url), url
    assert 'value="resume_all"' in text(client, "/workers")
    assert client.post("/workers", data={"action": "resume_all"}).status_code == 303
    assert r.get(K.pause_all_workers) is None
    assert "Every worker is paused" not in text(client, "/overview")
    assert audit_actions(client) == ["workers.resume_all", "workers.pause_all"]


def test_another_processes_pause_shows_within_the_banner_ttl(
    redis_url: str, r: redis.Redis
) -> None:
    app = make_app(redis_url)
    client = app.test_client()
    assert "Every worker is paused" not in text(client, "/overview")
    r.set(K.pause_all_workers, "true")  # Ruby, another dashboard, redis-cli
    banner = pause_banner(app.blueprints["resque_web"])  # type: ignore[arg-type]
    banner.ttl = 0.0

    def shown() -> bool:
        return "Every worker is paused" in text(client, "/overview")

    deadline = time.monotonic() + 5
    while not shown():
        assert time.monotonic() < deadline, "the banner never appeared"
        time.sleep(0.05)
    r.set(K.queues_paused_all, "true")
    deadline = time.monotonic() + 5
    while "Every queue is paused" not in text(client, "/overview"):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_queue_pause_and_resume_from_the_rows(client: FlaskClient, r: redis.Redis) -> None:
    resque = Resque(r)
    for name in ("mail", "odd/name ü"):
        resque.enqueue_to(name, "Job")
    page = text(client, "/queues")
    assert "badge-paused" not in page and page.count('value="pause"') == 2
    response = client.post("/queue-pause/odd/name ü", data={"action": "pause", "next": "/"})
    assert response.status_code == 303
    assert r.get(K.queue_paused("odd/name ü")) == "true"
    for url in ("/queues",):  # the overview's preview shows sizes only (3 round trips)
        page = text(client, url)
        assert page.count("badge-paused") == 1 and page.count('value="resume"') == 1, url
    client.post("/queue-pause/odd/name ü", data={"action": "resume"})
    assert r.get(K.queue_paused("odd/name ü")) is None
    assert audit_actions(client) == ["queue.resume", "queue.pause"]


def test_remove_button_only_on_workers_resque_would_prune(
    client: FlaskClient, r: redis.Redis
) -> None:
    seconds, _ = r.time()
    dead_worker(r, "h:1:q")
    dead_worker(r, "h:2:q", beat=times.heartbeat(seconds - 5))
    r.sadd(K.workers, "h:3:q")  # stale to the eye (no heartbeat) but Ruby never prunes it
    page = text(client, "/workers")
    assert page.count('value="prune"') == 1 and 'value="h:1:q"' in page
    assert f'value="{OLD}"' in page
    assert 'value="prune"' in text(client, "/workers/h:1:q")
    assert 'value="prune"' not in text(client, "/workers/h:3:q")
    response = client.post(
        "/workers", data={"action": "prune", "worker": "h:1:q", "heartbeat": OLD}
    )
    assert response.status_code == 303
    assert r.smembers(K.workers) == {"h:2:q", "h:3:q"}
    assert r.llen(K.failed) == 1
    flash = text(client, "/workers")
    assert "Removed 1 stale worker (h:1:q)" in flash and "Resque::DirtyExit" in flash
    assert audit_actions(client) == ["workers.prune"]


def test_remove_all_stale_and_what_the_flash_says(client: FlaskClient, r: redis.Redis) -> None:
    for n in range(5):
        dead_worker(r, f"h:{n}:q", job=BUSY if n % 2 else None)
    client.post("/workers", data={"action": "prune_stale"})
    assert r.scard(K.workers) == 0 and r.llen(K.failed) == 2
    page = text(client, "/workers")
    assert "Removed 5 stale workers (h:0:q, h:1:q, h:2:q and 2 more)" in page
    assert "2 jobs in flight were recorded as Resque::DirtyExit failures" in page
    client.post("/workers", data={"action": "prune_stale"})
    assert "No worker is stale: nothing was removed." in text(client, "/workers")
    entries = client.get("/api/v1/audit").get_json()["items"]
    assert [(e["action"], e["count"]) for e in entries] == [("workers.prune", 5)]


def test_a_worker_that_beat_since_the_page_was_shown_is_left_alone(
    client: FlaskClient, r: redis.Redis
) -> None:
    dead_worker(r, "h:1:q")
    r.hset(K.heartbeats, "h:1:q", times.heartbeat())  # it beat after the page was drawn
    client.post("/workers", data={"action": "prune", "worker": "h:1:q", "heartbeat": OLD})
    assert r.sismember(K.workers, "h:1:q") and r.llen(K.failed) == 0
    assert "Left h:1:q alone: it sent a heartbeat since" in text(client, "/workers")
    assert audit_actions(client) == []


@pytest.mark.parametrize(
    ("url", "data", "action"),
    [
        ("/workers", {"action": "pause_all"}, "workers.pause"),
        ("/workers", {"action": "resume_all"}, "workers.pause"),
        ("/workers", {"action": "prune_stale"}, "workers.prune"),
        ("/workers", {"action": "prune", "worker": "h:1:q", "heartbeat": OLD}, "workers.prune"),
        ("/queue-pause/mail", {"action": "pause"}, "queue.pause"),
        ("/queue-pause/mail", {"action": "resume"}, "queue.pause"),
    ],
)
def test_each_action_is_authorized_by_name(
    redis_url: str, r: redis.Redis, url: str, data: dict[str, str], action: str
) -> None:
    asked: list[str] = []

    def refuse(name: str, request: object) -> bool:
        asked.append(name)
        return name == "view"

    dead_worker(r, "h:1:q")
    Resque(r).enqueue_to("mail", "Job")
    before = {k: r.dump(k) for k in r.keys("*")}
    client = make_app(redis_url, RESQUE_WEB_AUTHORIZE=refuse).test_client()
    assert client.post(url, data=data).status_code == 403
    assert action in asked
    assert {k: r.dump(k) for k in r.keys("*")} == before
    for page in ("/workers", "/queues", "/workers/h:1:q"):
        body = text(client, page)
        assert 'name="action" value="pause' not in body and 'value="prune' not in body
        assert 'value="resume' not in body


def test_read_only_hides_and_refuses(redis_url: str, r: redis.Redis) -> None:
    dead_worker(r, "h:1:q")
    Resque(r).enqueue_to("mail", "Job")
    r.set(K.pause_all_workers, "true")
    client = make_app(redis_url, RESQUE_WEB_READ_ONLY=True).test_client()
    for url in ("/workers", "/queues", "/overview"):
        body = text(client, url)
        assert 'value="pause' not in body and 'value="prune' not in body
        assert 'value="resume' not in body
    assert "Every worker is paused" in text(client, "/workers")
    for url, action in (("/workers", "resume_all"), ("/queue-pause/mail", "pause")):
        assert client.post(url, data={"action": action}).status_code == 403
    assert r.get(K.pause_all_workers) == "true"


def test_get_never_acts_and_bad_input_is_a_readable_400(
    client: FlaskClient, r: redis.Redis
) -> None:
    assert client.get("/workers?action=pause_all").status_code == 200
    assert client.get("/queue-pause/mail?action=pause").status_code in (404, 405)
    assert r.get(K.pause_all_workers) is None and r.get(K.queue_paused("mail")) is None
    for url, data in (
        ("/workers", {"action": "explode"}),
        ("/workers", {"action": "prune"}),
        ("/queue-pause/mail", {"action": "explode"}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)
    # A redirect target off this site is ignored.
    response = client.post("/workers", data={"action": "pause_all", "next": "//evil.example/"})
    assert response.location == "/workers"


def test_cross_site_post_is_refused(client: FlaskClient, r: redis.Redis) -> None:
    response = client.post(
        "/workers", data={"action": "pause_all"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403 and r.get(K.pause_all_workers) is None


def test_pages_answer_503_not_500_when_redis_is_down() -> None:
    from resque_web.redis_server import free_port

    app = make_app(f"redis://127.0.0.1:{free_port()}/0", RESQUE_WEB_REDIS_TIMEOUT=0.3)
    client = app.test_client()
    assert client.get("/workers").status_code == 503
    assert client.post("/workers", data={"action": "pause_all"}).status_code == 503
