"""``resque-web demo``: the dashboard on a live, self-contained Resque.

It starts a private ``redis-server`` on a free loopback port (or, when none is installed,
fakeredis' Redis-protocol server), fills it with queues and failures, runs real workers
(``resque-web worker`` subprocesses) and a producer that keeps enqueueing and now and then
retries a failure, and serves the dashboard. Ctrl-C stops all of it.
"""

from .runner import Demo, run

__all__ = ["Demo", "run"]
