"""The worker: takes jobs off Resque queues and performs them, as Ruby Resque 3.0's does.

Run it with ``resque-web worker --queues critical,default --require myapp.jobs``.
"""

from .config import WorkerConfig
from .exits import PruneDeadWorkerDirtyExit, TermException
from .failures import FailureRecorder
from .heartbeat import Heartbeat
from .perform import JobRunner, Outcome
from .process import Worker
from .prune import is_worker_process, prune_dead_workers
from .queue_spec import QueueSpec
from .registration import Registration, split_worker_id, worker_id
from .reserve import Reserved, Reserver

__all__ = [
    "FailureRecorder",
    "Heartbeat",
    "JobRunner",
    "Outcome",
    "PruneDeadWorkerDirtyExit",
    "QueueSpec",
    "Registration",
    "Reserved",
    "Reserver",
    "TermException",
    "Worker",
    "WorkerConfig",
    "is_worker_process",
    "prune_dead_workers",
    "split_worker_id",
    "worker_id",
]
