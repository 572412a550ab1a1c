"""``resque-web enqueue --in/--at`` and ``resque-web scheduler``'s argument errors."""

from __future__ import annotations

import time

import redis
from click.testing import CliRunner

from resque_web.cli import main


def test_enqueue_in_delays_the_job(redis_url: str, r: redis.Redis) -> None:
    before = int(time.time())
    result = CliRunner().invoke(
        main, ["enqueue", "--redis", redis_url, "-q", "mail", "--in", "600", "Mailer", "7", "x"]
    )
    assert result.exit_code == 0, result.output
    [epoch] = [int(e) for e in r.zrange("resque:delayed_queue_schedule", 0, -1)]
    assert before + 600 <= epoch <= int(time.time()) + 600
    assert r.lrange(f"resque:delayed:{epoch}", 0, -1) == [
        '{"class":"Mailer","args":[7,"x"],"queue":"mail"}'
    ]
    assert "delayed Mailer(7, 'x') for queue 'mail' until" in result.output
    assert f"resque:delayed:{epoch}" in result.output


def test_enqueue_at_epoch_and_iso(redis_url: str, r: redis.Redis) -> None:
    runner = CliRunner()
    base = ["enqueue", "--redis", redis_url, "-q", "q"]
    assert runner.invoke(main, [*base, "--at", "1900000000", "J", "1"]).exit_code == 0
    assert runner.invoke(main, [*base, "--at", "2030-03-17T17:46:40Z", "J", "2"]).exit_code == 0
    assert r.lrange("resque:delayed:1900000000", 0, -1) == [
        '{"class":"J","args":[1],"queue":"q"}',
        '{"class":"J","args":[2],"queue":"q"}',
    ]
    past = runner.invoke(main, [*base, "--at", "1000", "J", "3"])
    assert "enqueued J(3,)" in past.output  # already due: straight onto the queue, as Ruby
    assert r.lrange("resque:queue:q", 0, -1) == ['{"class":"J","args":[3]}']
    bad = runner.invoke(main, [*base, "--at", "tomorrow", "J"])
    assert bad.exit_code == 2 and "neither epoch seconds nor an ISO 8601 time" in bad.output
    both = runner.invoke(main, [*base, "--at", "1", "--in", "1", "J"])
    assert both.exit_code == 2 and "not both" in both.output


def test_scheduler_names_a_missing_file_and_a_dead_redis(redis_url: str) -> None:
    missing = CliRunner().invoke(
        main, ["scheduler", "--redis", redis_url, "--schedule", "/nonexistent/s.yml"]
    )
    assert missing.exit_code == 2 and "/nonexistent/s.yml: no such file" in missing.output
    dead = CliRunner().invoke(main, ["scheduler", "--redis", "redis://127.0.0.1:1/0"])
    assert dead.exit_code == 1 and "cannot reach Redis at redis://127.0.0.1:1/0" in dead.output
