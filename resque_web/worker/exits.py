"""The exceptions a worker records for jobs that did not end on their own, named as in Ruby."""

from __future__ import annotations

import os
import signal

from ..errors import DirtyExit


class PruneDeadWorkerDirtyExit(DirtyExit):
    """A pruned worker (stale heartbeat) was holding a job (Ruby's class of the same name)."""

    ruby_name = "Resque::PruneDeadWorkerDirtyExit"

    def __init__(self, worker_id: str, job_class: str | None) -> None:
        # Ruby passes the worker's full id as "hostname" here (worker.rb prune_dead_workers).
        super().__init__(
            f"Worker {worker_id} did not gracefully exit while processing "
            f"{job_class or '<Unknown Job>'}"
        )


class TermException(BaseException):
    """Raised inside a job told to stop by TERM/INT (Ruby's ``Resque::TermException``).

    A BaseException, as Ruby's is a SignalException: a job's ``except Exception`` does not
    swallow it.
    """

    ruby_name = "Resque::TermException"


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def process_status(pid: int, status: int) -> str:
    """Ruby's ``Process::Status#to_s``: ``pid 42 SIGKILL (signal 9)`` or ``pid 42 exit 3``."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        core = " (core dumped)" if os.WCOREDUMP(status) else ""
        return f"pid {pid} {signal_name(number)} (signal {number}){core}"
    if os.WIFEXITED(status):
        return f"pid {pid} exit {os.WEXITSTATUS(status)}"
    return f"pid {pid} status {status}"


def child_killed(pid: int, status: int) -> DirtyExit:
    """The failure Ruby records when the forked child dies by a signal."""
    return DirtyExit(f"Child process received unhandled signal {process_status(pid, status)}")


def still_processing() -> DirtyExit:
    """What Ruby's ``unregister_worker`` records for a job left in ``worker:<id>``."""
    return DirtyExit("Job still being processed")
