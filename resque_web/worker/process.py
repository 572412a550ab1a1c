"""The worker process: start-up, the work loop, shutdown.

The life cycle is Resque 3.0's ``Worker#work``: signal handlers, heartbeat, prune, register;
then take a job, mark the worker busy, perform it (``perform``: in a forked child by
default), count it done; on exit, unregister. What differs is on purpose: one Redis round trip
per job (see ``reserve``), a bad payload becomes a failure instead of killing the worker,
and Redis outages are waited out instead of losing the job in hand.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

from .. import context, times
from ..registry import JobRegistry
from ..registry import registry as default_registry
from .config import WorkerConfig
from .failures import job_label
from .heartbeat import Heartbeat
from .links import Links
from .perform import JobRunner, Outcome
from .procline import Procline
from .prune import prune_dead_workers
from .queue_spec import QueueSpec
from .registration import worker_id
from .reserve import PAUSED, Reserved, Reserver, from_busy
from .retry import REDIS_DOWN, GaveUp, until_redis
from .signals import Signals
from .unregister import unregister_worker

T = TypeVar("T")

# Give up unregistering after this long when Redis stays away at shutdown (a supervisor
# waits about this long before it KILLs).
UNREGISTER_PATIENCE = 10.0


class Worker:
    """One worker. ``Worker(url, namespace, config).run()`` returns the exit status."""

    def __init__(
        self,
        redis_url: str,
        namespace: str,
        config: WorkerConfig,
        registry: JobRegistry | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.config = config
        self.spec = QueueSpec(config.queues)
        self.id = worker_id(self.spec.id_part)
        self.log = log or logging.getLogger("resque_web.worker")
        self.registry = registry or default_registry
        self.signals = Signals(self.log, config.term_timeout)
        self.links = Links(
            redis_url,
            namespace,
            self.id,
            self.registry,
            config.failure_backend,
            self.log,
            self.signals.wait,
            lambda: self.signals.forced,
        )
        self.started = times.started()
        self.procline = Procline()
        self.heartbeat = Heartbeat(
            self.links.fresh().registration, config.heartbeat_interval, self.log
        )
        self.reserver = Reserver(
            self.links.redis, self.links.keys, self.links.registration, self.spec, self.log
        )
        self.runner = JobRunner(
            self.id,
            self.links,
            self.signals,
            self.registry,
            self.log,
            config.fork,
            lambda action, what, holding: self._retry(action, what, holding),
            self.procline,
        )
        self._registered = False
        self._redis_was_down = False
        self._paused_by_key = False
        self._pending_done = False
        self._last_busy: str | None = None
        self.processed = 0

    # Life cycle -------------------------------------------------------------------
    def run(self) -> int:
        self.procline.starting()  # from here on Ruby's ps check sees a live worker
        self.log.info("Starting worker %s", self.id)
        context.bind(self.runner.current_resque)  # plugins' hooks reach Redis through it
        if self.config.fork:  # before the heartbeat thread and any connection: see forkserver
            self.runner.start_server(f"resque-web fork server for {self.id}")
        self.signals.install(forking=self.config.fork)
        crash: BaseException | None = None
        try:
            self._startup()
            self._loop()
        except GaveUp as exc:
            self.log.error("Stopping: %s", exc)
            crash = exc
        except BaseException as exc:
            self.log.exception("Worker failed: %r", exc)
            crash = exc
        self._teardown(crash)
        return 0 if crash is None else 1

    def _startup(self) -> None:
        self._retry(self.heartbeat.start, "sending the first heartbeat")
        self._retry(self._prune, "pruning dead workers")
        self._retry(lambda: self.links.registration.register(self.started), "registering")
        self._registered = True
        how = "forking a child per job" if self.config.fork else "without forking"
        every = f"polling every {self.config.interval:g}s" if self.config.interval else "burst"
        self.log.info(
            "Registered %s; watching %s, %s, %s",
            self.id,
            ",".join(self.spec.names),
            how,
            every,
        )

    def _prune(self) -> None:
        prune_dead_workers(
            self.links.registration,
            self.spec,
            self.links.recorder,
            self.log,
            lock_ttl=self.config.heartbeat_interval,
            prune_interval=self.config.prune_interval,
            registry=self.registry,
        )

    def _loop(self) -> None:
        while not self.signals.shutdown:
            if self.signals.paused:
                self._flush_done()
                if self.config.burst:
                    return
                self.procline.waiting(self.spec.names, paused=True)
                self.signals.sleep(self.config.interval)
                continue
            got = self._reserve()
            self._note_pause_key(got == PAUSED)
            if isinstance(got, Reserved):
                self._work(got)
                continue
            if self.config.burst:
                return
            self.procline.waiting(self.spec.names, paused=got == PAUSED)
            self.signals.sleep(self.config.interval)

    def _note_pause_key(self, paused: bool) -> None:
        if paused != self._paused_by_key:
            self._paused_by_key = paused
            state = "set: taking no jobs" if paused else "gone: taking jobs again"
            self.log.info("pause-all-workers %s", state)

    def _teardown(self, crash: BaseException | None) -> None:
        self.runner.stop_server()
        if not self.heartbeat.started:  # Redis never answered: nothing of ours is there
            self.reserver.close()
            return
        deadline = time.monotonic() + UNREGISTER_PATIENCE

        def finish() -> None:
            if self._pending_done:
                self.links.registration.done()
                self._pending_done = False
            unregister_worker(
                self.links.registration,
                self.links.recorder,
                self.log,
                None if isinstance(crash, GaveUp) else crash,
                before_keys=self.heartbeat.stop,
                registry=self.registry,
            )

        try:
            until_redis(
                finish,
                "unregistering",
                self.log,
                self.signals.wait,
                lambda: self.signals.forced or time.monotonic() > deadline,
            )
        except GaveUp as exc:
            self.log.error("Could not unregister %s: %s", self.id, exc)
        except Exception as exc:
            self.log.exception("Could not unregister %s: %r", self.id, exc)
        finally:
            self.heartbeat.stop()
            self.reserver.close()
        self.log.info("Exiting worker %s after %d jobs", self.id, self.processed)

    # Redis, patiently ---------------------------------------------------------------
    def _retry(self, action: Callable[[], T], what: str, holding_job: bool = False) -> T:
        """Retry while Redis is down; with no job in hand a shutdown request stops it."""

        def give_up() -> bool:
            return self.signals.forced or (not holding_job and self.signals.shutdown)

        return until_redis(action, what, self.log, self.signals.wait, give_up, self._after_outage)

    def _after_outage(self) -> None:
        self._redis_was_down = True

    def _reregister_after_outage(self) -> None:
        """Redis may have come back empty: be registered and beating again."""
        if self._redis_was_down and self._registered:
            self._redis_was_down = False
            self._retry(lambda: self.links.registration.reregister(self.started), "re-registering")

    def _flush_done(self) -> None:
        if self._pending_done:
            self._retry(self.links.registration.done, "counting the job done", holding_job=True)
            self._pending_done = False

    def _reserve(self) -> Reserved | str | None:
        """The next job, via the reserve script (which also finishes the previous job)."""
        while True:
            try:
                got = self.reserver.reserve(self._pending_done)
            except REDIS_DOWN as exc:
                self._redis_was_down = True
                self.log.error("Redis unavailable while taking a job (%s)", exc)
                got = self._recover_reserve()
                if got is None:
                    continue
            except redis.ResponseError as exc:
                self.log.error("Taking a job failed: %s", exc)
                got = None
            self._pending_done = False
            self._reregister_after_outage()
            return got

    def _recover_reserve(self) -> Reserved | None:
        """After a dropped reply, the worker key tells whether the script ran: still the
        previous job's value (not run), empty (ran, no job), or a new job (ran, it is ours).
        Empty and unregistered means Redis lost its data: the script cannot have run there
        (it was sent on the old connection), so the previous job is still to be counted."""
        current, listed = self._retry(self.links.registration.state, "taking the next job")
        if self._pending_done and (current == self._last_busy or (current is None and not listed)):
            return None
        self._pending_done = False
        if current is None:
            return None
        self.log.warning("Recovered the job taken just before Redis dropped: %s", current)
        return from_busy(current)

    # One job ------------------------------------------------------------------------
    def _work(self, reserved: Reserved) -> None:
        if not reserved.busy_is_stored:
            self._retry(
                lambda: self.links.registration.set_busy(reserved.busy),
                "marking the worker busy",
                holding_job=True,
            )
        self._last_busy = reserved.busy
        self.procline.processing(reserved.queue, reserved.job.class_name)
        began = time.perf_counter()
        outcome = self.runner.run(reserved)
        self._pending_done = True
        self.processed += 1
        if self.config.verbose and outcome in (Outcome.DONE, Outcome.SKIPPED):
            took = (time.perf_counter() - began) * 1000
            verb = "done" if outcome is Outcome.DONE else "skipped"
            self.log.info(
                "%s: %s in %.1f ms", verb, job_label(reserved.queue, reserved.payload), took
            )
