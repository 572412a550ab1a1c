"""Performing one job: in a forked child (Ruby's default) or in this process.

Either way a job's exception, even ``SystemExit``, is recorded through the failure backend and
counted (Ruby's ``report_failed_job``). A child killed by a signal is recorded by the parent as
``Resque::DirtyExit`` and not counted, as in Ruby; a child that exits on its own without a
result (``os._exit`` in the job) records nothing, as in Ruby, but is logged.

Where the kernel offers pidfds (Linux 5.3+), a child writes its outcome to a pipe just before
``os._exit``, and the parent takes the next job as soon as it reads it, reaping the child a job
later: tearing down a forked process's memory takes as long as the fork itself (about 1.5 ms
for a 30 MB worker on a small VM), and that now runs on another core beside the parent's next
reserve and fork instead of before them. A child that dies without reporting (a signal, an
``os._exit`` of the job's own) is waited for and judged by its exit status, as before.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import logging
import os
import select
import struct
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
# The report: the child's pid and its code, in one write (atomic: under PIPE_BUF).
_REPORT = struct.Struct("=iI")


def _pidfds_work() -> bool:
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):  # not Linux, or a kernel before 5.3
        return False
    return True


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
    ) -> None:
        self.id = worker_id
        self.links = links
        self.signals = signals
        self.registry = registry
        self.log = log
        self.fork = fork
        self.retry = retry
        self._parent_links = False  # in a child, until it needs Redis
        self._reports: tuple[int, int] | None = None  # the pipe children report on
        self._use_reports = fork and _pidfds_work()
        self._exiting: list[int] = []  # children that reported and are exiting, to reap
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
        if self._use_reports and self._reports is None:
            self._reports = os.pipe()
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
        if pid < 0:
            self.reap()
            return self._perform_here(reserved)
        if self._exiting:
            self.reap(block=False)  # the previous child, exiting while this one started
        code = self._await_report(pid)
        if code is not None:
            return _FROM_CODE[code]
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

    def _await_report(self, pid: int) -> int | None:
        """The code the child reported, or None once it has exited without reporting (then
        it is left for :meth:`_wait`). A reporting child is left to exit on its own."""
        if self._reports is None:
            return None
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # cannot watch it: wait for its exit status instead
            return None
        read = self._reports[0]
        try:
            while True:
                ready, _, _ = select.select([read, pidfd], [], [])
                if read in ready:
                    code = self._read_report(read, pid)
                    if code is not None:
                        self.signals.child_reaped()
                        self._exiting.append(pid)
                        return code
                if pidfd in ready:  # exited; its report, if any, was written before
                    ready, _, _ = select.select([read], [], [], 0)
                    return self._read_report(read, pid) if ready else None
        finally:
            os.close(pidfd)

    @staticmethod
    def _read_report(read: int, pid: int) -> int | None:
        """This child's code from what is in the pipe (a child the job forked that got back
        here may have written too: only ``pid``'s report counts)."""
        data = os.read(read, 4096)
        found = None
        for offset in range(0, len(data) - _REPORT.size + 1, _REPORT.size):
            sender, code = _REPORT.unpack_from(data, offset)
            if sender == pid and code in _FROM_CODE:
                found = code
        return found

    def reap(self, block: bool = True) -> None:
        """Collect the children that reported and exited (all of them when ``block``)."""
        for pid in list(self._exiting):
            try:
                done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self._exiting.remove(pid)

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
            if self._reports is not None and code != _CHILD_CRASHED:
                with contextlib.suppress(BaseException):
                    os.write(self._reports[1], _REPORT.pack(os.getpid(), code))
            os._exit(code)
