"""Forgetting a worker, ours or a dead one, as Ruby's ``Worker#unregister_worker``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..job import Job
from ..registry import JobRegistry
from .exits import still_processing
from .failures import FailureRecorder
from .registration import Registration


def unregister_worker(
    registration: Registration,
    recorder: FailureRecorder,
    log: logging.Logger,
    exception: BaseException | None = None,
    before_keys: Callable[[], None] | None = None,
    registry: JobRegistry | None = None,
) -> None:
    """A job still in ``worker:<id>`` becomes a failure (``exception``, else
    ``DirtyExit: Job still being processed``; not counted in ``stat:failed``, as in Ruby),
    then the worker's keys go in one pipeline. ``before_keys`` runs in between (Ruby stops
    the heartbeat thread there)."""
    held = registration.processing()
    if held:
        failure = exception or still_processing()
        queue = held.get("queue") if isinstance(held.get("queue"), str) else ""
        payload = held.get("payload")
        _run_failure_hooks(queue, payload, failure, registry)
        backtrace = None if failure.__traceback__ is not None else []
        log.error("%s was still holding a job; recording it as failed", registration.id)
        recorder.record(failure, registration.id, queue, payload, backtrace)
    if before_keys is not None:
        before_keys()
    registration.unregister_keys()


def _run_failure_hooks(
    queue: str, payload: object, failure: BaseException, registry: JobRegistry | None
) -> None:
    """Ruby's ``Job#fail`` runs the class's ``on_failure`` hooks; a class we cannot load has
    none to run."""
    if not isinstance(payload, dict):
        return
    try:
        job = Job(queue, payload)
        job.run_failure_hooks(failure, job.resolve(registry))
    except Exception:  # hooks must not stop the unregistering
        return
