"""The cold build's fast path (bulk reading, per-shape and per-day memos) gives exactly the
index the slow path gives: every record read by FailedJob, one at a time."""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import redis

from resque_web import payload, times
from resque_web.connection import connect
from resque_web.failure import FailedJob
from resque_web.keys import Keys
from resque_web.model.failure_filter import NONE
from resque_web.model.failure_index import FailureIndex, snapshot
from resque_web.model.failure_index.columns import Columns
from resque_web.model.failure_index.looks import Looker
from resque_web.model.failure_index.reading import read_row, slow_row

KEY = "resque:failed"
WRAPPER = "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"
ZONES = [
    "UTC", "utc", "GMT", "UT", "Z", "EST", "CEST", "IST", "FOO", "+0530", "-03", "+05:30",
    "-0000", "",
]  # fmt: skip


def slow_index(raws: list[bytes], list_queue: str | None = None) -> dict[str, object]:
    """What the index must hold, from FailedJob alone (the old, slow path)."""
    dims: dict[str, list[str]] = {"class": [], "exception": [], "queue": [], "group": []}
    fingerprints: dict[str, tuple[str, str]] = {}
    failed_at, retried = [], []
    for raw in raws:
        job = FailedJob(0, raw.decode("utf-8", "resque_web.exact"), list_queue)
        dims["class"].append(job.display_class)
        dims["exception"].append(job.exception or NONE)
        dims["queue"].append(job.queue)
        dims["group"].append(job.group)
        fingerprints.setdefault(job.group, (job.exception or NONE, job.fingerprint))
        failed_at.append(job.failed_epoch)
        retried.append(job.retried)
    out: dict[str, object] = {"n": len(raws), "fingerprints": fingerprints, "retried": retried}
    for name, values in dims.items():
        names = list(dict.fromkeys(values))
        ids = {v: i for i, v in enumerate(names)}
        postings = {v: [p for p, w in enumerate(values) if w == v] for v in names}
        out[name] = (names, [ids[v] for v in values], [postings[v] for v in names])
    out["failed_at"] = [None if v is None else round(v, 6) for v in failed_at]
    return out


def fast_index(columns: Columns) -> dict[str, object]:
    out: dict[str, object] = {
        "n": columns.n,
        "fingerprints": dict(columns.fingerprints),
        "retried": [bool(x) for x in columns.retried],
        "failed_at": [None if math.isnan(v) else round(v, 6) for v in columns.failed_at],
    }
    for name, dim in columns.dims.items():
        out[name] = (dim.names, list(dim.column), [list(p) for p in dim.postings])
    return out


def odd_records(rng: random.Random) -> Iterator[bytes]:
    """Records of every kind the index meets: Resque's own, odd zones, messages that only
    differ in digits (one shape), escapes, bytes that are not UTF-8, broken JSON."""
    for i in range(300):
        zone = rng.choice(ZONES)
        stamp = f"2026/{rng.choice(['03/08', '03/29', '11/01', '12/31'])} {rng.randint(0, 23):02d}:"
        stamp += f"{rng.randint(0, 59):02d}:{rng.choice(['00', '09', '59', '60', '5x'])}"
        stamp += f" {zone}" if zone and zone[0].isalpha() and zone != "Z" else zone
        if rng.random() < 0.1:
            stamp = rng.choice(
                ["2026-11-27T17:05:08+05:30", "2026-11-27T17:05:08Z", "2026-02-30 10:00:00 UTC",
                 "2026/11/27 24:00:00 UTC", "  2026/11/27 10:00:00 UTC", "", "yesterday",
                 "0001-01-01 00:00:00 +14:00", "9999-12-31 23:59:59 -14:00",
                 "2026/11/27 10:00:00.5 UTC", "2026/11/27 10:00:00  UTC"]
            )  # fmt: skip
        digits = rng.choice(  # only 0 and "0x" tell messages of one fingerprint apart
            [str(rng.randint(0, 1200)), f"{rng.choice('01')}x{rng.randint(0, 31):x}", "007", "2.5"]
        )
        error = rng.choice(
            [
                f"Couldn't find User with 'id'={digits}",
                f"timeout after {digits}s at http://api{digits[:1]}.example.com/v1/{digits}?k={digits}",
                f"user{digits}@example.com refused",
                f"caf\u00e9 {digits} \u2028 line",
                f"deadbeef{digits}cafe",
                "no digits here",
            ]
        )
        payload: object = {"class": rng.choice(["Archive", "Billing::Charge", "", 5, None]),
                           "args": [i, "x"]}  # fmt: skip
        if rng.random() < 0.15:
            first = rng.choice([{"job_class": "SendMail"}, {"job_class": 3}, "plain", None])
            payload = {"class": WRAPPER, "args": [first] if first != "none" else []}
        if rng.random() < 0.05:
            payload = json.dumps(payload)  # a payload stored as a string
        record = {
            "failed_at": stamp,
            "payload": payload,
            "exception": rng.choice(["KeyError", "Net::ReadTimeout", "", None, 7]),
            "error": error if rng.random() < 0.95 else rng.choice([None, 12, ["a"]]),
            "backtrace": [f"app/x.rb:{i}:in `go'"],
            "worker": "w:1:*",
            "queue": rng.choice(["default", "mail", None, 3]),
        }
        if rng.random() < 0.2:
            record["retried_at"] = rng.choice(["2026/11/27 18:00:00 UTC", "", 0, 1, [], {}])
        text = json.dumps(record, ensure_ascii=rng.random() < 0.5)
        roll = rng.random()
        if roll < 0.05:  # PHP's json_encode: escaped slashes and \\u escapes, digits too
            text = text.replace("/", "\\/").replace("2", "\\u0032", 1)
        elif roll < 0.08:
            text = text.replace("refused", "refused \\ud800")  # a lone surrogate escape
        elif roll < 0.11:
            text = text.replace('"x"', "NaN")
        elif roll < 0.14:
            text = text[: len(text) // 2]  # cut short
        data = text.encode()
        if rng.random() < 0.05:
            data = data.replace(b"w:1:*", b"w:\xff:*")  # not UTF-8, in a skipped field
        if rng.random() < 0.05:
            data = data.replace(b"Archive", b"Arch\xffive")  # not UTF-8, in a read one
        yield data
    deep = '{"payload":{"class":"A","args":[]},"exception":"E","backtrace":%s}'
    yield (deep % ("[" * 99 + "]" * 99)).encode()  # 100 levels: Ruby reads it
    yield (deep % ("[" * 3000 + "]" * 3000)).encode()  # unreadable
    yield ('{"payload":{"class":"A"},"error":"x","backtrace":[%s]}' % ("1" * 5000)).encode()
    yield ('{"payload":{"class":"A"},"error":"x","backtrace":["%s"]}' % ("1" * 5000)).encode()
    yield b'{"payload":{"class":"A"},"pay\\u006coad":{"class":"B"},"error":"\\u0032 x"}'
    yield b'{"payload":{"class":"A"},"error":"\\u2028 x","exception":"E"}'
    yield b'{"payload":{"class":"A"},"error":"\\u1111 x","exception":"E"}'
    yield b"[1,2]"
    yield b"\xef\xbb\xbf{}"
    yield b"not json"


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Kolkata"])
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Zoneless and named times are read in this machine's zone."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    times.clear_cache()
    yield request.param
    monkeypatch.undo()
    time.tzset()
    times.clear_cache()


@pytest.mark.parametrize("chunk", [7, 2000])
def test_the_cold_build_equals_failed_job_on_odd_records(
    r: redis.Redis, redis_url: str, zone: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("resque_web.model.failure_index.index.CHUNK", chunk)
    raws = list(odd_records(random.Random(zone)))
    r.rpush(KEY, *raws)
    index = FailureIndex(connect(redis_url), KEY)  # reads bytes that are not UTF-8 exactly
    index.current(None)
    assert fast_index(index._shown.columns) == slow_index(raws)
    # Rebuilt (Ruby's removal) with the memos warm: still the same.
    r.lset(KEY, 3, "gone")
    r.lrem(KEY, 1, "gone")
    del raws[3]
    index.current(None)
    assert index.rebuilds == 1
    assert fast_index(index._shown.columns) == slow_index(raws)


def test_the_cold_build_equals_failed_job_on_ruby_data(
    ruby_data: redis.Redis, redis_url: str
) -> None:
    keys = [k for k in ruby_data.scan_iter("*failed") if ruby_data.type(k) == "list"]
    assert keys
    raw_client = redis.Redis.from_url(redis_url)  # the bytes as stored
    for key in keys:
        index = FailureIndex(connect(redis_url), key)
        index.current(None)
        raws = raw_client.lrange(key, 0, -1)
        assert len(raws) > 0
        assert fast_index(index._shown.columns) == slow_index(raws), key


def test_one_record_reads_as_failed_job_reads_it_as_bytes_or_text() -> None:
    for raw in odd_records(random.Random(11)):
        text = raw.decode("utf-8", "resque_web.exact")
        for list_queue in (None, "mail"):
            want = slow_row(raw, list_queue)
            assert read_row(raw, list_queue) == want, raw
            assert read_row(text, list_queue) == want, raw


def nested(depth: int, where: str) -> bytes:
    """A record whose ``where`` nests so that the record is ``depth`` levels deep."""
    record: dict[str, object] = {
        "failed_at": "2026/11/27 17:05:08 UTC",
        "payload": {"class": "Deep", "args": [1]},
        "exception": "E",
        "error": "x",
        "backtrace": ["a.rb:1"],
        "worker": "w:1:*",
        "queue": "q",
    }
    if where == "backtrace":  # the record, the backtrace, then arrays in it
        record["backtrace"] = json.loads("[" * (depth - 1) + "]" * (depth - 1))
    elif where == "objects":  # objects in the backtrace
        record["backtrace"] = [json.loads('{"a":' * (depth - 2) + "1" + "}" * (depth - 2))]
    elif where == "args":  # the record, the payload, the arguments, then arrays in them
        record["payload"] = {
            "class": "Deep",
            "args": json.loads("[" * (depth - 2) + "]" * (depth - 2)),
        }
    elif where == "field":  # a field the index does not know
        record["extra"] = json.loads("[" * (depth - 1) + "]" * (depth - 1))
    text = json.dumps(record, separators=(",", ":"))
    assert payload.nesting_exceeds(json.loads(text), depth - 1)
    assert not payload.nesting_exceeds(json.loads(text), depth)
    return text.encode()


@pytest.mark.parametrize("where", ["backtrace", "objects", "args", "field"])
def test_a_record_nested_deeper_than_ruby_reads_is_unreadable_in_the_index_too(
    r: redis.Redis, redis_url: str, where: str
) -> None:
    """Ruby reads JSON at most 100 levels deep; FailedJob calls a deeper record unreadable
    (its class "(unknown)"), and the index must count it so. msgspec reads ~990 levels,
    so the index checks: a 100-level record is read, 101 and 150 are not."""
    raws = [nested(depth, where) for depth in (99, 100, 101, 150, 500)]
    raws += [json.dumps({"payload": {"class": "Plain", "args": []}}).encode()] * 3
    r.rpush(KEY, *raws)
    index = FailureIndex(connect(redis_url), KEY)
    index.current(None)
    assert fast_index(index._shown.columns) == slow_index(raws)
    assert dict(index.counts()[0]) == {"Deep": 2, "(unknown)": 3, "Plain": 3}


def test_a_look_sent_ahead_that_cannot_check_the_prefix_is_asked_again(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next look is sent before a chunk is indexed, so it reads the prefix's last
    AHEAD_CHECK records for the check; a chunk that ends in a longer run of identical
    records needs more (the change point is further back): that look is asked again,
    and nothing is taken from the one sent ahead."""
    monkeypatch.setattr("resque_web.model.failure_index.index.CHUNK", 100)
    rng = random.Random(3)
    raws = [*odd_records(rng)][:60]
    raws += [raws[0]] * 250 + [*odd_records(rng)][:60]
    r.rpush(KEY, *raws)
    looked: list[int] = []
    look = Looker.look

    def counted(self: Looker, start: int, *args: object) -> object:
        looked.append(start)
        return look(self, start, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Looker, "look", counted)
    index = FailureIndex(connect(redis_url), KEY)
    index.current(None)
    assert fast_index(index._shown.columns) == slow_index(raws)
    assert index.rebuilds == 0
    assert looked == [0, 200, 300]  # asked again at both prefixes that end in the run


def test_a_waiting_page_gets_its_answer_before_the_index_is_saved(
    r: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first process saves its index for the others after it answers: a page
    waiting for the cold build does not wait for the save too."""
    raws = [*odd_records(random.Random(4))]
    r.rpush(KEY, *raws)
    saving, release = threading.Event(), threading.Event()
    dump = snapshot.dump

    def slow_dump(*args: object) -> str:
        saving.set()
        assert release.wait(10)
        return dump(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot, "dump", slow_dump)
    index = FailureIndex(connect(redis_url), KEY, keys=Keys("resque"))
    index.save_after = 1
    assert index.current(5.0)
    assert saving.wait(5)  # the save is under way, the answer was given
    assert dict(index.facets(refresh=False)["class"]) == dict(
        Counter(FailedJob(0, raw.decode("utf-8", "resque_web.exact")).display_class for raw in raws)
    )
    assert not r.exists(Keys("resque").failure_index(KEY))
    release.set()
    index.current(None)  # waits for the save (it holds the index's lock)
    assert r.exists(Keys("resque").failure_index(KEY))
