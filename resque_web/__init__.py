"""resque-web: a dashboard and job core for Resque's Redis queues, compatible with Ruby Resque.

Enqueue as in Ruby::

    import resque_web

    class Archive:
        queue = "file_serve"

        @staticmethod
        def perform(repo_id, branch="master"): ...

    resque_web.configure("redis://localhost:6379/0")
    resque_web.enqueue(Archive, 35, "tar")
"""

from __future__ import annotations

from typing import Any

from .client import Resque, configure, default
from .errors import BadPayload, DirtyExit, DontPerform, NoQueueError, UnknownJobClass
from .job import Job
from .keys import Keys
from .registry import JobRegistry, job, registry
from .status import StatusJob

__version__ = "0.1.0"

__all__ = [
    "BadPayload",
    "DirtyExit",
    "DontPerform",
    "Job",
    "JobRegistry",
    "Keys",
    "NoQueueError",
    "Resque",
    "StatusJob",
    "UnknownJobClass",
    "configure",
    "default",
    "dequeue",
    "enqueue",
    "enqueue_many",
    "enqueue_to",
    "job",
    "peek",
    "pop",
    "push",
    "queues",
    "registry",
    "remove_queue",
    "reserve",
    "size",
]


def enqueue(job_class: Any, *args: Any) -> bool:
    return default().enqueue(job_class, *args)


def enqueue_to(queue: str, job_class: Any, *args: Any) -> bool:
    return default().enqueue_to(queue, job_class, *args)


def enqueue_many(job_class: Any, args_list: Any, **options: Any) -> int:
    return default().enqueue_many(job_class, args_list, **options)


def push(queue: str, item: dict[str, Any]) -> None:
    default().push(queue, item)


def pop(queue: str) -> Any:
    return default().pop(queue)


def peek(queue: str, start: int = 0, count: int = 1) -> Any:
    return default().peek(queue, start, count)


def reserve(queue: str) -> Job | None:
    return default().reserve(queue)


def size(queue: str) -> int:
    return default().size(queue)


def queues() -> list[str]:
    return default().queues()


def remove_queue(queue: str) -> None:
    default().remove_queue(queue)


def dequeue(job_class: Any, *args: Any) -> int:
    return default().dequeue(job_class, *args)
