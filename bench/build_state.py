"""Write a Resque 3.x Redis state of a chosen scale, byte-for-byte in Ruby Resque's formats.

The dashboard's scale issue is about pages that get slower as Redis grows; to measure that we
need the same *shapes* at two sizes (SMALL and BIG, ~1:1000), written the way Ruby Resque
writes them, fast enough to rebuild on every run (BIG in well under a minute). Everything goes
through pipelines with thousands of values per RPUSH/HSET/MSET, so the cost is Redis' and
the JSON encoder's, not round trips.

    python bench/build_state.py --redis redis://127.0.0.1:6390/0 --flush [--small]

Keys are spelled only by :class:`resque_web.keys.Keys`; JSON only by
:mod:`resque_web.payload`; timestamps only by :mod:`resque_web.times`.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import multiprocessing.process
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import redis

from resque_web import payload as jsonp
from resque_web import times
from resque_web.job import ACTIVE_JOB_WRAPPER
from resque_web.keys import Keys

NAMESPACE = "resque"
MQ_NAMESPACE = "resque_mq"
DEFAULT_QUEUE = "default"

# Values per RPUSH / fields per HSET / keys per MSET, and commands per pipeline flush: big
# enough that round trips vanish, small enough that a pipeline buffer stays a few MB.
BATCH = 5_000
FLUSH_EVERY = 20
SEED = 20261127
# From this many jobs in `default` on, a child process writes that queue in parallel.
PARALLEL_FROM = 100_000


@dataclass(frozen=True)
class Scale:
    """How much of each thing to write; SMALL and BIG differ only in counts."""

    name: str
    default_jobs: int  # jobs in the one big queue, `default`
    queues: int  # registered queues, `default` included
    other_queue_jobs: tuple[int, int]  # jobs in each other queue (inclusive range)
    failures: int  # records in the single `failed` list
    job_classes: int
    exception_types: int
    retried_share: float  # failures already retried (`retried_at` set)
    mq_queues: int  # queues with a failure list in the multi-queue namespace
    mq_failures_per_queue: int
    workers: int
    busy: int
    hosts: int


BIG = Scale(
    name="big",
    default_jobs=1_000_000,
    queues=1_000,
    other_queue_jobs=(1, 5),
    failures=100_000,
    job_classes=50,
    exception_types=20,
    retried_share=0.12,
    mq_queues=10,
    mq_failures_per_queue=1_000,
    workers=1_000,
    busy=200,
    hosts=20,
)
SMALL = Scale(
    name="small",
    default_jobs=1_000,
    queues=10,
    other_queue_jobs=(1, 5),
    failures=100,
    job_classes=50,
    exception_types=20,
    retried_share=0.12,
    mq_queues=10,
    # Not 1/1000: each list should still fill a page of 20 and its filter menus, so that
    # small and big pages render the same number of rows.
    mq_failures_per_queue=50,
    workers=10,
    busy=2,
    hosts=2,
)
SCALES = {s.name: s for s in (SMALL, BIG)}


def failures_only(failures: int) -> Scale:
    """BIG's failure records, ``failures`` of them, and little else: the failure index's
    benches (bench/cold_index.py, bench/index_start.py)."""
    scale = replace(BIG, default_jobs=10, queues=10, workers=10, busy=1, hosts=1)
    return replace(scale, failures=failures, mq_queues=1, mq_failures_per_queue=10)


def machine() -> str:
    """When, where and how busy: the line a bench's results start with."""
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
        f"{os.cpu_count()} CPUs, {load()}"
    )


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Built:
    """What was written, so a benchmark can ask for pages that exist (a real worker id, a
    class and an exception that occur among the failures, a multi-queue failure list)."""

    scale: Scale
    namespace: str
    mq_namespace: str
    default_queue: str
    queues: list[str]
    workers: list[str]
    busy_workers: list[str]
    job_classes: list[str]
    exceptions: list[str]
    mq_failed_queues: list[str]
    commands: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def common_class(self) -> str:
        return self.job_classes[0]

    @property
    def common_exception(self) -> str:
        return self.exceptions[0]


# Vocabulary ------------------------------------------------------------------------------
_DOMAINS = [
    "Billing", "Mailer", "Images", "Search", "Reports", "Imports", "Webhooks", "Accounts",
    "Orders", "Inventory", "Analytics", "Notifications", "Exports", "Payments", "Sync",
]  # fmt: skip
_VERBS = [
    "Charge", "Deliver", "Resize", "Reindex", "Generate", "Parse", "Dispatch", "Refresh",
    "Reconcile", "Archive", "Purge", "Notify", "Compute", "Upload", "Backfill",
]  # fmt: skip
_NOUNS = ["Customer", "Invoice", "Thumbnail", "Document", "Digest", "Feed", "Event", "Ledger"]

# (exception, error template, has a backtrace). Templates take the record's numbers, so
# messages vary as real ones do (ids, ports, counts) while the exception stays the same.
_EXCEPTIONS: list[tuple[str, str, bool]] = [
    ("ActiveRecord::RecordNotFound", "Couldn't find User with 'id'={id}", True),
    ("Net::ReadTimeout", "Net::ReadTimeout with #<TCPSocket:(closed)>", True),
    ("Redis::TimeoutError", "Connection timed out after {n}.0s", True),
    (
        "Errno::ECONNREFUSED",
        'Failed to open TCP connection to 10.0.{a}.{b}:{port} (Connection refused - connect(2) '
        'for "10.0.{a}.{b}" port {port})',
        True,
    ),
    ("NoMethodError", "undefined method `{meth}' for nil:NilClass", True),
    ("ArgumentError", "wrong number of arguments (given {n}, expected {m})", True),
    ("KeyError", "key not found: :{meth}", True),
    ("RuntimeError", "job {id} failed after {n} attempts", True),
    (
        "Resque::DirtyExit",
        "Child process received unhandled signal pid {pid} SIGKILL (signal 9)",
        False,
    ),
    ("Resque::TermException", "SIGTERM", True),
    ("JSON::ParserError", "unexpected token at '{{\"id\":{id},\"name\":'", True),
    ("Stripe::CardError", "Your card was declined. (Request req_{hex})", True),
    (
        "Faraday::ConnectionFailed",
        "Failed to open TCP connection to api-{n}.partner.example.com:443 "
        "(getaddrinfo: Temporary failure in name resolution)",
        True,
    ),
    (
        "ActiveRecord::Deadlocked",
        "Mysql2::Error: Deadlock found when trying to get lock; try restarting transaction: "
        "UPDATE `orders` SET `state` = 'paid' WHERE `orders`.`id` = {id}",
        True,
    ),
    (
        "PG::UniqueViolation",
        'ERROR:  duplicate key value violates unique constraint "index_orders_on_number"\n'
        "DETAIL:  Key (number)=(R{id}) already exists.",
        True,
    ),
    (
        "Aws::S3::Errors::NoSuchKey",
        "The specified key does not exist. uploads/{id}/original.jpg",
        True,
    ),
    ("ZeroDivisionError", "divided by 0", True),
    ("Timeout::Error", "execution expired", True),
    (
        "OpenSSL::SSL::SSLError",
        "SSL_connect returned=1 errno=0 peeraddr=203.0.113.{a}:443 state=error: "
        "certificate verify failed (unable to get local issuer certificate)",
        True,
    ),
    ("Encoding::UndefinedConversionError", '"\\xE2" from ASCII-8BIT to UTF-8 (row {id})', True),
]  # fmt: skip

_GEMS = "/usr/local/bundle/gems/"
_GEM_FRAMES = [
    _GEMS + "activerecord-7.1.3/lib/active_record/core.rb:{n}:in `find'",
    _GEMS + "activerecord-7.1.3/lib/active_record/relation/finder_methods.rb:{n}:in `find_by!'",
    _GEMS + "activesupport-7.1.3/lib/active_support/callbacks.rb:{n}:in `block in run_callbacks'",
    _GEMS + "activejob-7.1.3/lib/active_job/execution.rb:{n}:in `perform_now'",
    _GEMS + "net-http-0.4.1/lib/net/http.rb:{n}:in `request'",
    _GEMS + "faraday-2.9.0/lib/faraday/rack_builder.rb:{n}:in `build_response'",
    _GEMS + "redis-client-0.20.0/lib/redis_client.rb:{n}:in `call_v'",
    _GEMS + "stripe-10.7.0/lib/stripe/api_requestor.rb:{n}:in `execute_request'",
    "/usr/local/lib/ruby/3.2.0/json/common.rb:{n}:in `parse'",
    "/usr/local/lib/ruby/3.2.0/timeout.rb:{n}:in `timeout'",
]  # fmt: skip
_METHODS = ["perform", "call", "process", "deliver", "build_payload", "fetch", "persist"]


def _job_classes(count: int) -> list[str]:
    """Distinct, Rails-looking job class names (deterministic)."""
    names = []
    for i in range(count):
        domain = _DOMAINS[i % len(_DOMAINS)]
        verb = _VERBS[(i * 7) % len(_VERBS)]
        noun = _NOUNS[(i * 3) % len(_NOUNS)]
        names.append(f"{domain}::{verb}{noun}Job")
    return names


def _queue_names(count: int) -> list[str]:
    """`default`, a few classics, a unicode one, then tenant queues up to ``count``."""
    fixed = [DEFAULT_QUEUE, "critical", "mailers", "images.resize", "low.priority-batch",
             "reports-nightly", "ünïcode-队列"]  # fmt: skip
    names = fixed[:count]
    n = 0
    while len(names) < count:
        names.append(f"tenant-{n:04d}.imports")
        n += 1
    return names


def _snake(class_name: str) -> str:
    out = []
    for ch in class_name.split("::")[-1]:
        if ch.isupper() and out:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _zipf_weights(n: int) -> list[float]:
    """Real failure lists are skewed: a few classes and exceptions dominate."""
    return [1.0 / (i + 1) for i in range(n)]


# Writing -------------------------------------------------------------------------------
class Writer:
    """A non-transactional pipeline that flushes every few commands and counts them."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.pipe = client.pipeline(transaction=False)
        self.pending = 0
        self.commands = 0

    def _queued(self) -> None:
        self.pending += 1
        self.commands += 1
        if self.pending >= FLUSH_EVERY:
            self.flush()

    def rpush(self, key: str, values: Iterable[str]) -> None:
        for chunk in _chunks(values, BATCH):
            self.pipe.rpush(key, *chunk)
            self._queued()

    def sadd(self, key: str, members: Sequence[str]) -> None:
        for chunk in _chunks(members, BATCH):
            self.pipe.sadd(key, *chunk)
            self._queued()

    def hset(self, key: str, mapping: dict[str, str]) -> None:
        items = list(mapping.items())
        for chunk in _chunks(items, BATCH):
            self.pipe.hset(key, mapping=dict(chunk))
            self._queued()

    def mset(self, mapping: dict[str, str | int]) -> None:
        items = list(mapping.items())
        for chunk in _chunks(items, BATCH):
            self.pipe.mset(dict(chunk))
            self._queued()

    def set(self, key: str, value: str | int) -> None:
        self.pipe.set(key, value)
        self._queued()

    def flush(self) -> None:
        if self.pending:
            self.pipe.execute()
            self.pending = 0


def _chunks(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Payloads --------------------------------------------------------------------------------
def _active_job_args(rng: random.Random, job_class: str, queue: str, n: int) -> list[Any]:
    """The single argument Rails' ResqueAdapter::JobWrapper carries."""
    uuid = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-" \
        f"{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}"  # fmt: skip
    return [
        {
            "job_class": job_class,
            "job_id": uuid,
            "provider_job_id": None,
            "queue_name": queue,
            "priority": None,
            "arguments": [n, {"force": bool(n % 2), "_aj_ruby2_keywords": ["force"]}],
            "executions": 0,
            "exception_executions": {},
            "locale": "en",
            "timezone": "UTC",
            "enqueued_at": "2026-11-27T12:00:00.000000000Z",
        }
    ]


def _job(rng: random.Random, classes: Sequence[str], queue: str, n: int) -> dict[str, Any]:
    """One queue item as a dict: mostly plain Resque jobs, one in ten ActiveJob-wrapped."""
    job_class = classes[n % len(classes)]
    kind = n % 10
    if kind == 0:
        return {"class": ACTIVE_JOB_WRAPPER, "args": _active_job_args(rng, job_class, queue, n)}
    if kind < 5:
        return {"class": job_class, "args": [n, "tar" if n % 3 else "zip"]}
    if kind < 8:
        return {"class": job_class, "args": [{"account_id": n % 9973, "ids": [n, n + 1, n + 2]}]}
    return {"class": job_class, "args": [f"user-{n}@example.com", n % 7 == 0, n / 4]}


def _queue_items(
    rng: random.Random, classes: Sequence[str], queue: str, count: int, start: int = 0
) -> Iterator[str]:
    for n in range(start, start + count):
        yield jsonp.encode(_job(rng, classes, queue, n), "job")


class FailureMaker:
    """Failure records as Resque::Failure::Redis / RedisMultiQueue write them: key order
    failed_at, payload, exception, error, backtrace, worker, queue (+ retried_at)."""

    def __init__(
        self,
        rng: random.Random,
        classes: Sequence[str],
        exceptions: Sequence[tuple[str, str, bool]],
        workers: Sequence[str],
        now: float,
    ) -> None:
        self.rng = rng
        self.classes = classes
        self.exceptions = exceptions
        self.workers = workers
        self.now = now
        self.class_weights = _zipf_weights(len(classes))
        self.exception_weights = _zipf_weights(len(exceptions))
        self._stamps: dict[tuple[int, str], str] = {}

    def _stamp(self, at: float, fmt: Callable[[float], str]) -> str:
        # Records a few seconds apart share a stamp string; formatting each second once
        # keeps 100k records cheap.
        key = (int(at), fmt.__name__)
        found = self._stamps.get(key)
        if found is None:
            found = self._stamps[key] = fmt(int(at))
        return found

    def _backtrace(self, job_class: str, lines: int) -> list[str]:
        rng = self.rng
        app = f"/srv/app/app/jobs/{_snake(job_class)}.rb"
        frames = [f"{app}:{rng.randint(10, 240)}:in `{rng.choice(_METHODS)}'"]
        service = f"/srv/app/app/services/{_snake(job_class)[:-4]}_service.rb"
        for _ in range(min(3, lines - 1)):
            frames.append(f"{service}:{rng.randint(5, 400)}:in `{rng.choice(_METHODS)}'")
        while len(frames) < lines:
            frames.append(rng.choice(_GEM_FRAMES).format(n=rng.randint(20, 900)))
        return frames

    def record(
        self,
        n: int,
        total: int,
        queues: Sequence[str],
        retried_share: float,
        retried_stamp: Callable[[float], str],
    ) -> str:
        """Record ``n`` of ``total``, oldest first (RPUSH order), spread over a week; a share
        of them already retried (``retried_at`` appended, as Ruby's requeue re-encodes it)."""
        rng = self.rng
        (job_class,) = rng.choices(self.classes, self.class_weights)
        exception, template, has_trace = rng.choices(self.exceptions, self.exception_weights)[0]
        queue = queues[n % len(queues)]
        job = _job(rng, self.classes, queue, n)
        if job["class"] == ACTIVE_JOB_WRAPPER:
            job["args"][0]["job_class"] = job_class
        else:
            job["class"] = job_class
        error = template.format(
            id=rng.randint(1, 9_999_999),
            n=rng.randint(2, 30),
            m=rng.randint(0, 3),
            a=rng.randint(0, 255),
            b=rng.randint(1, 254),
            port=rng.choice([5432, 6379, 3306, 9200, 443]),
            pid=rng.randint(1000, 65000),
            meth=rng.choice(_METHODS),
            hex=f"{rng.getrandbits(56):014x}",
        )
        at = self.now - 7 * 86400 * (1 - n / max(1, total)) - rng.random()
        record: dict[str, Any] = {
            "failed_at": self._stamp(at, times.failed_at),
            "payload": job,
            "exception": exception,
            "error": error,
            "backtrace": self._backtrace(job_class, rng.randint(5, 20)) if has_trace else [],
            "worker": self.workers[n % len(self.workers)],
            "queue": queue,
        }
        if rng.random() < retried_share:
            retried_at = min(self.now, at + rng.uniform(60, 86400))
            record["retried_at"] = self._stamp(retried_at, retried_stamp)
        return jsonp.encode(record, "failure")


# Building -------------------------------------------------------------------------------
class Progress:
    """Phase timings on stderr, so the benchmark's stdout stays a clean table."""

    def __init__(self, label: str, quiet: bool = False) -> None:
        self.label = label
        self.quiet = quiet
        self.start = self.last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def done(self, phase: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.phases[phase] = now - self.last
        if not self.quiet:
            print(
                f"[build {self.label}] {phase:<22} {now - self.last:6.2f}s "
                f"(total {now - self.start:6.2f}s) {detail}",
                file=sys.stderr,
                flush=True,
            )
        self.last = now


def _worker_ids(rng: random.Random, scale: Scale, queues: Sequence[str]) -> list[str]:
    """``host:pid:q1,q2`` over ``scale.hosts`` hosts; some listen on ``*``."""
    ids = []
    for i in range(scale.workers):
        host = f"worker-{i % scale.hosts:02d}.prod.example.com"
        pid = 10_000 + i
        if i % 17 == 5:
            listening = "*"
        else:
            listening = ",".join(
                rng.sample(list(queues[: min(len(queues), 40)]), rng.randint(1, 4))
            )
        ids.append(f"{host}:{pid}:{listening}")
    return ids


def _fresh_client(client: redis.Redis) -> redis.Redis:
    """A client with its own pool: a forked child must not share the parent's sockets."""
    pool = client.connection_pool
    return redis.Redis(
        connection_pool=type(pool)(connection_class=pool.connection_class, **pool.connection_kwargs)
    )


def _fill_queue(client: redis.Redis, key: str, classes: list[str], count: int, label: str) -> None:
    """The one big queue: most of the bytes, so it gets a core of its own."""
    progress = Progress(label, quiet=False)
    writer = Writer(_fresh_client(client))
    writer.rpush(key, _queue_items(random.Random(SEED + 1), classes, DEFAULT_QUEUE, count))
    writer.flush()
    progress.done(f"queue {DEFAULT_QUEUE}", f"{count:,} jobs (child process)")


def build(
    client: redis.Redis,
    scale: Scale,
    namespace: str = NAMESPACE,
    mq_namespace: str = MQ_NAMESPACE,
    quiet: bool = False,
    parallel: bool = True,
) -> Built:
    """Write ``scale`` into ``client``'s database (expected empty under both namespaces).

    With ``parallel`` (and a big queue), a forked child writes `default` while this process
    writes the rest: the two halves are each CPU-bound in the JSON encoder.
    """
    was_enabled = gc.isenabled()
    # Millions of short-lived dicts and no cycles: the cyclic GC only costs time (~1/3).
    gc.disable()
    try:
        return _build(client, scale, namespace, mq_namespace, quiet, parallel)
    finally:
        if was_enabled:
            gc.enable()


def _build(
    client: redis.Redis,
    scale: Scale,
    namespace: str,
    mq_namespace: str,
    quiet: bool,
    parallel: bool,
) -> Built:
    rng = random.Random(SEED)
    keys, mq = Keys(namespace), Keys(mq_namespace)
    progress = Progress(scale.name, quiet)
    writer = Writer(client)
    seconds, micros = client.time()
    now = seconds + micros / 1e6  # Redis' clock: the one Resque judges heartbeats by

    classes = _job_classes(scale.job_classes)
    exceptions = _EXCEPTIONS[: scale.exception_types]
    queues = _queue_names(scale.queues)

    # Queues: registered names, the big `default`, a few jobs in every other one.
    writer.sadd(keys.queues, queues)
    default_key = keys.queue(DEFAULT_QUEUE)
    child: multiprocessing.process.BaseProcess | None = None
    if parallel and scale.default_jobs >= PARALLEL_FROM:
        child = multiprocessing.get_context("fork").Process(
            target=_fill_queue,
            args=(client, default_key, classes, scale.default_jobs, scale.name),
            daemon=True,
        )
        child.start()
    else:
        writer.rpush(
            default_key,
            _queue_items(random.Random(SEED + 1), classes, DEFAULT_QUEUE, scale.default_jobs),
        )
    low, high = scale.other_queue_jobs
    for name in queues[1:]:
        writer.rpush(keys.queue(name), _queue_items(rng, classes, name, rng.randint(low, high)))
    writer.flush()
    progress.done("queues", f"{len(queues):,} queues")

    # Workers: registered ids, started stamps, fresh heartbeats, per-worker counters, and
    # the job each busy one holds.
    workers = _worker_ids(rng, scale, queues)
    busy = workers[:: max(1, scale.workers // scale.busy)][: scale.busy]
    writer.sadd(keys.workers, workers)
    writer.mset(
        {keys.worker_started(w): times.started(now - rng.uniform(600, 30 * 86400)) for w in workers}
    )
    writer.hset(keys.heartbeats, {w: times.heartbeat(now - rng.uniform(0, 55)) for w in workers})
    processed = {w: rng.randint(0, 250_000) for w in workers}
    failed = {w: rng.randint(0, processed[w] // 50) for w in workers}
    writer.mset({keys.worker_stat("processed", w): n for w, n in processed.items() if n})
    writer.mset({keys.worker_stat("failed", w): n for w, n in failed.items() if n})
    jobs: dict[str, str | int] = {}
    for n, worker_id in enumerate(busy):
        queue = queues[n % min(len(queues), 40)]
        held = {
            "queue": queue,
            "run_at": times.run_at(now - rng.uniform(0, 900)),
            "payload": _job(rng, classes, queue, n),
        }
        jobs[keys.worker(worker_id)] = jsonp.encode(held, "worker job")
    writer.mset(jobs)
    writer.flush()
    progress.done("workers", f"{len(workers):,} workers, {len(busy):,} busy, {scale.hosts} hosts")

    # Failures (Resque::Failure::Redis): one list, oldest first, some already retried.
    gone = [f"old-box-{i}.example.com:{4000 + i}:default" for i in range(5)]
    maker = FailureMaker(rng, classes, exceptions, workers + gone, now)
    failure_queues = queues[: min(len(queues), 40)]
    share = scale.retried_share
    writer.rpush(
        keys.failed,
        (
            maker.record(n, scale.failures, failure_queues, share, times.failed_at)
            for n in range(scale.failures)
        ),
    )
    total_processed = sum(processed.values()) + scale.failures * 40
    writer.set(keys.processed, total_processed)
    # Resque's counter differs from the list: dead children are not counted, and cleared
    # failures stay counted. Keep them unequal, as in real data.
    writer.set(keys.failed_count, scale.failures + scale.failures // 7)
    writer.flush()
    progress.done("failures", f"{scale.failures:,} records")

    # Multi-queue namespace (Resque::Failure::RedisMultiQueue): `<queue>_failed` lists named
    # in `failed_queues`, `retried_at` without a zone; a few pending jobs per queue.
    mq_queues = queues[: scale.mq_queues]
    per_queue = scale.mq_failures_per_queue
    writer.sadd(mq.queues, mq_queues)
    writer.sadd(mq.failed_queues, [mq.failed_queue_name(q) for q in mq_queues])
    for q in mq_queues:
        writer.rpush(mq.queue(q), _queue_items(rng, classes, q, 3))
        writer.rpush(
            mq.failed_queue(q),
            (
                maker.record(n, per_queue, [q], share, times.retried_at_multi_queue)
                for n in range(per_queue)
            ),
        )
    writer.set(mq.processed, scale.mq_queues * scale.mq_failures_per_queue * 30)
    writer.set(mq.failed_count, scale.mq_queues * scale.mq_failures_per_queue)
    writer.flush()
    progress.done(
        "multi-queue failures", f"{len(mq_queues)} lists x {scale.mq_failures_per_queue:,}"
    )

    if child is not None:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"writing {default_key} failed (exit code {child.exitcode})")
        writer.commands += -(-scale.default_jobs // BATCH)
        progress.done(f"wait for {DEFAULT_QUEUE}")

    return Built(
        scale=scale,
        namespace=namespace,
        mq_namespace=mq_namespace,
        default_queue=DEFAULT_QUEUE,
        queues=queues,
        workers=workers,
        busy_workers=busy,
        job_classes=classes,
        exceptions=[e[0] for e in exceptions],
        mq_failed_queues=mq_queues,
        commands=writer.commands,
        seconds=time.perf_counter() - progress.start,
        phases=progress.phases,
    )


def append_failures(client: redis.Redis, built: Built, count: int, seed: int = SEED + 2) -> None:
    """RPUSH ``count`` more failures to `failed`, as workers do while a dashboard is open."""
    rng = random.Random(seed)
    seconds, micros = client.time()
    maker = FailureMaker(
        rng,
        built.job_classes,
        _EXCEPTIONS[: built.scale.exception_types],
        built.workers,
        seconds + micros / 1e6,
    )
    queues = built.queues[: min(len(built.queues), 40)]
    writer = Writer(client)
    writer.rpush(
        Keys(built.namespace).failed,
        (
            maker.record(
                built.scale.failures + n, built.scale.failures + count, queues, 0.0, times.failed_at
            )
            for n in range(count)
        ),
    )
    writer.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", required=True, help="redis:// URL of a private server")
    parser.add_argument("--small", action="store_true", help="~1/1000 scale instead of BIG")
    parser.add_argument(
        "--flush", action="store_true", help="FLUSHDB first (refuses a non-empty db without it)"
    )
    args = parser.parse_args(argv)
    client = redis.Redis.from_url(args.redis)
    if args.flush:
        client.flushdb()
    elif client.dbsize():
        print(
            f"{args.redis} already holds {client.dbsize():,} keys; pass --flush to empty it "
            "first (only do that to a private server)",
            file=sys.stderr,
        )
        return 2
    built = build(client, SMALL if args.small else BIG)
    memory = client.info("memory")["used_memory_human"]
    print(
        f"built {built.scale.name} in {built.seconds:.1f}s: {built.commands:,} commands, "
        f"{client.dbsize():,} keys, Redis used_memory {memory}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
