"""Failure triage in the data layer: fingerprints, composed filters answered by the index,
groups, held removals and their undo, edited retries, and bulk operations that touch
exactly their filter while workers keep failing jobs."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
import redis

from resque_web import Resque
from resque_web.failure import FailedJob, normalize
from resque_web.model import Dashboard, FailureFilter, FilterError
from resque_web.model.failure_index.columns import SAME_FINGERPRINT

KEY = "resque:failed"


def record(
    job_class: str,
    exception: str,
    error: str,
    queue: str = "default",
    args: list[object] | None = None,
    failed_at: str = "2026/11/27 17:05:08 UTC",
    retried_at: str | None = None,
) -> str:
    data: dict[str, object] = {
        "failed_at": failed_at,
        "payload": {"class": job_class, "args": args if args is not None else [1]},
        "exception": exception,
        "error": error,
        "backtrace": [],
        "worker": "w:1:*",
        "queue": queue,
    }
    if retried_at:
        data["retried_at"] = retried_at
    return json.dumps(data, separators=(",", ":"))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Couldn't find User with 'id'=42", "Couldn't find User with 'id'=97"),
        (
            "timeout after 30s GET https://api.x.io/v1/items/12?a=1",
            "timeout after 5s GET https://api.x.io/v1/items/9?a=7",
        ),
        ("no mailbox bob@example.com", "no mailbox alice.b+x@mail.example.org"),
        (
            "job 550e8400-e29b-41d4-a716-446655440000 lost",
            "job 123e4567-e89b-12d3-a456-426614174000 lost",
        ),
        ("object at 0x7f3a2b1c freed", "object at 0x55aa freed"),
        # A UUID of letters only has no digit: it is masked all the same.
        (
            "job abcdefab-abcd-abcd-abcd-abcdefabcdef lost",
            "job 123e4567-e89b-12d3-a456-426614174000 lost",
        ),
        ("too\tmany \u2003 spaces\n", "too many spaces"),
        ('key "user:1" missing', 'key "order:2" missing'),
    ],
)
def test_fingerprints_mask_what_varies(one: str, other: str) -> None:
    assert normalize(one) == normalize(other)


def test_fingerprints_stay_the_same_across_versions() -> None:
    """Group ids are in bookmarked URLs: the masking must not drift."""
    samples = {
        "Couldn't find User with 'id'=42": "Couldn't find User with '?'=<n>",
        "GET https://api.x.io/v1/items/12?a=1&b failed": (
            "GET https://api.x.io/v<n>/items/<n>?a=?&? failed"
        ),
        'mail bob@example.com at 0xdeadbeef, `ref\' "x" ff00aa11 1.5s': (
            'mail <email> at <hex>, `?\' "?" <hex> <n>s'
        ),
        "plain words only": "plain words only",
    }
    for message, expected in samples.items():
        assert normalize(message) == expected, message


def test_messages_differing_in_digits_1_to_9_share_a_fingerprint() -> None:
    """The failure index memoizes fingerprints by the message with 2-9 read as 1."""
    rng = random.Random(7)
    atoms = ["0x", "1F", "deadbeef", "7", "0", "-", "id=", "'", "@a.co", "http://h9.io/", " ", "ab"]
    for _ in range(5000):
        message = "".join(rng.choice(atoms) + str(rng.randint(0, 99)) for _ in range(6))
        assert normalize(message) == normalize(message.translate(SAME_FINGERPRINT)), message


def test_fingerprints_keep_what_matters() -> None:
    assert normalize("connection refused") != normalize("connection reset")
    assert normalize("GET https://a.example.com/x") != normalize("GET https://b.example.com/x")
    assert "Couldn't" in normalize("Couldn't find User with 'id'=42")


def test_the_cheap_text_test_never_drops_a_record_other_writers_spelled() -> None:
    """Records written by other JSON encoders (\\u00e9, PHP's \\/) or with the payload
    stored as a JSON string still match a filter on their class."""
    records = [
        ('{"payload":{"class":"Caf\\u00e9Job","args":[]},"queue":"q"}', "Caf\u00e9Job"),
        ('{"payload":{"class":"App\\/Jobs\\/Send","args":[]},"queue":"q"}', "App/Jobs/Send"),
        ('{"payload":"{\\"class\\":\\"Mailer\\",\\"args\\":[]}","queue":"q"}', "Mailer"),
    ]
    for raw, job_class in records:
        failure = FailedJob(0, raw)
        assert failure.display_class == job_class, raw
        assert FailureFilter(job_class=job_class, queue="q")(failure), raw


def test_filter_round_trips_through_the_url_and_rejects_nonsense() -> None:
    args = {"class": "A", "exception": "E", "queue": "q", "group": "abc", "q": "x"}
    args |= {"since": "2026-11-27", "until": "2026-11-28T10:00", "retried": "no"}
    where = FailureFilter.from_args(args)
    assert where.to_args() == args and where.retried is False
    day = datetime(2026, 11, 27, tzinfo=timezone.utc).timestamp()
    assert where.time_range() == (day, day + 86400 + 36000)
    assert FailureFilter.from_args({"until": "2026-11-27"}).time_range()[1] == day + 86400
    with pytest.raises(FilterError):
        FailureFilter.from_args({"since": "yesterday"})
    with pytest.raises(FilterError):
        FailureFilter.from_args({"retried": "maybe"})


def _random_list(r: redis.Redis, rng: random.Random, n: int) -> None:
    rows = []
    for _ in range(n):
        rows.append(
            record(
                rng.choice(["Archive", "Mailer", "Billing::Charge"]),
                rng.choice(["KeyError", "Timeout", ""]),
                f"user {rng.randint(1, 9)} {rng.choice(['missing', 'slow'])}",
                rng.choice(["default", "mail", "critical"]),
                [rng.randint(0, 3), rng.choice(["tar", "zip"])],
                f"2026/11/27 17:{rng.randint(0, 59):02d}:00 UTC",
                "2026/11/27 18:00:00 UTC" if rng.random() < 0.3 else None,
            )
        )
    r.rpush(KEY, *rows)


@pytest.mark.parametrize("seed", range(3))
def test_composed_filters_from_the_index_equal_a_full_read(r: redis.Redis, seed: int) -> None:
    rng = random.Random(seed)
    _random_list(r, rng, 400)
    d = Dashboard(Resque(r))
    everything = [FailedJob(i, raw) for i, raw in enumerate(r.lrange(KEY, 0, -1))]
    groups = sorted({f.group for f in everything})
    for _ in range(40):
        args = {
            "class": rng.choice(["", "Archive", "Mailer"]),
            "exception": rng.choice(["", "KeyError", "(none)"]),
            "queue": rng.choice(["", "default", "critical"]),
            "group": rng.choice(["", *groups]),
            "q": rng.choice(["", "zip", "USER 3"]),
            "since": rng.choice(["", "2026-11-27T17:20"]),
            "until": rng.choice(["", "2026-11-27 17:40"]),
            "retried": rng.choice(["", "yes", "no"]),
        }
        where = FailureFilter.from_args(args)
        truth = [f.position for f in everything if where(f)]
        selection = d.failures.select(None, where)
        assert list(selection.positions) == truth, args
        assert d.failures.page(per_page=500, filter=where).total == len(truth)


def test_groups_count_first_last_queues_and_classes(r: redis.Redis) -> None:
    r.rpush(
        KEY,
        record(
            "Archive", "KeyError", "user 1 missing", "default", failed_at="2026/11/27 10:00:00 UTC"
        ),
        record(
            "Mailer", "KeyError", "user 22 missing", "mail", failed_at="2026/11/27 12:00:00 UTC"
        ),
        record("Archive", "KeyError", "disk full", "default"),
        record("Archive", "Timeout", "user 3 missing", "default"),
    )
    d = Dashboard(Resque(r))
    groups = d.failures.groups()
    assert [g.count for g in groups] == [2, 1, 1]
    big = groups[0]
    assert (big.exception, big.fingerprint) == ("KeyError", "user <n> missing")
    assert big.first_seen.hour == 10 and big.last_seen.hour == 12
    assert dict(big.queues) == {"default": 1, "mail": 1}
    assert dict(big.classes) == {"Archive": 1, "Mailer": 1}
    assert d.failures.samples(None, groups)[big.id].position == 1  # the newest
    only_mail = d.failures.groups(where=FailureFilter(queue="mail"))
    assert [(g.id, g.count) for g in only_mail] == [(big.id, 1)]


def test_the_index_follows_the_dashboards_own_retries(r: redis.Redis) -> None:
    r.rpush(KEY, *[record("Archive", "KeyError", f"e{i}") for i in range(50)])
    d = Dashboard(Resque(r))
    index = d.failures.index(d.failures.list())
    not_retried = FailureFilter(retried=False)
    assert d.failures.select(None, not_retried).total == 50
    rows = [(i, FailedJob(i, r.lindex(KEY, i)).digest) for i in (3, 30)]
    assert d.failures.act_on(None, rows, "retry").count == 2
    assert d.failures.select(None, not_retried).total == 48
    assert d.failures.select(None, FailureFilter(retried=True)).positions == [3, 30]
    assert index.rebuilds == 0  # followed through the rewrite log, not re-read


def test_remove_holds_and_restore_brings_back(r: redis.Redis) -> None:
    r.rpush(KEY, *[record("Archive", "KeyError", f"e{i}") for i in range(10)])
    d = Dashboard(Resque(r), undo_ttl=60)
    held = d.audit.hold("x1")
    assert held is not None
    victim = FailedJob(4, r.lindex(KEY, 4))
    assert d.failures.remove(None, 4, victim.digest, held).ok
    assert r.lrange("resque:web:holding:x1", 0, -1) == [victim.raw]
    assert 0 < r.ttl("resque:web:holding:x1") <= 60
    op = d.bulk.create("remove", None, FailureFilter(), None)  # clear: held whole
    assert (d.bulk.step(op.id) or op).done == 9
    held_all = f"resque:web:holding:{op.hold}"
    assert r.llen(KEY) == 0 and r.llen(held_all) == 9
    assert d.failures.restore(None, held_all) == 9
    assert d.failures.restore(None, "resque:web:holding:x1") == 1
    want = [record("Archive", "KeyError", f"e{i}") for i in range(10)]
    assert sorted(r.lrange(KEY, 0, -1)) == sorted(want)
    assert not r.exists("resque:web:holding:x1", held_all)


def test_edited_retry_pushes_new_args_and_marks_the_failure(r: redis.Redis) -> None:
    r.rpush(KEY, record("Archive", "KeyError", "boom", "default", [1, "tar"]))
    d = Dashboard(Resque(r))
    failure = FailedJob(0, r.lindex(KEY, 0))
    assert d.failures.retry_edited(None, 0, "0" * 40, [2]).ok is False  # not what was seen
    assert d.failures.retry_edited(None, 0, failure.digest, [2, "zip"]).ok
    assert r.lrange("resque:queue:default", 0, -1) == ['{"class":"Archive","args":[2,"zip"]}']
    stored = json.loads(r.lindex(KEY, 0))
    assert stored["payload"]["args"] == [2, "zip"] and stored["retried_at"]


def test_a_bulk_retry_touches_only_its_filter_while_failures_keep_arriving(
    r: redis.Redis,
) -> None:
    """Threads append matching and non-matching failures (and a third removes unrelated
    ones) while the operation runs chunk by chunk; afterwards exactly the failures that
    matched and existed are retried, each once, and nothing else changed."""
    matching = [record("Archive", "KeyError", f"user {i} missing", args=[i]) for i in range(3000)]
    other = [record("Mailer", "KeyError", f"user {i} missing", args=[i]) for i in range(1000)]
    mixed = [x for pair in zip(matching, [*other, *[None] * 2000]) for x in pair if x]
    r.rpush(KEY, *mixed)
    d = Dashboard(Resque(r))
    where = FailureFilter(job_class="Archive", exception="KeyError")
    op = d.bulk.create("retry", None, where, "tester")
    assert op.expected == 3000
    stop = threading.Event()
    added = Counter()

    def worker(cls: str) -> None:
        client = redis.Redis.from_url(_url(r), decode_responses=True)
        i = 0
        while not stop.is_set():
            client.rpush(KEY, record(cls, "KeyError", f"late {i}", args=[f"late-{cls}-{i}"]))
            added[cls] += 1
            i += 1
            time.sleep(0.0005)

    threads = [threading.Thread(target=worker, args=(c,)) for c in ("Archive", "Mailer")]
    for t in threads:
        t.start()
    try:
        steps = 0
        while not op.finished and steps < 10_000:
            op = d.bulk.step(op.id, budget=0.02) or op
            steps += 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert op.status == "done" and steps > 3
    records = [json.loads(x) for x in r.lrange(KEY, 0, -1)]
    pushed = [json.loads(x) for x in r.lrange("resque:queue:default", 0, -1)]
    # Every Mailer failure is untouched; every retried one is an Archive, retried once.
    assert not any(f.get("retried_at") for f in records if f["payload"]["class"] == "Mailer")
    assert all(job["class"] == "Archive" for job in pushed)
    args = [json.dumps(job["args"]) for job in pushed]
    assert len(args) == len(set(args)) == op.done
    retried = [f for f in records if f.get("retried_at")]
    assert len(retried) == op.done >= 3000
    assert all(f["payload"]["class"] == "Archive" for f in retried)
    assert len(records) == 4000 + added["Archive"] + added["Mailer"]  # nothing lost
    entry = d.audit.page().items[0]
    assert (entry.action, entry.count, entry.user) == ("failed.bulk_retry", op.done, "tester")


def _url(r: redis.Redis) -> str:
    kwargs = r.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


def test_a_bulk_remove_resumes_after_others_removed_before_its_cursor(r: redis.Redis) -> None:
    classes = ["Mailer", "Archive"]
    r.rpush(KEY, *[record(classes[i % 2], "E", f"m{i}", args=[i]) for i in range(2000)])
    d = Dashboard(Resque(r), undo_ttl=60)
    op = d.bulk.create("remove", None, FailureFilter(job_class="Archive"), None)
    op = d.bulk._run(op, budget=0)  # one chunk, as a step cut short by a closed page
    assert op.status == "running" and op.done == 250
    # Someone else removes Mailer failures before the cursor meanwhile.
    for raw in r.lrange(KEY, 0, 100):
        if '"Mailer"' in raw:
            r.lrem(KEY, 1, raw)
    while not op.finished:
        op = d.bulk.step(op.id) or op
    assert op.status == "done" and op.done == 1000
    assert not any('"Archive"' in x for x in r.lrange(KEY, 0, -1))
    assert r.llen(f"resque:web:holding:{op.hold}") == 1000
    assert d.audit.restore(d.audit.page().items[0].id).count == 1000
