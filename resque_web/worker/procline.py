"""The process title, as Resque 3.0 sets ``$0`` (``Worker#procline``), so Ruby sees us.

A Ruby worker that starts prunes same-host workers whose pid it cannot find with
``ps -A -o pid,command | grep -E "[r]esque:work|[r]esque: Starting|[r]esque-[0-9]" |
grep -v "resque-web"`` (``linux_worker_pids``). Run as ``resque-web worker``, ours would
not match and a Ruby ``QUEUE=*`` worker would unregister them while they run. So a worker
titles itself as Ruby's do, at the same moments:

- ``resque: Starting`` from start-up until the first idle poll (``Worker#startup``);
- ``resque-3.0.0: Waiting for critical,default`` (or ``Paused``) when it finds no job;
- ``resque-3.0.0: Processing <queue> since <epoch> [<class>]`` from taking a job; a forked
  child keeps that title while it performs, and the parent then says
  ``resque-3.0.0: Forked <child pid> at <epoch>``.

``RESQUE_PROCLINE_PREFIX`` is put in front, as in Ruby. ``Waiting for`` names the queues as
given (``*`` stays ``*``): Ruby lists what a glob matches, which would cost a Redis read per
idle poll, and the title is only read by people and by the ``resque-[0-9]`` match.
"""

from __future__ import annotations

import os
import time

import setproctitle

# The Resque version whose formats this project writes (Resque::VERSION in the title).
RESQUE_VERSION = "3.0.0"
STARTING = "resque: Starting"


class Procline:
    """Sets the title only when it changes: an idle worker polls many times a second."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.prefix = os.environ.get("RESQUE_PROCLINE_PREFIX", "")
        self._processing: tuple[str, int, str | None] | None = None

    def set_raw(self, title: str) -> None:
        if title != self.current:
            setproctitle.setproctitle(title)
            self.current = title

    def set(self, status: str) -> None:
        """``RESQUE_PROCLINE_PREFIXresque-3.0.0: <status>``, as ``Worker#procline``."""
        self._processing = None
        self.set_raw(f"{self.prefix}resque-{RESQUE_VERSION}: {status}")

    def starting(self) -> None:
        self.set_raw(STARTING)

    def waiting(self, queues: list[str], paused: bool = False) -> None:
        self.set("Paused" if paused else f"Waiting for {','.join(queues)}")

    def processing(self, queue: str, class_name: str | None, now: float | None = None) -> None:
        key = (queue, int(time.time() if now is None else now), class_name)
        if key != self._processing:  # jobs in a burst share their second: format it once
            self.set(f"Processing {queue} since {key[1]} [{class_name or 'No Name'}]")
            self._processing = key

    def forked(self, child: int, now: float | None = None) -> None:
        self.set(f"Forked {child} at {int(time.time() if now is None else now)}")
