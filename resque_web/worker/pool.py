"""``resque-web worker --count N``: N workers on one server under one supervisor, as Ruby's
``rake resque:workers COUNT=N`` (which runs N ``resque:work`` processes).

Each worker is a process of its own, forked from the supervisor after the job modules are
loaded, so each registers as its own Resque worker (``host:pid:queues``). The supervisor:

- replaces a worker that dies; one that dies within :data:`MIN_UPTIME` seconds of starting
  is restarted after a delay that doubles each time (1, 2, 4 ... :data:`MAX_BACKOFF` s), so a
  worker that cannot start does not spin;
- when a worker dies without unregistering (killed by a signal, or any exit it did not
  clean up after), unregisters it at once the way Ruby's ``unregister_worker`` does: its
  in-flight job becomes a ``Resque::DirtyExit`` failure ("Job still being processed") and its
  keys go. Without this the job would wait for the next worker start that wins the prune
  lock (Ruby's same-host rule) or for its heartbeat to expire (5 minutes);
- forwards signals with Resque's meanings: QUIT (every worker finishes its job, then all
  exit), TERM and INT (all stop now), USR1 (each kills its current job), USR2 and CONT
  (pause and resume all); after QUIT, TERM or INT no worker is restarted;
- writes ``--pidfile`` (its own pid) and logs one line per start and per exit.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from ..client import Resque
from ..connection import connect
from .exits import process_status
from .failures import FailureRecorder
from .queue_spec import QueueSpec
from .registration import Registration, worker_id
from .unregister import unregister_worker

MIN_UPTIME = 10.0
# How long the supervisor keeps trying to record a dead worker's job while Redis is away.
CLEANUP_PATIENCE = 10.0
MAX_BACKOFF = 60.0
FORWARDED = (
    signal.SIGQUIT,
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGCONT,
)
STOPPING = (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT)


def backoff(quick_deaths: int) -> float:
    """Seconds before restarting a worker that died ``quick_deaths`` times in a row within
    :data:`MIN_UPTIME` of starting (0: it ran long enough, restart now)."""
    if quick_deaths <= 0:
        return 0.0
    return min(MAX_BACKOFF, 2.0 ** (quick_deaths - 1))


@dataclass
class Slot:
    """One of the N places a worker runs in."""

    number: int
    pid: int | None = None
    started: float = 0.0
    quick_deaths: int = 0
    start_at: float = 0.0  # when to start the next worker here


class Pool:
    """Supervises ``count`` workers. ``start_worker()`` runs in each forked child and returns
    its exit status; ``cleanup(pid)`` runs in the supervisor after a worker died uncleanly."""

    def __init__(
        self,
        count: int,
        start_worker: Callable[[], int],
        cleanup: Callable[[int], None],
        log: logging.Logger,
        restart_clean_exits: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots = [Slot(n + 1) for n in range(count)]
        self.start_worker = start_worker
        self.cleanup = cleanup
        self.log = log
        self.restart_clean_exits = restart_clean_exits  # False in --burst: done is done
        self.clock = clock
        self.stopping = False
        self.received: list[int] = []
        self._pipe: tuple[int, int] | None = None

    # Signals ---------------------------------------------------------------------------
    def _install(self) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._pipe = (read, write)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for sig in FORWARDED:
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGCHLD, self._on_signal)

    def _on_signal(self, number: int, _frame: object) -> None:
        self.received.append(number)

    def _handle_signals(self) -> None:
        while self.received:
            number = self.received.pop(0)
            if number == signal.SIGCHLD:
                continue
            name = signal.Signals(number).name
            if number in STOPPING and not self.stopping:
                self.stopping = True
                what = "finish their jobs and exit" if number == signal.SIGQUIT else "stop now"
                self.log.info("pool: %s received; telling every worker to %s", name, what)
            else:
                self.log.info("pool: %s received; forwarding it to every worker", name)
            for slot in self.slots:
                if slot.pid is not None:
                    _kill(slot.pid, number)

    # Life cycle ------------------------------------------------------------------------
    def run(self) -> int:
        self._install()
        self.log.info("pool: supervising %d workers (pid %d)", len(self.slots), os.getpid())
        try:
            while True:
                self._handle_signals()
                self._reap()
                if not self.stopping:
                    self._start_due()
                running = [s for s in self.slots if s.pid is not None]
                waiting = [s for s in self.slots if s.pid is None and s.start_at >= 0]
                if not running and (self.stopping or not waiting):
                    break
                self._wait(self._next_wake(waiting))
        finally:
            for sig in (*FORWARDED, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
        self.log.info("pool: every worker has exited; stopping")
        return 0

    def _next_wake(self, waiting: list[Slot]) -> float:
        if self.stopping or not waiting:
            return 1.0
        return max(0.0, min(1.0, min(s.start_at for s in waiting) - self.clock()))

    def _wait(self, seconds: float) -> None:
        """Sleep until a signal (a child's exit included) or ``seconds``."""
        assert self._pipe is not None
        try:
            ready, _, _ = select.select([self._pipe[0]], [], [], seconds)
        except InterruptedError:
            return
        if ready:
            try:
                while os.read(self._pipe[0], 512):
                    pass
            except BlockingIOError:
                pass

    def _start_due(self) -> None:
        now = self.clock()
        for slot in self.slots:
            if slot.pid is None and 0 <= slot.start_at <= now:
                self._start(slot)

    def _start(self, slot: Slot) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                for sig in (*FORWARDED, signal.SIGCHLD):
                    signal.signal(sig, signal.SIG_DFL)
                signal.set_wakeup_fd(-1)
                status = self.start_worker()
            except BaseException as exc:  # never return into the supervisor's loop
                self.log.error("pool: worker %d could not run: %r", slot.number, exc)
            finally:
                os._exit(status)
        slot.pid, slot.started = pid, self.clock()
        self.log.info("pool: started worker %d (pid %d)", slot.number, pid)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            slot = next((s for s in self.slots if s.pid == pid), None)
            if slot is None:
                continue  # not one of ours (cannot happen: we fork only workers)
            self._exited(slot, pid, status)

    def _exited(self, slot: Slot, pid: int, status: int) -> None:
        slot.pid = None
        clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        uptime = self.clock() - slot.started
        if not clean:
            self.cleanup(pid)
        if self.stopping or (clean and not self.restart_clean_exits):
            slot.start_at = -1.0  # not restarted
            self.log.info(
                "pool: worker %d (%s) exited after %.1fs", slot.number, _status(pid, status), uptime
            )
            return
        slot.quick_deaths = slot.quick_deaths + 1 if uptime < MIN_UPTIME else 0
        delay = backoff(slot.quick_deaths)
        slot.start_at = self.clock() + delay
        self.log.info(
            "pool: worker %d (%s) exited after %.1fs; restarting it%s",
            slot.number,
            _status(pid, status),
            uptime,
            f" in {delay:g}s ({slot.quick_deaths} quick exits in a row)" if delay else "",
        )


def _status(pid: int, status: int) -> str:
    return process_status(pid, status)


def _kill(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


class PidFile:
    """``--pidfile``: this process's pid while it runs; refuses to overwrite a live one's."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def write(self) -> None:
        """Claim the file (RuntimeError when a live process holds it; OSError)."""
        try:
            other = int(self.path.read_text().strip() or "0")
        except (OSError, ValueError):
            other = 0
        if other and other != os.getpid() and _alive(other):
            raise RuntimeError(
                f"{self.path} names pid {other}, which is running: stop it first, or remove "
                "the file if that process is not a worker"
            )
        self.path.write_text(f"{os.getpid()}\n")

    def remove(self) -> None:
        """Remove the file if it still names this process."""
        try:
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def unregisterer(
    redis_url: str,
    namespace: str,
    queues: tuple[str, ...],
    failure_backend: str,
    log: logging.Logger,
) -> Callable[[int], None]:
    """``cleanup(pid)`` for :class:`Pool`: Ruby's ``unregister_worker`` for the worker that
    ran as ``pid`` on this host (its job, if any, recorded as ``Resque::DirtyExit``)."""
    id_part = QueueSpec(queues).id_part

    def cleanup(pid: int) -> None:
        wid = worker_id(id_part, pid=pid)
        deadline = time.monotonic() + CLEANUP_PATIENCE
        try:
            resque = Resque(connect(redis_url), namespace)
            recorder = FailureRecorder(
                resque, failure_backend, log, give_up=lambda: time.monotonic() > deadline
            )
            unregister_worker(Registration(resque.redis, resque.keys, wid), recorder, log)
        except redis.RedisError as exc:
            log.error(
                "pool: could not unregister %s (%s); Resque prunes it once its heartbeat "
                "is 5 minutes old",
                wid,
                exc,
            )
            return
        log.info("pool: unregistered %s", wid)

    return cleanup
