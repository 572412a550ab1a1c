"""Signals, as Resque 3.0 answers them (``Worker#register_signal_handlers``):

- QUIT: finish the current job, then exit;
- TERM, INT: exit now; a forked child gets TERM, then KILL after ``RESQUE_TERM_TIMEOUT``
  seconds (Ruby's ``TERM_CHILD`` behaviour); a job running in-process gets ``TermException``;
- USR1: stop the current child the same way, keep working;
- USR2: pause (take no new job); CONT: resume.

Handlers only set flags, signal the child and arm a timer, so no Redis command is ever cut in
half; the one exception is the in-process job, which is interrupted as Ruby does. A wake-up
pipe makes the idle sleep end as soon as a signal arrives.

What runs once per job (blocking signals around fork, the child's handlers) calls ``_signal``,
the C module under ``signal``: the ``signal`` wrappers turn every number they return into an
enum, and in a freshly forked child each object that touches is a page copied (measured: four
``signal.signal`` calls cost a child 80 page faults, the C calls 40).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
from types import FrameType

from .exits import TermException, signal_name

try:
    import _signal as _raw  # the C functions, without the enum conversions
except ImportError:  # pragma: no cover - not CPython
    _raw = signal

HANDLED = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGCONT,
    signal.SIGALRM,
)


# The same as plain ints: a child unblocking them touches no enum member (each a page to copy).
_HANDLED_NUMBERS = tuple(int(number) for number in HANDLED)
_UNBLOCK = int(signal.SIG_UNBLOCK)


def block_in_this_thread() -> None:
    """Keep signals away from a helper thread, so that the main thread always gets them."""
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)


class Signals:
    """The worker's signal state; read by the work loop, written by the handlers."""

    def __init__(self, log: logging.Logger, term_timeout: float) -> None:
        self.log = log
        self.term_timeout = term_timeout
        self.shutdown = False
        self.forced = False
        self.paused = False
        self.child: int | None = None
        self.inline_job = False
        self.term_pending = False
        self._term_seen = False
        self._terminating: int | None = None
        self._pipe: tuple[int, int] | None = None
        self._child_handlers = (
            (signal.SIGTERM, self._child_term),
            (signal.SIGINT, signal.default_int_handler),
            (signal.SIGQUIT, _ignore),
            (signal.SIGUSR1, _ignore),
            (signal.SIGUSR2, _ignore),
            (signal.SIGCONT, _ignore),
            (signal.SIGALRM, _raw.SIG_DFL),
        )

    # Parent ---------------------------------------------------------------------
    def install(self, forking: bool) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._pipe = (read, write)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGQUIT, self._on_quit)
        signal.signal(signal.SIGUSR1, self._on_usr1)
        signal.signal(signal.SIGUSR2, self._on_usr2)
        signal.signal(signal.SIGCONT, self._on_cont)
        if forking:
            signal.signal(signal.SIGALRM, self._on_alarm)

    def sleep(self, seconds: float) -> None:
        """Sleep between polls, but wake up at once when a signal arrives (and not at all
        once shutting down: there is no next poll to wait for)."""
        if self.shutdown:
            return
        self.wait(seconds)

    def wait(self, seconds: float) -> None:
        """Wait before retrying Redis. Unlike :meth:`sleep` this waits while shutting down
        too: a worker told to stop still holds its job until the failure is recorded, and
        retrying without a pause would spin (and flood the log) for as long as Redis is
        down. A further signal (a second TERM) still wakes it at once."""
        if seconds <= 0:
            return
        if self._pipe is None:
            select.select([], [], [], seconds)
            return
        read = self._pipe[0]
        ready, _, _ = select.select([read], [], [], seconds)
        if ready:
            with contextlib.suppress(BlockingIOError):
                os.read(read, 512)

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        name = signal_name(signum)
        self.forced = self._term_seen  # a second TERM/INT: KILL the child, stop retrying
        self._term_seen = True
        self.log.info("%s received; exiting now", name)
        self.shutdown = True
        self.kill_child()
        if self.inline_job:
            self.inline_job = False
            raise TermException(name)

    def _on_quit(self, signum: int, frame: FrameType | None) -> None:
        self.log.info("QUIT received; exiting after the current job")
        self.shutdown = True

    def _on_usr1(self, signum: int, frame: FrameType | None) -> None:
        self.log.info("USR1 received; stopping the current job")
        self.kill_child()

    def _on_usr2(self, signum: int, frame: FrameType | None) -> None:
        self.log.info("USR2 received; pausing job processing")
        self.paused = True

    def _on_cont(self, signum: int, frame: FrameType | None) -> None:
        self.log.info("CONT received; resuming job processing")
        self.paused = False

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        pid = self.child
        if pid and pid == self._terminating:
            self.log.info(
                "Child %s still running after %.1fs; sending KILL", pid, self.term_timeout
            )
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def kill_child(self) -> None:
        """TERM the child, KILL it after the timeout (at once when forced or timeout is 0)."""
        pid = self.child
        if not pid:
            return
        with contextlib.suppress(ProcessLookupError):
            if self.forced or self.term_timeout <= 0:
                os.kill(pid, signal.SIGKILL)
            elif self._terminating != pid:
                self._terminating = pid
                os.kill(pid, signal.SIGTERM)
                signal.setitimer(signal.ITIMER_REAL, self.term_timeout)

    @staticmethod
    def block() -> set[int]:
        """Hold signals back (e.g. across fork, until each side has its handlers); returns
        the mask to give :meth:`unblock`. Two calls, not a context manager: once per job in
        the parent, and every object allocated there is a page written after the fork."""
        return _raw.pthread_sigmask(signal.SIG_BLOCK, HANDLED)

    @staticmethod
    def unblock(mask: set[int]) -> None:
        _raw.pthread_sigmask(signal.SIG_SETMASK, mask)

    def child_started(self, pid: int) -> None:
        self.child = pid

    def child_reaped(self) -> None:
        self.child = None
        if self._terminating is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._terminating = None

    # Child ----------------------------------------------------------------------
    def child_mode(self) -> None:
        """In the forked child: TERM interrupts the job once; INT is Python's KeyboardInterrupt;
        QUIT/USR1/USR2/CONT are for the parent (a terminal sends them to the whole group).
        Then unblocks the signals :meth:`block` held back across the fork."""
        self.prepare_child()
        self.release_child()

    def prepare_child(self) -> None:
        """The child's handlers (see :meth:`child_mode`), the signals still blocked: the fork
        server sets them once, and each child it forks only has to :meth:`release_child`."""
        _raw.set_wakeup_fd(-1)
        if self._pipe is not None:
            for fd in self._pipe:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._pipe = None
        self.child = None
        self._terminating = None
        self.inline_job = False
        for number, handler in self._child_handlers:
            _raw.signal(number, handler)

    @staticmethod
    def release_child() -> None:
        _raw.pthread_sigmask(_UNBLOCK, _HANDLED_NUMBERS)

    def _child_term(self, signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, _ignore)  # later TERMs are ignored, as in Ruby
        self.shutdown = True
        if self.inline_job:
            self.inline_job = False
            raise TermException("SIGTERM")
        self.term_pending = True  # before the job started: it will not start


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A no-op handler (unlike SIG_IGN it is not inherited by programs the job runs)."""
