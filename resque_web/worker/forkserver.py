"""The fork server: a lean copy of the worker that forks each job's child (``--fork``).

Forking costs in proportion to what the forking process has mapped, and afterwards every
page either side writes is copied. The worker itself is a poor process to fork from: its
heartbeat thread makes the fork and each copy-on-write fault flush the other CPU's TLB too
(measured: a quarter of a trivial job's cost), and each job's Redis round trip and
bookkeeping write some 200 of its pages, which each fork write-protects again. So the
worker forks this server once, at start-up, after the ``--require``'d job code is loaded
but before the heartbeat thread starts and before any Redis connection is opened. The
server does nothing but read a job from a pipe, fork, and pass on pids and exit statuses:
between jobs it writes a few dozen pages. Once set up it asks for huge pages where its
memory allows them (:mod:`.hugepages`): fewer page-table entries for each fork to copy.

A child reports its outcome on a pipe of its own just before ``os._exit``; the worker goes
on with the next job then, while the kernel still tears the finished child down (a third of
a bare fork-exit-wait cycle, overlapped with the next job's fork). A child that dies before
it reports (a signal, ``os._exit`` in the job) is judged by its wait status, as Ruby judges
every child: killed by a signal is ``Resque::DirtyExit``. A report counts only from the
child's own pid: a process the job forked cannot speak for it.

What Ruby's worker does stays as it was: each job runs in a fresh child, titled
``Processing <queue> since <epoch> [<class>]``; the worker learns the child's pid while
its signals are still blocked, so TERM and USR1 always reach the child; the child is a
zombie until the worker says it is done with the pid (no signal the worker sends can reach
a recycled pid). The server exits when the worker closes its pipe (or dies); if the server
dies, the worker forks its children itself from then on. It needs ``pidfd_open`` (Linux
5.3); without it the worker forks its children itself.

Messages, worker to server: ``J`` + length + body (a job: what ``run_child`` reads), ``W``
+ length + body (the same, for a job class the server has not seen: ``prepare`` it first),
``R`` + pid (done with that child: reap it once it has exited). Server to worker, on the
replies pipe: ``P`` pid (forked; ``-errno`` when fork failed) and ``S`` pid status (it
exited before the worker released it: a released child is reaped without a word, so the
worker is not woken for an exit it no longer waits for). Child to worker, on the reports
pipe: ``O`` pid code. Each frame is 9 bytes, written at once (so never interleaved).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import select
import struct
import sys
from collections.abc import Callable
from typing import NoReturn

import setproctitle

from . import hugepages
from .signals import Signals

_HEADER = struct.Struct("!cI")
_FRAME = struct.Struct("!cii")
_JOB, _WARM, _RELEASE = b"J", b"W", b"R"
_FORKED, _STATUS, _OUTCOME = b"P", b"S", b"O"
_CHUNK = 1 << 16


class ServerGone(Exception):
    """The fork server is not there any more (killed, or it failed)."""


def available() -> bool:
    return hasattr(os, "pidfd_open") and hasattr(os, "P_PIDFD")


def wait_status(code: int, status: int) -> int:
    """The ``waitpid`` status for a ``waitid`` result (``si_code``, ``si_status``)."""
    if code == os.CLD_EXITED:
        return (status & 0xFF) << 8
    if code == os.CLD_DUMPED:
        return (status & 0x7F) | 0x80
    return status & 0x7F  # CLD_KILLED


def report(fd: int, code: int) -> bool:
    """In a child, just before it exits: its outcome, for the worker (if the job closed
    that pipe, the worker goes by the exit status instead)."""
    try:
        os.write(fd, _FRAME.pack(_OUTCOME, os.getpid(), code))
    except OSError:
        return False
    return True


class ForkServer:
    """The worker's side. :meth:`start` forks the server; then per job :meth:`fork`,
    :meth:`wait` and :meth:`release`; :meth:`stop` at the end."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.pid: int | None = None
        self._requests = -1  # we write jobs here
        self._replies = -1  # the server's frames
        self._reports = -1  # the children's frames

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(
        self,
        title: str,
        setup: Callable[[], None],
        prepare: Callable[[bytes], None],
        run_child: Callable[[bytes, int], NoReturn],
    ) -> None:
        """Fork the server, titled ``title``. ``setup()`` runs once in the server (what it
        sets up, every child inherits); ``prepare(body)`` runs there before a ``W`` job is
        forked (what it caches, every later child inherits); ``run_child(body, reports)``
        runs in each child and never returns (it passes its outcome to :func:`report`)."""
        if not available():
            raise OSError("pidfd_open is not available here")
        pipes = [os.pipe() for _ in range(3)]
        (requests_in, requests_out), (replies_in, replies_out), (reports_in, reports_out) = pipes
        mask = Signals.block()  # the server keeps them blocked: they are the worker's
        try:
            pid = os.fork()
        except OSError:
            Signals.unblock(mask)
            for fd in (fd for pair in pipes for fd in pair):
                os.close(fd)
            raise
        if pid == 0:
            for fd in (requests_out, replies_in, reports_in):
                os.close(fd)
            _serve(requests_in, replies_out, reports_out, title, setup, prepare, run_child)
        Signals.unblock(mask)
        for fd in (requests_in, replies_out, reports_out):
            os.close(fd)
        self.pid = pid
        self._requests, self._replies, self._reports = requests_out, replies_in, reports_in

    def fork(self, body: bytes, prepare: bool = False) -> int:
        """Have the server fork a child for ``body`` (after ``prepare(body)`` there): the
        child's pid, or ``-errno`` when fork failed."""
        self._send(_HEADER.pack(_WARM if prepare else _JOB, len(body)) + body)
        while True:
            kind, pid, _ = self._frame(self._replies)
            if kind == _FORKED:
                return pid
            # else the exit of an earlier child, already reported and released

    def wait(self, pid: int) -> tuple[int | None, int | None]:
        """How child ``pid`` ended: (its reported code, None), or (None, its wait status)
        when it exited without reporting."""
        watched = [self._replies, self._reports]
        while True:
            try:
                ready, _, _ = select.select(watched, [], [])
            except OSError as exc:
                raise ServerGone(f"cannot wait on it: {exc}") from exc
            if self._reports in ready:
                kind, who, value = self._frame(self._reports)
                if kind == _OUTCOME and who == pid:
                    return value, None
            if self._replies in ready:
                kind, who, value = self._frame(self._replies)
                if kind == _STATUS and who == pid:
                    return None, value

    def release(self, pid: int) -> None:
        """Done with child ``pid`` (no more signals to it): the server may reap it."""
        self._send(_HEADER.pack(_RELEASE, pid))

    def stop(self) -> None:
        """Close the pipes, so the server exits once its last child has; reap it when it
        is gone already (else init does, once this process has exited)."""
        pid, self.pid = self.pid, None
        for fd in (self._requests, self._replies, self._reports):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._requests = self._replies = self._reports = -1
        if pid is not None:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    select.select([], [], [], 0.05)  # it exits as soon as it reads EOF
                    os.waitpid(pid, os.WNOHANG)

    def lost(self, why: BaseException | str) -> None:
        """The server is gone: say so, and fork from the worker from now on."""
        self.log.error(
            "The fork server (pid %s) is gone (%s); forking each job's child from the worker",
            self.pid,
            why,
        )
        self.stop()

    def _send(self, data: bytes) -> None:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._requests, view) :]
        except OSError as exc:
            raise ServerGone(f"cannot write to it: {exc}") from exc

    def _frame(self, fd: int) -> tuple[bytes, int, int]:
        try:
            data = os.read(fd, _FRAME.size)
            while data and len(data) < _FRAME.size:
                more = os.read(fd, _FRAME.size - len(data))
                if not more:
                    break
                data += more
        except OSError as exc:
            raise ServerGone(f"cannot read from it: {exc}") from exc
        if len(data) < _FRAME.size:
            raise ServerGone("it closed its pipe")
        kind, pid, value = _FRAME.unpack(data)
        return kind, pid, value


class _Requests:
    """The server's reading end: a release and the next job may arrive in one read."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def _fill(self, size: int) -> bool:
        while len(self.buffer) < size:
            more = os.read(self.fd, max(_CHUNK, size - len(self.buffer)))
            if not more:
                return False
            self.buffer += more
        return True

    def next(self) -> tuple[bytes, int, bytes] | None:
        """The next request (kind, number, body), or None when the worker closed its end."""
        if not self._fill(_HEADER.size):
            return None
        kind, number = _HEADER.unpack_from(self.buffer)
        end = _HEADER.size if kind == _RELEASE else _HEADER.size + number
        if not self._fill(end):
            return None
        body, self.buffer = self.buffer[_HEADER.size : end], self.buffer[end:]
        return kind, number, body


def _serve(
    requests: int,
    replies: int,
    reports: int,
    title: str,
    setup: Callable[[], None],
    prepare: Callable[[bytes], None],
    run_child: Callable[[bytes, int], NoReturn],
) -> NoReturn:
    """The server's loop (in the forked server; never returns). Every page it writes while
    a child lives is copied, so a job costs it a read, a fork, a write and a wait."""
    code = 0
    try:
        setproctitle.setproctitle(title)
        setup()
        gc.freeze()  # children collect only what they allocate themselves
        hugepages.collapse()  # fewer page-table entries for each fork to copy
        reader = _Requests(requests)
        running: dict[int, int] = {}  # pidfd -> pid of children that have not exited
        exited: set[int] = set()  # exited (the worker was told), not yet released
        released: set[int] = set()  # released by the worker, not yet exited
        while True:
            if reader.buffer:
                ready = [requests]
            else:
                ready, _, _ = select.select([requests, *running], [], [])
            for fd in ready:
                if fd == requests:
                    continue
                pid = running.pop(fd)
                if pid in released:  # the worker is done with it: reap, say nothing
                    os.close(fd)
                    released.discard(pid)
                    os.waitpid(pid, 0)
                    continue
                result = os.waitid(os.P_PIDFD, fd, os.WEXITED | os.WNOWAIT)
                os.close(fd)
                status = wait_status(result.si_code, result.si_status) if result else 0
                os.write(replies, _FRAME.pack(_STATUS, pid, status))
                exited.add(pid)
            if requests not in ready:
                continue
            message = reader.next()
            if message is None:
                break
            kind, number, body = message
            if kind == _RELEASE:
                if number in exited:
                    exited.discard(number)
                    os.waitpid(number, 0)
                else:
                    released.add(number)
                continue
            if kind == _WARM:
                prepare(body)
                gc.freeze()
            try:
                pid = os.fork()
            except OSError as exc:
                os.write(replies, _FRAME.pack(_FORKED, -(exc.errno or 1), 0))
                continue
            if pid == 0:
                os.close(requests)
                os.close(replies)
                for fd in running:
                    os.close(fd)
                run_child(body, reports)
            running[os.pidfd_open(pid)] = pid
            os.write(replies, _FRAME.pack(_FORKED, pid, 0))
    except BaseException as exc:
        code = 1
        with contextlib.suppress(BaseException):
            logging.getLogger("resque_web.worker").error("The fork server failed: %r", exc)
    finally:
        with contextlib.suppress(BaseException):
            sys.stderr.flush()
        os._exit(code)
