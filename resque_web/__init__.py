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

import importlib
from typing import TYPE_CHECKING, Any

from .client import Resque, configure, default
from .errors import BadPayload, DirtyExit, DontPerform, NoQueueError, UnknownJobClass
from .job import Job
from .keys import Keys
from .registry import JobRegistry, job, registry
from .scheduler.delaying import Selector, When

if TYPE_CHECKING:
    from .retry import ExponentialBackoff, Retry
    from .scheduler.entries import ScheduleEntry, ScheduleError
    from .status import StatusJob

__version__ = "0.1.0"

# The plugins' classes, imported on first use (PEP 562): every module of the package runs
# this file first, and a worker forks a copy of whatever it has imported for each job, so
# the top level stays light (the scheduler's entries alone bring croniter, dateutil, yaml).
_PLUGINS = {
    "ExponentialBackoff": "resque_web.retry",
    "Retry": "resque_web.retry",
    "ScheduleEntry": "resque_web.scheduler.entries",
    "ScheduleError": "resque_web.scheduler.entries",
    "StatusJob": "resque_web.status",
}


def __getattr__(name: str) -> Any:
    module = _PLUGINS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups find it without this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PLUGINS})


__all__ = [
    "BadPayload",
    "DirtyExit",
    "DontPerform",
    "ExponentialBackoff",
    "Job",
    "JobRegistry",
    "Keys",
    "NoQueueError",
    "Resque",
    "Retry",
    "ScheduleEntry",
    "ScheduleError",
    "StatusJob",
    "UnknownJobClass",
    "all_schedules",
    "clean_up_timestamp",
    "configure",
    "count_all_scheduled_jobs",
    "default",
    "delay_or_enqueue_at",
    "delay_or_enqueue_in",
    "delayed_push",
    "delayed_queue_peek",
    "delayed_queue_schedule_size",
    "delayed_timestamp_peek",
    "delayed_timestamp_size",
    "dequeue",
    "enqueue",
    "enqueue_at",
    "enqueue_at_with_queue",
    "enqueue_delayed",
    "enqueue_delayed_with_queue",
    "enqueue_from_config",
    "enqueue_in",
    "enqueue_in_with_queue",
    "enqueue_many",
    "enqueue_to",
    "fetch_schedule",
    "find_delayed_selection",
    "get_last_enqueued_at",
    "is_delayed",
    "job",
    "last_enqueued_at",
    "next_delayed_timestamp",
    "next_item_for_timestamp",
    "peek",
    "pop",
    "push",
    "queues",
    "registry",
    "remove_delayed",
    "remove_delayed_in_queue",
    "remove_delayed_job_from_timestamp",
    "remove_delayed_selection",
    "remove_queue",
    "remove_schedule",
    "reserve",
    "reset_delayed_queue",
    "scheduled_at",
    "set_schedule",
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


# resque-scheduler (see resque_web.scheduler) ------------------------------------------
def enqueue_at(when: When, job_class: Any, *args: Any) -> bool:
    return default().enqueue_at(when, job_class, *args)


def enqueue_in(seconds: float, job_class: Any, *args: Any) -> bool:
    return default().enqueue_in(seconds, job_class, *args)


def enqueue_at_with_queue(queue: str, when: When, job_class: Any, *args: Any) -> bool:
    return default().enqueue_at_with_queue(queue, when, job_class, *args)


def enqueue_in_with_queue(queue: str, seconds: float, job_class: Any, *args: Any) -> bool:
    return default().enqueue_in_with_queue(queue, seconds, job_class, *args)


def delay_or_enqueue_at(when: When, job_class: Any, *args: Any) -> int:
    return default().delay_or_enqueue_at(when, job_class, *args)


def delay_or_enqueue_in(seconds: float, job_class: Any, *args: Any) -> int:
    return default().delay_or_enqueue_in(seconds, job_class, *args)


def delayed_push(when: When, item: str) -> None:
    return default().delayed_push(when, item)


def delayed_queue_peek(start: int, count: int) -> list[int]:
    return default().delayed_queue_peek(start, count)


def delayed_queue_schedule_size() -> int:
    return default().delayed_queue_schedule_size()


def delayed_timestamp_size(when: When) -> int:
    return default().delayed_timestamp_size(when)


def delayed_timestamp_peek(when: When, start: int, count: int) -> list[Any]:
    return default().delayed_timestamp_peek(when, start, count)


def next_delayed_timestamp(at_time: When | None = None) -> int | None:
    return default().next_delayed_timestamp(at_time)


def next_item_for_timestamp(when: When) -> Any:
    return default().next_item_for_timestamp(when)


def count_all_scheduled_jobs() -> int:
    return default().count_all_scheduled_jobs()


def find_delayed_selection(selector: Selector, job_class: Any = None) -> list[str]:
    return default().find_delayed_selection(selector, job_class)


def scheduled_at(job_class: Any, *args: Any) -> list[int]:
    return default().scheduled_at(job_class, *args)


def is_delayed(job_class: Any, *args: Any) -> bool:
    return default().is_delayed(job_class, *args)


def last_enqueued_at(schedule_name: str, when: str) -> None:
    return default().last_enqueued_at(schedule_name, when)


def get_last_enqueued_at(schedule_name: str) -> str | None:
    return default().get_last_enqueued_at(schedule_name)


def remove_delayed(job_class: Any, *args: Any) -> int:
    return default().remove_delayed(job_class, *args)


def remove_delayed_in_queue(job_class: Any, queue: str, *args: Any) -> int:
    return default().remove_delayed_in_queue(job_class, queue, *args)


def remove_delayed_selection(selector: Selector, job_class: Any = None) -> int:
    return default().remove_delayed_selection(selector, job_class)


def remove_delayed_job_from_timestamp(when: When, job_class: Any, *args: Any) -> int:
    return default().remove_delayed_job_from_timestamp(when, job_class, *args)


def clean_up_timestamp(when: When) -> None:
    return default().clean_up_timestamp(when)


def reset_delayed_queue() -> None:
    return default().reset_delayed_queue()


def enqueue_delayed(job_class: Any, *args: Any) -> int:
    return default().enqueue_delayed(job_class, *args)


def enqueue_delayed_with_queue(job_class: Any, queue: str, *args: Any) -> int:
    return default().enqueue_delayed_with_queue(job_class, queue, *args)


def enqueue_from_config(config: dict[str, Any]) -> bool:
    return default().enqueue_from_config(config)


def set_schedule(name: str, config: dict[str, Any]) -> None:
    return default().set_schedule(name, config)


def fetch_schedule(name: str) -> dict[str, Any] | None:
    return default().fetch_schedule(name)


def remove_schedule(name: str) -> None:
    return default().remove_schedule(name)


def all_schedules() -> dict[str, Any]:
    return default().all_schedules()
