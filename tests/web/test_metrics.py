"""``GET /metrics``: Prometheus' text format, the names the README documents, numbers equal
to the dashboard's own, any queue name as a label, and the dashboard's auth."""

from __future__ import annotations

import base64
import time

import pytest
import redis
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from resque_web import Resque, times
from resque_web.keys import Keys
from resque_web.model import metrics as metrics_model
from resque_web.web import create_app

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient, url: str = "/metrics", **kwargs: object) -> Samples:
    response = client.get(url, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    out: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def named(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def test_numbers_equal_the_dashboards_on_ruby_data(
    client: FlaskClient, ruby_data: redis.Redis
) -> None:
    samples = scrape(client)
    stats = client.get("/api/v1/stats").get_json()
    assert value(samples, "resque_up") == 1
    assert value(samples, "resque_jobs_processed_total") == stats["processed"]
    assert value(samples, "resque_jobs_failed_total") == stats["failed"] == 112
    assert value(samples, "resque_failed_jobs") == stats["failed_listed"] == 120
    assert value(samples, "resque_workers", state="busy") == stats["working"] == 3
    assert value(samples, "resque_workers", state="idle") == stats["workers"] - 3
    queues = {dict(k)["queue"]: v for k, v in named(samples, "resque_queue_jobs").items()}
    keys = Keys()
    assert queues == {q: ruby_data.llen(keys.queue(q)) for q in ruby_data.smembers(keys.queues)}
    assert queues["ünïcode-队列"] == 101 and queues["empty-after-drain"] == 0
    assert sum(queues.values()) == stats["pending"]
    assert named(samples, "resque_failed_list_jobs") == {}
    # No scheduler keys in this namespace: no delayed metrics at all.
    assert not any(name.startswith("resque_delayed") for name, _ in samples)


def test_stale_workers_are_those_resque_would_prune(
    client: FlaskClient, ruby_data: redis.Redis
) -> None:
    """Ruby's all_workers_with_expired_heartbeats: a beat older than 300 s by Redis' clock;
    a worker that never beat is left alone (and not counted)."""
    keys = Keys()
    seconds, _ = ruby_data.time()
    beats = ruby_data.hgetall(keys.heartbeats)
    registered = ruby_data.smembers(keys.workers)
    expected = sum(
        1
        for wid in registered
        if wid in beats and seconds - (times.epoch(beats[wid]) or seconds) > 300
    )
    assert expected == 8  # the fixture's heartbeats are all old; one worker never beat
    assert value(scrape(client), "resque_workers_stale") == expected
    fresh = sorted(w for w in registered if w in beats)[0]
    ruby_data.hset(keys.heartbeats, fresh, times.heartbeat(seconds - 10))
    almost = sorted(w for w in registered if w in beats)[1]
    ruby_data.hset(keys.heartbeats, almost, times.heartbeat(seconds - 290))
    assert value(scrape(client), "resque_workers_stale") == expected - 2


def test_multi_queue_failure_lists(mq_client: FlaskClient, ruby_data: redis.Redis) -> None:
    keys = Keys("resque_mq")
    lists = ruby_data.smembers(keys.failed_queues)
    assert lists
    samples = scrape(mq_client)
    per_list = {dict(k)["list"]: v for k, v in named(samples, "resque_failed_list_jobs").items()}
    assert per_list == {name: ruby_data.llen(keys.failed_list(name)) for name in lists}
    stored = ruby_data.llen(keys.failed) + sum(per_list.values())
    assert value(samples, "resque_failed_jobs") == stored
    assert stored == mq_client.get("/api/v1/stats").get_json()["failed_listed"]


def test_delayed_jobs_from_real_resque_scheduler_keys(
    client: FlaskClient, ruby_plugins_data: redis.Redis
) -> None:
    samples = scrape(client)
    assert value(samples, "resque_delayed_jobs") == 25  # count_all_scheduled_jobs in Ruby
    assert value(samples, "resque_delayed_timestamps") == 16
    now, _ = ruby_plugins_data.time()
    due = value(samples, "resque_delayed_oldest_due_seconds")
    assert now - 1796329840 - 2 <= due <= now - 1796329840 + 2  # the earliest retry


def test_delayed_jobs_not_yet_due_and_past_the_counting_cap(
    client: FlaskClient, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = Keys()
    later = int(time.time()) + 3600
    for n in range(5):
        r.zadd(keys.delayed_schedule, {str(later + n): later + n})
        r.rpush(keys.delayed(later + n), *['{"class":"A","args":[]}'] * 3)
    samples = scrape(client)
    assert value(samples, "resque_delayed_jobs") == 15
    assert value(samples, "resque_delayed_oldest_due_seconds") == 0
    # Past the cap, each uncounted timestamp counts as the one job it holds at least.
    monkeypatch.setattr(metrics_model, "DELAYED_COUNT_CAP", 2)
    assert value(scrape(client), "resque_delayed_jobs") == 2 * 3 + 3


def test_any_queue_name_is_a_label(client: FlaskClient, r: redis.Redis) -> None:
    resque = Resque(r)
    names = ['a"b', "new\nline", "back\\slash", "ünï 队列", "{x=1}", "#"]
    for n, name in enumerate(names):
        for _ in range(n + 1):
            resque.enqueue_to(name, "Job")
    queues = {dict(k)["queue"]: v for k, v in named(scrape(client), "resque_queue_jobs").items()}
    assert queues == {name: n + 1 for n, name in enumerate(names)}


def test_a_key_of_the_wrong_type_leaves_out_only_its_number(
    client: FlaskClient, r: redis.Redis
) -> None:
    keys = Keys()
    Resque(r).enqueue_to("good", "Job")
    r.sadd(keys.queues, "broken")
    r.set(keys.queue("broken"), "not a list")
    r.set(keys.processed, "not a number")
    samples = scrape(client)
    assert value(samples, "resque_up") == 1
    queues = {dict(k)["queue"]: v for k, v in named(samples, "resque_queue_jobs").items()}
    assert queues == {"good": 1}
    assert value(samples, "resque_jobs_processed_total") == 0


def test_redis_down_answers_up_zero() -> None:
    from resque_web.redis_server import free_port

    app = create_app(
        {"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
         "RESQUE_WEB_REDIS_TIMEOUT": 0.5}
    )  # fmt: skip
    samples = scrape(app.test_client())
    assert samples == {("resque_up", ()): 0.0}


def test_openmetrics_when_asked(client: FlaskClient, ruby_data: redis.Redis) -> None:
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_same_auth_as_every_page(redis_url: str, r: redis.Redis) -> None:
    app = create_app({"TESTING": True, "REDIS_URL": redis_url, "RESQUE_WEB_AUTH": "ops:s3cret"})
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "resque_" not in refused.get_data(as_text=True)
    assert value(scrape(client, headers=basic("ops", "s3cret")), "resque_up") == 1
    assert client.get("/metrics", headers=basic("ops", "wrong")).status_code == 401
    # No unauthenticated path unless configured.
    assert client.get("/public/metrics").status_code == 401


def test_authorize_view_applies(redis_url: str) -> None:
    app = create_app(
        {"TESTING": True, "REDIS_URL": redis_url, "RESQUE_WEB_AUTHORIZE": lambda a, r: False}
    )
    assert app.test_client().get("/metrics").status_code == 403


def test_public_path_only_when_configured(redis_url: str, r: redis.Redis) -> None:
    app = create_app(
        {"TESTING": True, "REDIS_URL": redis_url, "RESQUE_WEB_AUTH": "ops:s3cret",
         "RESQUE_WEB_METRICS_PATH": "/public/metrics", "RESQUE_WEB_URL_PREFIX": "/resque"}
    )  # fmt: skip
    client = app.test_client()
    assert value(scrape(client, "/public/metrics"), "resque_up") == 1
    assert client.get("/resque/metrics").status_code == 401  # the dashboard's keeps its login
    assert client.get("/resque/overview").status_code == 401
    with pytest.raises(ValueError, match="dashboard's own /metrics"):
        create_app({"REDIS_URL": redis_url, "RESQUE_WEB_METRICS_PATH": "/metrics"})
    with pytest.raises(ValueError, match="must be a path"):
        create_app({"REDIS_URL": redis_url, "RESQUE_WEB_METRICS_PATH": "metrics"})
