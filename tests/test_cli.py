"""``resque-web enqueue``: JSON args, plain strings, what it prints, clear failures."""

from __future__ import annotations

import redis
from click.testing import CliRunner

from resque_web.cli import main


def test_enqueue_parses_json_args_and_says_what_it_did(redis_url: str, r: redis.Redis) -> None:
    result = CliRunner().invoke(
        main,
        ["enqueue", "--redis", redis_url, "--queue", "file_serve", "Archive",
         "35", '"tar"', '{"k":1}', "plain words", "null"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert r.lpop("resque:queue:file_serve") == (
        '{"class":"Archive","args":[35,"tar",{"k":1},"plain words",null]}'
    )
    assert "enqueued Archive" in result.output and "resque:queue:file_serve" in result.output


def test_enqueue_with_namespace(redis_url: str, r: redis.Redis) -> None:
    args = ["enqueue", "--redis", redis_url, "--namespace", "resque_mq", "-q", "d", "A"]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert r.smembers("resque_mq:queues") == {"d"}


def test_enqueue_names_the_cause_when_redis_is_down() -> None:
    result = CliRunner().invoke(
        main, ["enqueue", "--redis", "redis://127.0.0.1:1/0", "--queue", "q", "A"]
    )
    assert result.exit_code != 0
    assert "redis://127.0.0.1:1/0" in result.output and "Is Redis running" in result.output
