"""The trivial job of ``bench/worker_throughput.py``, alone in a module: the worker loads it
with ``--require`` and every forked child carries what it imports, so it imports nothing
but the job decorator (the cost measured is the worker's, not the job module's)."""

from __future__ import annotations

from resque_web import job


@job("BenchNoop")
class BenchNoop:
    """Does nothing."""

    @staticmethod
    def perform(n: int) -> None:
        return None
