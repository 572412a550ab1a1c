"""Payload encoding: Ruby's bytes, clear errors before anything is written."""

from __future__ import annotations

import json

import pytest

from resque_web import payload
from resque_web.job import Job
from tests.support.dump import dump_keys


def test_compact_raw_utf8_in_rubys_key_order() -> None:
    assert payload.encode_job("Archive", [35, "tar"]) == '{"class":"Archive","args":[35,"tar"]}'
    assert payload.encode_job("U", ["é 🎉"]) == '{"class":"U","args":["é 🎉"]}'


@pytest.mark.parametrize(
    ("value", "ruby"),
    [
        (1e20, "1.0e+20"),
        (1e-7, "1.0e-07"),
        (1.5e300, "1.5e+300"),
        (0.1, "0.1"),
        (1e15, "1.0e+15"),
        (2.0, "2.0"),
    ],
)
def test_floats_spelled_as_ruby_float_to_s(value: float, ruby: str) -> None:
    assert payload.encode_job("F", [value]) == f'{{"class":"F","args":[{ruby}]}}'


def test_every_ruby_job_in_the_fixture_reencodes_to_the_same_bytes() -> None:
    """Decode each job Ruby wrote and encode it again: byte-identical, all 2,000+ of them."""
    checked = 0
    for key, entry in dump_keys().items():
        if ":queue:" not in key:
            continue
        for raw in entry["value"]:
            data = json.loads(raw)
            assert payload.encode_job(data["class"], data["args"]) == raw
            assert payload.encode(data) == raw
            checked += 1
    assert checked == 2024 + 7


def test_every_ruby_failure_reencodes_to_the_same_bytes() -> None:
    for key, entry in dump_keys().items():
        if key.endswith("failed") and entry["type"] == "list":
            for raw in entry["value"]:
                assert payload.encode(json.loads(raw)) == raw


@pytest.mark.parametrize(
    ("args", "error", "where"),
    [
        ([{1, 2}], TypeError, "args[0]"),
        ([1, {"when": object()}], TypeError, "args[1]['when']"),
        ([float("nan")], ValueError, "args[0]"),
        ([[float("inf")]], ValueError, "args[0][0]"),
        ([{1: "x"}], TypeError, "args[0]"),
    ],
)
def test_args_json_cannot_carry_are_refused_by_name(args: list, error: type, where: str) -> None:
    with pytest.raises(error, match=where.replace("[", r"\[")):
        payload.encode_job("Bad", args)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json", "not JSON"),
        ('{"args":[1]}', 'no "class"'),
        ('{"class":"A","args":{"a":1}}', "not a list"),
        ("[1,2]", "JSON list"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_items_become_jobs_that_explain_themselves(raw: str | bytes, reason: str) -> None:
    job = Job.from_raw("q", raw)
    assert not job.valid
    assert reason in (job.error or "")


def test_active_job_wrapper_shows_the_wrapped_class() -> None:
    raw = dump_keys()["resque:queue:default"]["value"][0]
    job = Job.from_raw("default", raw)
    assert job.class_name == "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"
    assert job.display_class == "ExplodingJob"
    assert job.display_args[0] == 26


def test_parse_ruby_json_sorts_text_as_ruby_json_parse_does() -> None:
    """Checked with ruby 3.1 / json 2.6.1: JSON.parse refuses NaN, Infinity, -Infinity
    ("unexpected token") and "\\ud800" ("incomplete surrogate pair"); it reads 1e400 as
    Infinity, which JSON.generate refuses; Resque.decode refuses 101 levels of nesting."""
    parse_ruby_json = payload.parse_ruby_json
    assert parse_ruby_json('[1, "\\ud83d\\ude00", {"a": null}]') == [1, "\U0001f600", {"a": None}]
    assert parse_ruby_json("-0.0") == 0.0 and parse_ruby_json("1" * 4000) == int("1" * 4000)
    for text in ("NaN", "Infinity", "-Infinity", "[NaN]", '"\\ud800"', '{"\\udc00": 1}', "tar"):
        with pytest.raises(payload.NotRubyJSON):
            parse_ruby_json(text)
    for text in ("1e400", "-1e400", "[" * 99 + "]" * 99, "[" * 50000, "9" * 5000):
        with pytest.raises(payload.UnstorableJSON):
            parse_ruby_json(text)
