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
import marshal
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from ..client import Resque
from ..errors import exception_name
from ..failure import error_message
from ..job import Job, warm
from ..registry import JobRegistry
from .exits import TermException, child_killed, process_status
from .failures import job_label
from .forkserver import ForkServer, ServerGone, report
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
_FROM_CODE = {0: Outcome.DONE, 1: Outcome.FAILED, 2: Outcome.SKIPPED}
_CHILD_CRASHED = 70


def _exit_code(outcome: Outcome) -> int:
    """The child's exit code for ``outcome`` (not a dict: an Enum hashes in Python code,
    which every child would run again)."""
    if outcome is Outcome.DONE:
        return 0
    return 1 if outcome is Outcome.FAILED else 2


def job_message(job: Job, title: str) -> bytes:
    """A job for a child of the fork server, with its title: ``marshal``, as the payload is
    decoded JSON (plain data: nothing to look up, little to allocate in the child)."""
    return marshal.dumps((title, job.queue, job.raw, job.payload))


def read_job_message(body: bytes) -> tuple[Job, str]:
    title, queue, raw, payload = marshal.loads(body)
    return Job(queue, payload, raw), title


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
        self._hooks_known: set[Any] = set()  # job classes whose hooks this process looked up
        self._served: set[Any] = set()  # job classes the fork server has looked up
        self.server = ForkServer(log)

    def start_server(self, title: str) -> None:
        """Fork the fork server (see :mod:`.forkserver`): before threads and connections."""
        try:
            self.server.start(
                title, self.signals.prepare_child, self._prepare_served, self._served_child
            )
        except OSError as exc:
            self.log.error("Cannot start the fork server (%s); forking from the worker", exc)

    def stop_server(self) -> None:
        self.server.stop()

    def run(self, reserved: Reserved) -> Outcome:
        try:
            target = reserved.job.resolve(self.registry)
        except Exception as exc:  # bad payload or unknown class: a failure, not a crash
            self._report_failure(reserved.queue, reserved.payload, exc)
            return Outcome.FAILED
        if self.fork:
            if self.server.running:
                return self._perform_served(reserved, target)
            self._warm(target)
            return self._perform_forked(reserved, target)
        return self._perform_here(reserved.job)

    def _warm(self, target: Any) -> None:
        """Look a job class's hooks up once in the forking process, for every child."""
        if target not in self._hooks_known:
            with contextlib.suppress(Exception):
                warm(target)
                self._hooks_known.add(target)

    def _prepare_served(self, body: bytes) -> None:
        """In the fork server, before it forks the first child for a job class."""
        with contextlib.suppress(Exception):
            self._warm(read_job_message(body)[0].resolve(self.registry))

    def _served_child(self, body: bytes, reports: int) -> NoReturn:
        """In a child of the fork server: take the worker's title, perform, exit."""
        try:
            job, title = read_job_message(body)
            self.procline.set_raw(title)
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                self.log.error("The child could not read its job: %r", exc)
            os._exit(_CHILD_CRASHED)
        self._child(job, reports)

    def _perform_here(self, job: Job) -> Outcome:
        """Run the job in this process; any exception (even SystemExit) is its failure."""
        try:
            self.signals.inline_job = True  # TERM/INT now raise TermException in the job
            if self.signals.term_pending:
                raise TermException("SIGTERM")
            performed = job.perform(self.registry)
            self.signals.inline_job = False
        except BaseException as exc:
            self.signals.inline_job = False
            self._report_failure(job.queue, job.payload, exc)
            return Outcome.FAILED
        return Outcome.DONE if performed else Outcome.SKIPPED

    def _report_failure(self, queue: str, payload: Any, exc: BaseException) -> None:
        """Ruby's ``report_failed_job``: log, record through the backend, count."""
        self.log.error(
            "%s failed: %s: %s",
            job_label(queue, payload),
            exception_name(exc),
            error_message(exc),
        )
        links = self.links_here()
        links.recorder.record(exc, self.id, queue, payload)
        try:
            self.retry(links.registration.count_failed, "counting the failure", True)
        except GaveUp:
            self.log.error("Failure not counted in stat:failed (Redis unavailable)")

    def links_here(self) -> Links:
        """This process's links: a child never uses its parent's connections."""
        if self._parent_links:
            self.links = self.links.fresh()
            self._parent_links = False
        return self.links

    def current_resque(self) -> Resque:
        """The connection a job's hooks use (:func:`resque_web.context.current`)."""
        return self.links_here().resque

    def _perform_served(self, reserved: Reserved, target: Any) -> Outcome:
        """The fork server forks the child; this process signals it and records its end."""
        try:
            body = job_message(reserved.job, self.procline.current or "")
        except ValueError:  # not plain data after all: fork it here
            self._warm(target)
            return self._perform_forked(reserved, target)
        new_class = target not in self._served
        mask = self.signals.block()  # until the pid is known (TERM/USR1 must reach the child)
        try:
            pid = self.server.fork(body, prepare=new_class)
        except ServerGone as exc:
            self.signals.unblock(mask)
            self.server.lost(exc)
            self._warm(target)
            return self._perform_forked(reserved, target)
        if pid > 0:
            self.signals.child_started(pid)
        self.signals.unblock(mask)
        if new_class:
            self._served.add(target)
        if pid < 0:
            self.log.error("Cannot fork (%s); performing in this process", os.strerror(-pid))
            return self._perform_here(reserved.job)
        self.procline.forked(pid)
        try:
            code, status = self.server.wait(pid)
        except ServerGone as exc:
            self.server.lost(exc)
            self._outlive(pid)
            self.log.warning(
                "%s: the child (pid %s) lost its fork server; its outcome is unknown",
                job_label(reserved.queue, reserved.payload),
                pid,
            )
            return Outcome.UNKNOWN
        self.signals.child_reaped()
        try:
            self.server.release(pid)
        except ServerGone as exc:
            self.server.lost(exc)
        if code is not None:  # it said so before exiting
            return _FROM_CODE.get(code, Outcome.UNKNOWN)
        return self._outcome(reserved, target, pid, status or 0)

    def _outlive(self, pid: int) -> None:
        """Wait for an orphaned child (no longer ours to reap) to be gone."""
        try:
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                except PermissionError:
                    return
                self.signals.wait(0.05)
        finally:
            self.signals.child_reaped()

    def _perform_forked(self, reserved: Reserved, target: Any) -> Outcome:
        """Fork the child from this process (when there is no fork server)."""
        mask = self.signals.block()  # until each side has its handlers
        try:
            pid = os.fork()
        except OSError as exc:
            self.log.error("Cannot fork (%s); performing in this process", exc)
            pid = -1
        if pid == 0:
            self._child(reserved.job)
        if pid > 0:
            self.signals.child_started(pid)
        self.signals.unblock(mask)
        if pid > 0:  # the child keeps "Processing ...", as Ruby's does
            self.procline.forked(pid)
        if pid < 0:
            return self._perform_here(reserved.job)
        return self._outcome(reserved, target, pid, self._wait(pid))

    def _outcome(self, reserved: Reserved, target: Any, pid: int, status: int) -> Outcome:
        """What the child's wait status says happened."""
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

    def _child(self, job: Job, reports: int | None = None) -> NoReturn:
        """In the forked child: perform, record a failure, exit. Never returns.

        Every page the child writes is a copy (about 5 us each on a small VM), so it does as
        little as it can: ``gc.freeze`` keeps its collections off the parent's objects, and
        its own Redis connection is made only if a failure must be recorded. A child of the
        fork server (``reports``: where it says how the job went) has that done already:
        the server froze its objects and holds the child's signal handlers, blocked, ready
        to be let through."""
        code = _CHILD_CRASHED
        try:
            self._parent_links = True
            if reports is not None:
                self.signals.release_child()
            else:
                gc.freeze()
                self.signals.child_mode()
            code = _exit_code(self._perform_here(job))
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                self.log.error("The child crashed: %r", exc)
        finally:
            try:  # not contextlib.suppress: two objects and four calls fewer in every child
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass
            if reports is not None and code != _CHILD_CRASHED:
                report(reports, code)
            os._exit(code)
