"""The failure index never shows a wrong count, whatever happens to the list underneath."""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from collections import Counter

import pytest
import redis

from resque_web import Resque, times
from resque_web.failure import FailedJob, FailureList, digest
from resque_web.keys import Keys
from resque_web.model import Dashboard, FailureFilter
from resque_web.model.failure_index import FailureIndex, columns
from resque_web.model.failure_index.columns import Memo
from resque_web.model.failure_index.looks import Looker
from resque_web.model.failure_index.reading import Fields, read_row
from tests.support.roundtrips import count_redis

KEY = "resque:failed"
CLASSES = ["Archive", "Billing::Charge", "Mailer", "Ghost::MissingJob"]
EXCEPTIONS = ["KeyError", "Lab::UpstreamTimeout", "ZeroDivisionError"]


def record(rng: random.Random, distinct: bool) -> str:
    # Few distinct values on purpose: byte-identical neighbours are what could fool the check.
    failed_at = f"2026/11/27 17:05:{rng.randint(0, 59) if distinct else 0:02d} UTC"
    return json.dumps(
        {
            "failed_at": failed_at,
            "payload": {
                "class": rng.choice(CLASSES),
                "args": [rng.randint(0, 2) if distinct else 0],
            },
            "exception": rng.choice(EXCEPTIONS),
            "error": "boom",
            "backtrace": [],
            "worker": "w:1:*",
            "queue": "q",
        },
        separators=(",", ":"),
    )


def truth(r: redis.Redis) -> tuple[Counter[str], Counter[str]]:
    rows = [FailedJob(i, raw) for i, raw in enumerate(r.lrange(KEY, 0, -1))]
    return Counter(f.display_class for f in rows), Counter(f.exception for f in rows)


def mutate(r: redis.Redis, rng: random.Random) -> str:
    size = r.llen(KEY)
    op = rng.choices(["append", "remove", "retry", "lrem", "clear"], [5, 4, 2, 1, 0.2])[0]
    if op == "append" or size == 0:
        r.rpush(KEY, *[record(rng, rng.random() < 0.5) for _ in range(rng.randint(1, 5))])
        return "append"
    index = rng.randrange(size)
    if op == "remove":  # Ruby's Failure.remove: LSET a tombstone, LREM it
        tomb = uuid.uuid4().hex
        r.lset(KEY, index, tomb)
        r.lrem(KEY, 1, tomb)
    elif op == "retry":  # Ruby's requeue rewrites in place with retried_at
        data = json.loads(r.lindex(KEY, index))
        data["retried_at"] = "2026/11/27 18:00:00 UTC"
        r.lset(KEY, index, json.dumps(data, separators=(",", ":")))
    elif op == "lrem":
        r.lrem(KEY, rng.choice([0, 1, -1]), r.lindex(KEY, index))
    else:
        r.delete(KEY)
    return op


def dashboard_change(r: redis.Redis, rng: random.Random) -> str:
    """A change made through the dashboard (logged for the index): remove, retry, retry and
    remove, or remove a selection, of records named by position and digest."""
    failures = FailureList(r, Keys("resque"), KEY)
    size = r.llen(KEY)
    if size == 0:
        r.rpush(KEY, record(rng, True))
        return "append"
    # Often the newest: what people remove first, and where the index's window is.
    pick = [rng.randrange(max(0, size - 20), size) if rng.random() < 0.5 else rng.randrange(size)]
    pick += [rng.randrange(size) for _ in range(rng.choice([0, 0, 1, 5]))]
    rows = [(i, digest(r.lindex(KEY, i))) for i in sorted(set(pick))]
    op = rng.choice(["remove", "retry", "retry+remove"])
    if op == "retry+remove":
        failures.act_on(rows, "retry", remove=True)
    else:
        failures.act_on(rows, op)
    return f"dashboard {op} {[i for i, _ in rows]}"


def exact(r: redis.Redis) -> dict[str, list[int]]:
    """Positions of each class and of the retried failures, read from the list itself."""
    out: dict[str, list[int]] = {}
    for i, raw in enumerate(r.lrange(KEY, 0, -1)):
        failure = FailedJob(i, raw)
        out.setdefault(failure.display_class, []).append(i)
        if failure.retried:
            out.setdefault("(retried)", []).append(i)
    return out


def indexed(index: FailureIndex) -> dict[str, list[int]]:
    out = {name: index.select(FailureFilter(job_class=name)) for name, _ in index.counts()[0]}
    retried = index.select(FailureFilter(retried=True))
    return {**out, **({"(retried)": retried} if retried else {})}


@pytest.mark.parametrize("seed", range(4))
def test_dashboard_removals_are_followed_without_a_rebuild(r: redis.Redis, seed: int) -> None:
    """Removals and retries through the dashboard are logged: the index drops and marks
    exactly those positions (every position of every class, and the retried flags, stay
    exact) and never reads the list again, while workers keep appending. (A list whose
    remembered end is removed whole is re-read; 300 records keep this one long enough.)"""
    rng = random.Random(seed)
    r.rpush(KEY, *[record(rng, rng.random() < 0.5) for _ in range(300)])
    index = FailureIndex(r, KEY)
    index.current(None)
    for step in range(120):
        ops = [
            dashboard_change(r, rng) if rng.random() < 0.7 else mutate_append(r, rng)
            for _ in range(rng.randint(1, 3))
        ]
        assert indexed(index) == exact(r), f"step {step} after {ops}"
    assert index.rebuilds == 0


@pytest.mark.parametrize("seed", range(4))
def test_dashboard_and_ruby_changes_mixed_never_give_a_wrong_count(
    r: redis.Redis, seed: int
) -> None:
    rng = random.Random(100 + seed)
    index = FailureIndex(r, KEY)
    for step in range(150):
        ops = [
            dashboard_change(r, rng) if rng.random() < 0.5 else mutate(r, rng)
            for _ in range(rng.randint(1, 4))
        ]
        classes, exceptions = index.counts()
        want_classes, want_exceptions = truth(r)
        assert dict(classes) == dict(want_classes), f"step {step} after {ops}"
        assert dict(exceptions) == dict(want_exceptions), f"step {step} after {ops}"


def mutate_append(r: redis.Redis, rng: random.Random) -> str:
    r.rpush(KEY, *[record(rng, rng.random() < 0.5) for _ in range(rng.randint(1, 3))])
    return "append"


@pytest.mark.parametrize("seed", range(4))
def test_counts_match_a_full_read_after_every_change(r: redis.Redis, seed: int) -> None:
    rng = random.Random(seed)
    index = FailureIndex(r, KEY)
    for step in range(150):
        # Several changes between two looks, as when workers and other dashboards are busy.
        op = ",".join(mutate(r, rng) for _ in range(rng.randint(1, 4)))
        classes, exceptions = index.counts()
        want_classes, want_exceptions = truth(r)
        assert dict(classes) == dict(want_classes), f"step {step} after {op}"
        assert dict(exceptions) == dict(want_exceptions), f"step {step} after {op}"


def test_a_record_sliding_into_a_run_of_identical_records_is_seen(r: redis.Redis) -> None:
    """The case the change point alone cannot see: the prefix ends in identical records, one
    of them is removed and a different record is appended, so the length is unchanged."""
    rng = random.Random(2)
    same = record(rng, False)
    r.rpush(KEY, record(rng, True), record(rng, True), same, same, same)
    index = FailureIndex(r, KEY)
    index.counts()
    r.lrem(KEY, 1, same)
    other = json.loads(same)
    other["payload"]["class"] = "Different"
    r.rpush(KEY, json.dumps(other, separators=(",", ":")))
    classes, _ = index.counts()
    assert dict(classes) == dict(truth(r)[0])
    assert dict(classes)["Different"] == 1


def test_appends_are_read_incrementally(r: redis.Redis) -> None:
    rng = random.Random(1)
    r.rpush(KEY, *[record(rng, True) for _ in range(3000)])
    index = FailureIndex(r, KEY)
    index.counts()
    r.rpush(KEY, *[record(rng, True) for _ in range(10)])
    index.counts()
    assert index.rebuilds == 0
    tomb = uuid.uuid4().hex
    r.lset(KEY, 5, tomb)
    r.lrem(KEY, 1, tomb)
    index.counts()
    assert index.rebuilds == 1


def test_filtered_page_and_facets_on_ruby_data(ruby_data: redis.Redis) -> None:
    d = Dashboard(Resque(ruby_data))
    classes = dict(d.failures.facets()[0])
    assert len(classes) == 14 and sum(classes.values()) == 120
    page = d.failures.page(per_page=3, page=2, filter=FailureFilter(job_class="ExplodingJob"))
    assert page.total == classes["ExplodingJob"]
    assert len(page.items) == 3 and all(f.display_class == "ExplodingJob" for f in page.items)
    assert page.indexes == sorted(page.indexes, reverse=True)
    both = FailureFilter(job_class="Ghost::MissingJob", exception="NameError")
    assert d.failures.page(filter=both).total == classes["Ghost::MissingJob"]
    assert d.failures.page(filter=FailureFilter(exception="NoSuchError")).total == 0


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_the_minute_memo_reads_failed_at_like_the_parser(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index parses each minute once and adds the seconds; that must equal a full
    parse for every format Resque writes, unreadable seconds included."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    times.clear_cache()  # zoneless times are read in the zone of the moment
    try:
        memo = Memo()
        for text in [
            "2026/11/20 20:52:09 UTC",
            "2026/11/20 20:52:59",
            "2026-03-08 02:30:15",  # a local time that does not exist in New York
            "2026-11-01 01:30:15",  # one that exists twice there
            "2026-11-27T17:05:08+05:30",
            "2026-11-27 17:05:08 +0100",
            "2026/11/20 20:52:60 UTC",
            "2026/11/20 20:52:5x UTC",
            "  2026/11/20 20:52:09 UTC",
            "   2026/11/20 20:52:09 UTC",  # misaligned: the minute memo must not apply
            "2026/11/20    20:52:09 UTC",
            "2026/1/2      20:52:09",
            "2026-11-27T17+05:08",
            "",
        ]:
            parsed = times.parse(text)
            expected = math.nan if parsed is None else parsed.timestamp()
            assert memo.epoch(text) == pytest.approx(expected, nan_ok=True), text
    finally:
        monkeypatch.undo()
        time.tzset()
        times.clear_cache()


class Meddler:
    """A real client through which the index reads, that lets other writers change the
    list just before each of the index's reads: the interleavings a busy list produces."""

    def __init__(self, r: redis.Redis, rng: random.Random) -> None:
        self._r, self._rng = r, rng

    def __getattr__(self, name: str) -> object:
        return getattr(self._r, name)

    def _meddle(self) -> None:
        if self._rng.random() < 0.4:
            roll = self._rng.random()
            if roll < 0.5:
                dashboard_change(self._r, self._rng)
            elif roll < 0.8:
                mutate_append(self._r, self._rng)
            else:
                mutate(self._r, self._rng)

    def pipeline(self, *args: object, **kwargs: object) -> object:
        self._meddle()
        return self._r.pipeline(*args, **kwargs)

    def lrange(self, *args: object) -> object:
        self._meddle()
        return self._r.lrange(*args)

    def lindex(self, *args: object) -> object:
        self._meddle()
        return self._r.lindex(*args)


@pytest.mark.parametrize("seed", range(6))
def test_changes_between_the_index_reads_never_give_a_wrong_count(
    r: redis.Redis, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each look is one MULTI (the check, the log's counter and the records after the
    prefix), and the log is read with its counter, so a change landing between two of the
    index's reads (or while a look sent ahead is under way) is seen on the next look, never
    half-applied."""
    monkeypatch.setattr("resque_web.model.failure_index.index.CHUNK", 7)
    rng = random.Random(500 + seed)
    r.rpush(KEY, *[record(rng, rng.random() < 0.3) for _ in range(40)])
    meddler = Meddler(r, random.Random(seed))
    send = Looker.send
    meddling = [True]

    def meddled(self: Looker, *args: object, **kwargs: object) -> None:
        if meddling[0]:
            meddler._meddle()
        send(self, *args, **kwargs)  # type: ignore[arg-type]
        if meddling[0]:
            meddler._meddle()  # the look is under way while the chunk before it is indexed

    monkeypatch.setattr(Looker, "send", meddled)
    index = FailureIndex(meddler, KEY)  # type: ignore[arg-type]
    for step in range(60):
        ops = [dashboard_change(r, rng) if rng.random() < 0.6 else mutate(r, rng)]
        index.current(None)
        meddling[0] = False  # a change after the last look is for the next look to see
        index.current(None)
        quiet = FailureIndex(r, KEY)  # a fresh full read of the list as it is now
        facets, truth_facets = index.facets(refresh=False), quiet.facets()
        assert facets == truth_facets, f"step {step} after {ops}"
        meddling[0] = True


def test_a_different_record_slid_into_a_run_of_identical_ones_is_seen(r: redis.Redis) -> None:
    """Byte-identical failures (a burst in one second): two removed inside the final run,
    then workers append one of each. The run's end still looks the same; the run as a
    whole does not."""
    a, b = (json.dumps({"payload": {"class": name, "args": []}, "error": "x"}) for name in "AB")
    r.rpush(KEY, a, a, b, b, b, b)
    index = FailureIndex(r, KEY)
    index.counts()
    for position in (4, 2):  # Ruby's remove: a tombstone, then LREM
        r.lset(KEY, position, "gone")
        r.lrem(KEY, 1, "gone")
    r.rpush(KEY, a, b)
    assert dict(index.counts()[0]) == dict(truth(r)[0]) == {"A": 3, "B": 3}


def test_an_edited_retry_is_read_again_not_taken_for_a_retry(r: redis.Redis) -> None:
    """Editing an ActiveJob failure's arguments can change the class it shows: the log
    cannot say what changed, so the index reads the list again."""
    wrapper = "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"

    def active_job(job_class: str) -> str:
        payload = {"class": wrapper, "args": [{"job_class": job_class, "arguments": []}]}
        return json.dumps({"payload": payload, "error": "x", "queue": "q"})

    r.rpush(KEY, *[active_job("SendMail") for _ in range(3)])
    index = FailureIndex(r, KEY)
    index.counts()
    failures = FailureList(r, Keys("resque"), KEY)
    edited = [{"job_class": "SendSms", "arguments": []}]
    assert failures.retry_edited(1, digest(r.lindex(KEY, 1)), edited).ok
    assert dict(index.counts()[0]) == {"SendMail": 2, "SendSms": 1}


def test_a_rebuild_under_way_never_answers_with_partial_counts(
    r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that found the index caught up reads it a moment later; if another
    thread has meanwhile started a rebuild, the request sees the last complete counts,
    not the few records the rebuild has read so far."""
    monkeypatch.setattr("resque_web.model.failure_index.index.CHUNK", 3)
    rng = random.Random(9)
    r.rpush(KEY, *[record(rng, True) for _ in range(20)])
    index = FailureIndex(r, KEY)
    before = dict(index.counts()[0])
    tomb = uuid.uuid4().hex
    r.lset(KEY, 0, tomb)  # Ruby's remove: the index must rebuild
    r.lrem(KEY, 1, tomb)
    with index._lock:  # what the rebuilding thread does, step by step
        while index.rebuilds == 0 or index.n == 0:
            index._step()
        assert 0 < index.n < 19  # partway through the rebuild
        shown = dict(index.facets(refresh=False)["class"])
    assert shown == before  # the last complete counts, not the partial ones
    assert dict(index.counts()[0]) == dict(truth(r)[0])


def fresh_process_index(r: redis.Redis) -> FailureIndex:
    """An index as a new process starts it: nothing in memory, saving after any read."""
    index = FailureIndex(r, KEY, keys=Keys("resque"))
    index.save_after = 1
    return index


def test_a_new_process_starts_from_the_saved_index(
    r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    r.rpush(KEY, *[record(rng, rng.random() < 0.5) for _ in range(500)])
    fresh_process_index(r).current(None)  # the first process builds and saves it
    r.rpush(KEY, *[record(rng, True) for _ in range(20)])  # then workers append
    decoded: list[str] = []

    def spy(raws: list[str], list_queue: str | None) -> Fields:
        decoded.extend(raws)
        return Fields(raws, list_queue)

    monkeypatch.setattr(columns, "Fields", spy)
    later = fresh_process_index(r)
    later.save_after = 1000  # 20 new records are not worth saving again
    with count_redis() as tally:
        later.current(None)
    assert indexed(later) == exact(r)
    assert later.rebuilds == 0
    assert len(decoded) == 20  # only the records appended since the save
    assert tally.round_trips == 2  # the saved index, then one look


@pytest.mark.parametrize("seed", range(4))
def test_a_saved_index_is_checked_like_a_built_one(r: redis.Redis, seed: int) -> None:
    """Every process that starts sees the changes since the save: dashboard changes
    (followed from the log), appends, and Ruby's removals (a rebuild). (Ruby's retries are
    not logged: the retried flag catches up at a rebuild, as in a process's own index.)"""
    rng = random.Random(300 + seed)
    r.rpush(KEY, *[record(rng, rng.random() < 0.5) for _ in range(200)])
    fresh_process_index(r).current(None)
    for step in range(40):
        ops = [
            dashboard_change(r, rng) if rng.random() < 0.5 else mutate(r, rng)
            for _ in range(rng.randint(1, 3))
        ]
        classes, exceptions = fresh_process_index(r).counts()
        want_classes, want_exceptions = truth(r)
        assert dict(classes) == dict(want_classes), f"step {step} after {ops}"
        assert dict(exceptions) == dict(want_exceptions), f"step {step} after {ops}"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "not json",
        lambda text: text.replace('"format":1', '"format":99'),
        lambda text: json.dumps({**json.loads(text), "n": json.loads(text)["n"] + 1}),
        lambda text: json.dumps({**json.loads(text), "failed_at": "!!"}),
    ],
)
def test_an_unreadable_saved_index_is_ignored(r: redis.Redis, spoil: object) -> None:
    rng = random.Random(9)
    r.rpush(KEY, *[record(rng, True) for _ in range(100)])
    fresh_process_index(r).current(None)
    saved = Keys("resque").failure_index(KEY)
    r.set(saved, spoil(r.get(saved)))  # type: ignore[operator]
    index = fresh_process_index(r)
    assert indexed(index) == exact(r)


def test_the_fast_reader_says_what_failed_job_says() -> None:
    """read_row skips what the index does not need; on every record it reads what a
    FailedJob reads, odd ones included (msgspec refuses them: FailedJob reads those)."""
    odd = [
        "not json",
        "[1,2]",
        '{"payload":"{\\"class\\":\\"Raw\\",\\"args\\":[]}"}',
        '{"payload":{"class":"ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper",'
        '"args":[{"job_class":"SendMail"}]},"exception":"E","error":"x 12"}',
        '{"payload":{"class":5},"exception":{"a":1},"error":7,"failed_at":false}',
        '{"payload":[1],"exception":false,"error":"","queue":3,"retried_at":0}',
        '{"payload":{"class":"A","args":[NaN]},"exception":"E"}',
        '{"payload":{"class":"A"},"exception":"\\ud800","error":"1e400","x":1e400}',
        '{"payload":{"class":"A","class":"B"},"retried_at":"2026-01-01","queue":"q"}',
        '{"payload":null,"exception":null,"error":null,"failed_at":null}',
    ]
    rng = random.Random(5)
    for raw in odd + [record(rng, True) for _ in range(50)]:
        for list_queue in (None, "mail"):
            job = FailedJob(0, raw, list_queue)
            want = (job.display_class, job.exception, job.error, job.queue,
                    job.failed_at_text, job.retried)  # fmt: skip
            assert read_row(raw, list_queue) == want, raw
