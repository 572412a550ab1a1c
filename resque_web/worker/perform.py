"""Performing one job: in a forked child (Ruby's default) or in this process.

Either way a job's exception, even ``SystemExit``, is recorded through the failure backend and
counted (Ruby's ``report_failed_job``). A child killed by a signal is recorded by the parent as
``Resque::DirtyExit`` and not counted, as in Ruby; a child that exits on its own without a
result (``os._exit`` in the job) records nothing, as in Ruby, but is logged.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from ..errors import exception_name
from ..failure import error_message
from ..job import HOOK_PREFIXES, hooks
from ..registry import JobRegistry
from .exits import TermException, child_killed, process_status
from .failures import job_label
from .links import Links
from .procline import Procline
from .reserve import Reserved
from .retry import GaveUp
from .signals import Signals


class Outcome(enum.Enum):
    DONE = 0
    FAILED = 1
    SKIPPED = 2  # a before_perform hook raised DontPerform
    KILLED = 3  # the child died by a signal (recorded as DirtyExit, not counted)
    UNKNOWN = 4  # the child exited by itself without saying (os._exit in the job)


# How a child tells its parent what happened (Ruby's children always exit 1 and the parent
# only looks at signals; these codes only feed the log line).
_CHILD_CODES = {Outcome.DONE: 0, Outcome.FAILED: 1, Outcome.SKIPPED: 2}
_FROM_CODE = {code: outcome for outcome, code in _CHILD_CODES.items()}
_CHILD_CRASHED = 70


class JobRunner:
    """Runs jobs for one worker. ``retry(action, what, holding_job)`` is the worker's patient
    Redis call; ``links`` are replaced by fresh ones in a child."""

    def __init__(
        self,
        worker_id: str,
        links: Links,
        signals: Signals,
        registry: JobRegistry,
        log: logging.Logger,
        fork: bool,
        retry: Callable[[Callable[[], Any], str, bool], Any],
        procline: Procline | None = None,
    ) -> None:
        self.id = worker_id
        self.links = links
        self.signals = signals
        self.registry = registry
        self.log = log
        self.fork = fork
        self.retry = retry
        self.procline = procline or Procline()
        self._parent_links = False  # in a child, until it needs Redis
        self._hooks_known: set[Any] = set()  # job classes whose hooks the parent looked up

    def run(self, reserved: Reserved) -> Outcome:
        try:
            target = reserved.job.resolve(self.registry)
        except Exception as exc:  # bad payload or unknown class: a failure, not a crash
            self._report_failure(reserved, exc)
            return Outcome.FAILED
        if self.fork:
            if target not in self._hooks_known:  # look hooks up once, for every child
                with contextlib.suppress(Exception):
                    for prefix in HOOK_PREFIXES:
                        hooks(target, prefix)
                    self._hooks_known.add(target)
            return self._perform_forked(reserved, target)
        return self._perform_here(reserved)

    def _perform_here(self, reserved: Reserved) -> Outcome:
        """Run the job in this process; any exception (even SystemExit) is its failure."""
        try:
            self.signals.inline_job = True  # TERM/INT now raise TermException in the job
            if self.signals.term_pending:
                raise TermException("SIGTERM")
            performed = reserved.job.perform(self.registry)
            self.signals.inline_job = False
        except BaseException as exc:
            self.signals.inline_job = False
            self._report_failure(reserved, exc)
            return Outcome.FAILED
        return Outcome.DONE if performed else Outcome.SKIPPED

    def _report_failure(self, reserved: Reserved, exc: BaseException) -> None:
        """Ruby's ``report_failed_job``: log, record through the backend, count."""
        self.log.error(
            "%s failed: %s: %s",
            job_label(reserved.queue, reserved.payload),
            exception_name(exc),
            error_message(exc),
        )
        if self._parent_links:  # a child never uses its parent's connections
            self.links = self.links.fresh()
            self._parent_links = False
        links = self.links
        links.recorder.record(exc, self.id, reserved.queue, reserved.payload)
        try:
            self.retry(links.registration.count_failed, "counting the failure", True)
        except GaveUp:
            self.log.error("Failure not counted in stat:failed (Redis unavailable)")

    def _perform_forked(self, reserved: Reserved, target: Any) -> Outcome:
        mask = self.signals.block()  # until each side has its handlers
        try:
            pid = os.fork()
        except OSError as exc:
            self.log.error("Cannot fork (%s); performing in this process", exc)
            pid = -1
        if pid == 0:
            self._child(reserved)
        if pid > 0:
            self.signals.child_started(pid)
        self.signals.unblock(mask)
        if pid > 0:  # the child keeps "Processing ...", as Ruby's does
            self.procline.forked(pid)
        if pid < 0:
            return self._perform_here(reserved)
        status = self._wait(pid)
        if os.WIFSIGNALED(status):
            return self._child_killed(reserved, target, pid, status)
        outcome = _FROM_CODE.get(os.WEXITSTATUS(status)) if os.WIFEXITED(status) else None
        if outcome is None:
            self.log.warning(
                "%s: the child (%s) exited without reporting; as in Resque, nothing is recorded",
                job_label(reserved.queue, reserved.payload),
                process_status(pid, status),
            )
            return Outcome.UNKNOWN
        return outcome

    def _wait(self, pid: int) -> int:
        try:
            while True:
                try:
                    _, status = os.waitpid(pid, 0)
                    return status
                except InterruptedError:
                    continue
        finally:
            self.signals.child_reaped()

    def _child_killed(self, reserved: Reserved, target: Any, pid: int, status: int) -> Outcome:
        """Ruby: ``job.fail(DirtyExit.new("Child process received unhandled signal ..."))``,
        which runs the failure hooks and records, but does not count in ``stat:failed``."""
        failure = child_killed(pid, status)
        self.log.error(
            "%s failed: %s: %s",
            job_label(reserved.queue, reserved.payload),
            exception_name(failure),
            failure,
        )
        try:
            reserved.job.run_failure_hooks(failure, target)
        except Exception as exc:
            self.log.error("on_failure hook raised %r", exc)
        self.links.recorder.record(failure, self.id, reserved.queue, reserved.payload, [])
        return Outcome.KILLED

    def _child(self, reserved: Reserved) -> None:
        """In the forked child: perform, record a failure, exit. Never returns.

        Every page the child writes is a copy (about 5 us each on a small VM), so it does as
        little as it can: ``gc.freeze`` keeps its collections off the parent's objects, and
        its own Redis connection is made only if a failure must be recorded."""
        code = _CHILD_CRASHED
        try:
            gc.freeze()
            self._parent_links = True
            self.signals.child_mode()
            code = _CHILD_CODES[self._perform_here(reserved)]
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                self.log.error("The child crashed: %r", exc)
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(BaseException):
                    stream.flush()
            os._exit(code)
