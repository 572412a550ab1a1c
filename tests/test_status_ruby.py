"""Bytes real resque-status 0.5 wrote, pinned against ``resque_web.status``.

Every expected value below was captured by hand from real Ruby, not computed: resque-status
0.5.0 and Resque 3.0.0 run from their lib/ on Ruby 3.1.2 (json 2.6.1, multi_json with the
``json_gem`` adapter, redis-namespace 1.9, TZ=UTC) against a private redis-server. A job
``Thumb`` (queue ``images``, the same perform as tests/status_jobs.py's, one branch per
``options["mode"]``) was created with ``Thumb.create(options)`` and performed by a
``Resque::Worker`` with ``FORK_PER_JOB=false``; ``GET status:<uuid>`` after ``create`` and
after the worker finished gave RUBY_QUEUED and RUBY_FINAL, ``LINDEX queue:images 0``
RUBY_JOB. RUBY_STEPS is every value ``Status::Hash.set`` wrote for options ``{"photo" => 9}``
(``expire_in = 3600``: each had TTL 3600), in order.

Here the same job runs through the worker's own path (``Job.perform``) with the clock and
the uuids pinned to what Ruby had, and must write exactly those bytes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from resque_web import Keys, Resque
from resque_web.status import StatusJob, StatusStore, store
from tests.status_jobs import Thumb
from tests.support.dump import RUBY_PLUGINS, dump_keys

# Capture 1: `Time.now` was 1796330836 (2026-12-03 20:47:16 UTC) throughout.
T1 = 1796330836
# Capture 2 (mode "steps", expire_in 3600): 1796330877.
T2 = 1796330877
STEPS_UUID = "6108b99ee8fef6678b7529c1573fc534"
# The shared fixture (ruby-plugins-small.json) was captured at 2026-12-03 20:29:40 UTC.
FIXTURE_TIME = 1796329780
RUBY_OPTIONS: dict[str, dict[str, Any]] = {
    "done": {
        "mode": "done",
        "photo": 1,
        "f": 1.0e20,
        "u": 'ünï "q" \\ \n',
        "n": None,
        "t": True,
        "a": [1, [2], {"x": -0.5}],
        "h": {},
    },
    "fail": {"mode": "fail"},
    "noname": {"mode": "noname"},
    "kill": {"mode": "kill"},
    "nan": {"mode": "nan"},
    "plain": {"mode": "plain"},
}

RUBY_UUIDS = {
    "done": "edc889866eb3f228863f4d0b3350b2b8",
    "fail": "a4d45487a4b23aa2fcd37210dde5b748",
    "noname": "6677b45a34dfa17d2d36175ecedc315d",
    "kill": "cf195ba8f21dc8992c54aca5b9abe6a3",
    "nan": "893e91a9f8e7f346dbc2dbb4a3c1b9d2",
    "plain": "b681aca3450c250a5507b8ea7b47d699",
}
RUBY_QUEUED = {
    "done": (
        b'{"time":1796330836,"status":"queued","uuid":"edc889866eb3f228863f4d'
        b'0b3350b2b8","options":{"mode":"done","photo":1,"f":1.0e+20,"u":"\xc3\xbc'
        b'n\xc3\xaf \\"q\\" \\\\ \\n","n":null,"t":true,"a":[1,[2],{"x":-0.5}'
        b'],"h":{}}}'
    ),
    "fail": (
        b'{"time":1796330836,"status":"queued","uuid":"a4d45487a4b23aa2fcd372'
        b'10dde5b748","options":{"mode":"fail"}}'
    ),
    "noname": (
        b'{"time":1796330836,"status":"queued","uuid":"6677b45a34dfa17d2d3617'
        b'5ecedc315d","options":{"mode":"noname"}}'
    ),
    "kill": (
        b'{"time":1796330836,"status":"queued","uuid":"cf195ba8f21dc8992c54ac'
        b'a5b9abe6a3","options":{"mode":"kill"}}'
    ),
    "nan": (
        b'{"time":1796330836,"status":"queued","uuid":"893e91a9f8e7f346dbc2db'
        b'b4a3c1b9d2","options":{"mode":"nan"}}'
    ),
    "plain": (
        b'{"time":1796330836,"status":"queued","uuid":"b681aca3450c250a5507b8'
        b'ea7b47d699","options":{"mode":"plain"}}'
    ),
}
RUBY_FINAL = {
    "done": (
        b'{"time":1796330836,"status":"completed","uuid":"edc889866eb3f228863'
        b'f4d0b3350b2b8","options":{"mode":"done","photo":1,"f":1.0e+20,"u":"'
        b'\xc3\xbcn\xc3\xaf \\"q\\" \\\\ \\n","n":null,"t":true,"a":[1,[2],{"'
        b'x":-0.5}],"h":{}},"name":"Thumb({\\"mode\\"=>\\"done\\", \\"photo\\'
        b'"=>1, \\"f\\"=>1.0e+20, \\"u\\"=>\\"\xc3\xbcn\xc3\xaf \\\\\\"q\\\\\\'
        b'" \\\\\\\\ \\\\n\\", \\"n\\"=>nil, \\"t\\"=>true, \\"a\\"=>[1, [2],'
        b' {\\"x\\"=>-0.5}], \\"h\\"=>{}})","num":4,"total":4,"message":"Comp'
        b'leted at 2026-12-03 20:47:16 +0000","url":"/thumbs/1.png","sizes":['
        b"1,2.5]}"
    ),
    "fail": (
        b'{"time":1796330836,"status":"failed","uuid":"a4d45487a4b23aa2fcd372'
        b'10dde5b748","options":{"mode":"fail"},"name":"Thumb({\\"mode\\"=>\\'
        b'"fail\\"})","num":2,"total":10,"message":"The task failed because o'
        b'f an error: disk full"}'
    ),
    "noname": (
        b'{"time":1796330836,"status":"failed","uuid":"6677b45a34dfa17d2d3617'
        b'5ecedc315d","options":{"mode":"noname"},"name":"Thumb({\\"mode\\"=>'
        b'\\"noname\\"})","message":"The task failed because of an error: Run'
        b'timeError"}'
    ),
    "kill": (
        b'{"time":1796330836,"status":"killed","uuid":"cf195ba8f21dc8992c54ac'
        b'a5b9abe6a3","options":{"mode":"kill"},"name":"Thumb({\\"mode\\"=>\\'
        b'"kill\\"})","message":"Killed at 2026-12-03 20:47:16 +0000"}'
    ),
    "nan": (
        b'{"time":1796330836,"status":"failed","uuid":"893e91a9f8e7f346dbc2db'
        b'b4a3c1b9d2","options":{"mode":"nan"},"name":"Thumb({\\"mode\\"=>\\"'
        b'nan\\"})","message":"The task failed because of an error: Called at'
        b'() with total=0 which is not a number"}'
    ),
    "plain": (
        b'{"time":1796330836,"status":"completed","uuid":"b681aca3450c250a550'
        b'7b8ea7b47d699","options":{"mode":"plain"},"name":"Thumb({\\"mode\\"'
        b'=>\\"plain\\"})","message":"Completed at 2026-12-03 20:47:16 +0000"'
        b"}"
    ),
}
RUBY_JOB = (
    b'{"class":"Thumb","args":["edc889866eb3f228863f4d0b3350b2b8",{"mode"'
    b':"done","photo":1,"f":1.0e+20,"u":"\xc3\xbcn\xc3\xaf \\"q\\" \\\\ \\'
    b'n","n":null,"t":true,"a":[1,[2],{"x":-0.5}],"h":{}}]}'
)
RUBY_STEPS = [
    (
        b'{"time":1796330877,"status":"queued","uuid":"6108b99ee8fef6678b7529'
        b'c1573fc534","options":{"photo":9}}'
    ),
    (
        b'{"time":1796330877,"status":"working","uuid":"6108b99ee8fef6678b752'
        b'9c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9})"'
        b"}"
    ),
    (
        b'{"time":1796330877,"status":"working","uuid":"6108b99ee8fef6678b752'
        b'9c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9})"'
        b',"num":1,"total":4,"message":"resized 1 of 4"}'
    ),
    (
        b'{"time":1796330877,"status":"working","uuid":"6108b99ee8fef6678b752'
        b'9c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9})"'
        b',"num":1,"total":4,"message":"halfway"}'
    ),
    (
        b'{"time":1796330877,"status":"working","uuid":"6108b99ee8fef6678b752'
        b'9c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9})"'
        b',"num":1,"total":4,"message":"halfway"}'
    ),
    (
        b'{"time":1796330877,"status":"working","uuid":"6108b99ee8fef6678b752'
        b'9c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9})"'
        b',"num":1,"total":4,"message":"cropping","step":"crop"}'
    ),
    (
        b'{"time":1796330877,"status":"working","uuid":"6108b99ee8fef6678b752'
        b'9c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9})"'
        b',"num":2.5,"total":4.0,"message":"cropping","step":"crop"}'
    ),
    (
        b'{"time":1796330877,"status":"working","uuid":"6108b99ee8fef6678b752'
        b'9c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9})"'
        b',"num":3,"total":"4","message":"cropping","step":"crop"}'
    ),
    (
        b'{"time":1796330877,"status":"completed","uuid":"6108b99ee8fef6678b7'
        b'529c1573fc534","options":{"photo":9},"name":"Thumb({\\"photo\\"=>9}'
        b')","num":3,"total":"4","message":"all done","step":"crop","url":"/t'
        b'humbs/1.png"}'
    ),
]


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ruby ran with TZ=UTC: ``Completed at ... +0000``."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def pin(monkeypatch: pytest.MonkeyPatch, at: int, uuids: list[str]) -> None:
    """Stamp statuses at ``at`` and hand out ``uuids`` in order, as Ruby did."""
    monkeypatch.setattr(store, "now", lambda: float(at))
    given = iter(uuids)
    monkeypatch.setattr(store, "generate_uuid", lambda: next(given))


def stored(r: redis.Redis, uuid: str) -> bytes:
    raw = r.get(Keys().status(uuid))
    assert isinstance(raw, str), uuid
    return raw.encode()


def perform_next(resque: Resque, queue: str) -> BaseException | None:
    """Take the next job and perform it as the worker does; its exception, if any."""
    job = resque.reserve(queue)
    assert job is not None
    try:
        job.perform()
    except Exception as exc:
        return exc
    return None


def test_create_writes_rubys_queued_status_and_job(
    r: redis.Redis, resque: Resque, utc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin(monkeypatch, T1, list(RUBY_UUIDS.values()))
    monkeypatch.setattr(StatusJob, "resque", resque)
    for mode, uuid in RUBY_UUIDS.items():
        assert Thumb.create(RUBY_OPTIONS[mode]) == uuid
        assert stored(r, uuid) == RUBY_QUEUED[mode], mode
    assert r.lindex("resque:queue:images", 0).encode() == RUBY_JOB
    assert r.zrange("resque:_statuses", 0, -1, withscores=True) == sorted(
        (uuid, float(T1)) for uuid in RUBY_UUIDS.values()
    )
    assert r.smembers("resque:queues") == {"images"}


def test_performing_writes_rubys_final_statuses(
    r: redis.Redis, resque: Resque, utc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin(monkeypatch, T1, list(RUBY_UUIDS.values()))
    monkeypatch.setattr(StatusJob, "resque", resque)
    for mode in RUBY_UUIDS:
        Thumb.create(RUBY_OPTIONS[mode])
    errors = {mode: perform_next(resque, "images") for mode in RUBY_UUIDS}
    for mode, uuid in RUBY_UUIDS.items():
        assert stored(r, uuid) == RUBY_FINAL[mode], mode
    # As in Ruby, a raised error goes on to the worker; a kill and a plain return do not.
    assert {m for m, e in errors.items() if e is not None} == {"fail", "noname", "nan"}
    assert str(errors["fail"]) == "disk full"
    assert r.smembers("resque:_kill") == set()  # the killed job took itself off the list


def test_each_update_writes_rubys_bytes_and_ttl(
    r: redis.Redis, resque: Resque, utc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``at``, ``tick`` with and without messages, hashes, float and string totals,
    ``completed`` with a message and an extra key, with ``expire_in``; and the create
    drops uuids older than ``expire_in`` from ``_statuses`` (a recent one stays)."""
    pin(monkeypatch, T2, [STEPS_UUID])
    monkeypatch.setattr(StatusJob, "resque", resque)
    monkeypatch.setattr(Thumb, "expire_in", 3600)
    r.zadd("resque:_statuses", {"old0": T2 - 7200, "recent0": T2 - 10})
    writes: list[tuple[bytes, int]] = []
    original = store.StatusStore.set

    def traced(self: store.StatusStore, uuid: str, *messages: Any) -> dict[str, Any]:
        value = original(self, uuid, *messages)
        writes.append((stored(r, uuid), r.ttl(Keys().status(uuid))))
        return value

    monkeypatch.setattr(store.StatusStore, "set", traced)
    assert Thumb.create(photo=9) == STEPS_UUID
    writes.append((stored(r, STEPS_UUID), r.ttl(Keys().status(STEPS_UUID))))
    assert perform_next(resque, "images") is None
    assert [w for w, _ in writes] == RUBY_STEPS
    assert {ttl for _, ttl in writes} == {3600}
    assert r.zrange("resque:_statuses", 0, -1, withscores=True) == [
        ("recent0", float(T2 - 10)),
        (STEPS_UUID, float(T2)),
    ]


class FixtureThumb(StatusJob):
    """What the job behind the shared fixture's statuses did (README of the fixtures):
    done 10 of 10 with ``url``, failed at 2 of 10, killed before its first step."""

    resque_class = "Thumb"  # the name Ruby's job had (not registered: tests.status_jobs is)
    queue = "images"

    def perform(self) -> None:
        mode = self.options["mode"]
        if mode == "done":
            self.at(10, 10)
            self.completed(url=f"/thumbs/{self.options['photo']}.png")
        elif mode == "fail":
            self.at(2, 10)
            raise RuntimeError("disk full")
        elif mode == "kill":
            self.store.kill(self.uuid)
            self.at(1, 10)


def test_our_writes_equal_the_shared_fixtures_bytes(
    r: redis.Redis, resque: Resque, utc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The five statuses of ``ruby-plugins-small.json``, written again from Python with
    Ruby's clock and uuids, byte for byte (and the queued one's job)."""
    fixture = dump_keys(RUBY_PLUGINS)
    cases = {
        "ec2500e8df37a36b5490b4224cb69772": {"mode": "done", "photo": 1},
        "29521e527f32fa899900f82c83833cb2": {"mode": "fail", "photo": 2},
        "18917fc372fbca4b7f8c3e951326c231": {"mode": "kill", "photo": 3},
        "b9791eb96a4b0840d00fbcc006499710": {"mode": "done", "photo": 4},
    }
    pin(monkeypatch, FIXTURE_TIME, list(cases))
    monkeypatch.setattr(FixtureThumb, "resque", resque)
    for uuid, options in cases.items():
        assert FixtureThumb.create(options) == uuid
    queued = "b9791eb96a4b0840d00fbcc006499710"
    for _ in range(3):  # the fourth stays queued, as in the fixture
        job = resque.reserve("images")
        assert job is not None
        with contextlib.suppress(RuntimeError):
            FixtureThumb.perform(*job.args)
    assert r.lrange("resque:queue:images", 0, -1) == fixture["resque:queue:images"]["value"]
    working = "528cb74c365f233c7b1226ea110a9790"  # Ruby wrote it with Hash.set alone
    StatusStore(resque).set(working, {"status": "working", "num": 3, "total": 8}, "resized 3 of 8")
    for uuid in [*cases, working]:
        assert r.get(Keys().status(uuid)) == fixture[f"resque:status:{uuid}"]["value"], uuid
    assert queued in r.zrange("resque:_statuses", 0, -1)
