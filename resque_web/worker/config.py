"""A worker's settings, with Resque 3.0's defaults (values checked in its source)."""

from __future__ import annotations

from dataclasses import dataclass

from ..defaults import HEARTBEAT_INTERVAL, PRUNE_INTERVAL

# Worker#work(interval = 5.0): seconds to sleep when every queue is empty (lib/resque/worker.rb).
DEFAULT_INTERVAL = 5.0
# RESQUE_TERM_TIMEOUT, default 4.0: how long a TERM'd child gets before KILL (worker.rb).
TERM_TIMEOUT = 4.0
FAILURE_BACKENDS = ("redis", "redis_multi_queue", "redis_retry_suppression")


@dataclass(frozen=True)
class WorkerConfig:
    """How one worker runs. ``interval == 0`` is Ruby's ``work(0)``: stop once idle."""

    queues: tuple[str, ...]
    interval: float = DEFAULT_INTERVAL
    fork: bool = True
    failure_backend: str = "redis"
    term_timeout: float = TERM_TIMEOUT
    heartbeat_interval: float = HEARTBEAT_INTERVAL
    prune_interval: float = PRUNE_INTERVAL
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.interval < 0:
            raise ValueError(f"interval must be 0 or more seconds, not {self.interval}")
        if self.term_timeout < 0:
            raise ValueError(f"term timeout must be 0 or more seconds, not {self.term_timeout}")
        if self.heartbeat_interval <= 0:
            raise ValueError("heartbeat interval must be more than 0 seconds")
        if self.failure_backend not in FAILURE_BACKENDS:
            raise ValueError(
                f"unknown failure backend {self.failure_backend!r}; "
                f"choose one of {', '.join(FAILURE_BACKENDS)}"
            )

    @property
    def burst(self) -> bool:
        return self.interval == 0
