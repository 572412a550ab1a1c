"""Failed jobs: recording them (backends), reading them and acting on them (lists)."""

from .backends import BACKENDS, RedisBackend, RedisMultiQueueBackend, backend_for
from .record import FailedJob, build_record, digest, error_message, format_backtrace
from .store import ActionResult, FailureList

__all__ = [
    "BACKENDS",
    "ActionResult",
    "FailedJob",
    "FailureList",
    "RedisBackend",
    "RedisMultiQueueBackend",
    "backend_for",
    "build_record",
    "digest",
    "error_message",
    "format_backtrace",
]
