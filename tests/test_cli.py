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


def test_enqueue_takes_what_ruby_does_not_call_json_as_strings(
    redis_url: str, r: redis.Redis
) -> None:
    """Python's json reads NaN, Infinity, -Infinity and lone surrogate escapes; Ruby's
    JSON.parse refuses them ("unexpected token", "incomplete surrogate pair"), so, as the
    README says of anything that is not JSON, each is taken as the string typed."""
    typed = ["NaN", "Infinity", "-Infinity", "[1, NaN]", '"\\ud800"', '{"a": -Infinity}']
    result = CliRunner().invoke(
        main, ["enqueue", "--redis", redis_url, "--queue", "q", "A", "--", *typed]
    )
    assert result.exit_code == 0, result.output
    # Ruby: Resque.encode({"class" => "A", "args" => typed}), bytes checked by hand.
    assert r.lpop("resque:queue:q") == (
        '{"class":"A","args":["NaN","Infinity","-Infinity","[1, NaN]","\\"\\\\ud800\\"",'
        '"{\\"a\\": -Infinity}"]}'
    )


def test_enqueue_refuses_json_no_ruby_job_can_hold_and_writes_nothing(
    redis_url: str, r: redis.Redis
) -> None:
    """1e400 is JSON (Ruby reads Infinity) but cannot be written back; 99 levels of nesting
    make a payload Ruby's JSON.parse refuses (max_nesting 100). Both are refused, naming the
    argument and the fix, before anything is written."""
    for bad, words in (
        ("1e400", "too large for a float"),
        ("[" * 99 + "]" * 99, "deeper than 98 levels"),
        ("[" * 5000 + "]" * 5000, "deeper than 98 levels"),
    ):
        result = CliRunner().invoke(
            main, ["enqueue", "--redis", redis_url, "--queue", "q", "A", "1", bad]
        )
        assert result.exit_code == 2, result.output
        assert "argument 2" in result.output and words in result.output
        assert "quote it" in result.output or "Ruby's JSON" in result.output
    assert r.exists("resque:queue:q", "resque:queues") == 0
    deepest = "[" * 98 + "]" * 98  # what Ruby still reads
    ok = CliRunner().invoke(main, ["enqueue", "--redis", redis_url, "--queue", "q", "A", deepest])
    assert ok.exit_code == 0, ok.output
