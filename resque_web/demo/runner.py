"""Orchestrates the demo: Redis, seed data, workers, producer, dashboard."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

import redis

from .. import redis_server
from ..client import Resque
from ..connection import connect
from ..failure import backend_for
from ..model import Dashboard
from .jobs import random_job

WORKERS = [
    ("critical,mailers", "--no-fork"),
    ("critical,default,images.resize", None),
    ("*", None),
]

Say = Callable[[str], None]


class EmbeddedRedis:
    """fakeredis' TCP server, for machines without redis-server."""

    def __init__(self) -> None:
        from fakeredis import TcpFakeServer  # optional dependency: only when no redis-server

        self.port = redis_server.free_port()
        self.server = TcpFakeServer(("127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> EmbeddedRedis:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Demo:
    """A live Resque deployment in one process tree."""

    def __init__(self, say: Say = print, seed: int = 7) -> None:
        self.say = say
        self.rng = random.Random(seed)
        self.redis: redis_server.RedisServer | EmbeddedRedis | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        assert self.redis is not None
        return self.redis.url

    def start_redis(self) -> str:
        if redis_server.available():
            self.redis = redis_server.RedisServer().start()
            self.say(f"started redis-server on {self.redis.url}")
        else:
            self.redis = EmbeddedRedis().start()
            self.say(f"redis-server is not installed; using fakeredis' server on {self.redis.url}")
        return self.redis.url

    def seed(self, jobs: int = 400, failures: int = 60) -> None:
        """Queues with backlog and a failure history, so every page has content at once."""
        resque = Resque(connect(self.url))
        for _ in range(jobs):
            kind, args = random_job(self.rng)
            resque.enqueue(kind, *args)
        backend = backend_for(resque)
        for n in range(failures):
            kind, args = random_job(self.rng)
            try:
                raise _demo_failure(kind.__name__, n)
            except Exception as exc:
                worker = f"demo-host-{n % 3 + 1}:{4000 + n % 3}:*"
                payload = {"class": kind.resque_class, "args": args}
                backend.save(exc, worker, kind.queue, payload)
        resque.redis.set(resque.keys.processed, 1200 + jobs)
        resque.redis.set(resque.keys.failed_count, failures)
        self.say(f"seeded {jobs} jobs on {len(resque.queues())} queues and {failures} failures")

    def start_workers(self) -> None:
        for queues, extra in WORKERS:
            command = [
                sys.executable, "-m", "resque_web", "worker",
                "--redis", self.url, "--queues", queues, "--interval", "1",
                "--require", "resque_web.demo.jobs",
            ]  # fmt: skip
            if extra:
                command.append(extra)
            self.workers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        time.sleep(0.5)
        dead = [w for w in self.workers if w.poll() is not None]
        if dead:
            raise RuntimeError(
                f"{len(dead)} demo worker(s) exited at once (status {dead[0].returncode}); "
                "their error is printed above"
            )
        self.say(f"started {len(self.workers)} workers ({'; '.join(q for q, _ in WORKERS)})")

    def start_producer(self) -> None:
        thread = threading.Thread(target=self._produce, name="demo-producer", daemon=True)
        thread.start()
        self.threads.append(thread)

    def _produce(self) -> None:
        """Enqueue a few jobs a second; now and then retry the newest failure."""
        resque = Resque(connect(self.url))
        dashboard = Dashboard(resque)
        tick = 0
        while not self.stop.wait(1.0):
            tick += 1
            try:
                for _ in range(self.rng.randint(1, 4)):
                    kind, args = random_job(self.rng)
                    resque.enqueue(kind, *args)
                if tick % 15 == 0:
                    page = dashboard.failures.page(per_page=1)
                    if page.items and not page.items[0].retried:
                        failure = page.items[0]
                        dashboard.failures.retry(None, failure.position, failure.digest)
            except redis.RedisError:
                continue  # Redis is going away with the demo

    def close(self) -> None:
        self.stop.set()
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for worker in self.workers:
            try:
                worker.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()
        if self.redis is not None:
            self.redis.close()
        self.say("demo stopped: workers, producer and Redis are gone")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _demo_failure(kind: str, n: int) -> Exception:
    messages: list[Exception] = [
        KeyError("user_id"),
        ZeroDivisionError("division by zero"),
        TimeoutError(f"upstream timed out after 30s (request {n})"),
        ValueError(f"bad input <b>{n}</b> & 'quotes'"),
        RuntimeError(f"{kind} failed: Ошибка обработки 💥"),
    ]
    return messages[n % len(messages)]


def run(serve: Callable[[str], None], say: Say = print) -> None:
    """Start everything, hand the Redis URL to ``serve`` (which blocks), stop on return."""
    demo = Demo(say)
    # A TERM or HUP (a closed terminal, a supervisor) stops the demo as Ctrl-C does, so its
    # workers and Redis never outlive it.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _interrupt)
    try:
        demo.start_redis()
        demo.seed()
        demo.start_workers()
        demo.start_producer()
        serve(demo.url)
    except KeyboardInterrupt:
        pass
    finally:
        # Cleanup is bounded (workers get 10 s, then KILL): let no second signal cut it short.
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_IGN)
        demo.close()
