"""Failed jobs: recording them (backends), reading them and acting on them (lists)."""

from .actions import ActionResult, Chunk, Hold
from .backends import (
    BACKENDS,
    RedisBackend,
    RedisMultiQueueBackend,
    RedisRetrySuppressionBackend,
    backend_for,
)
from .fingerprint import group_id, normalize
from .record import FailedJob, build_record, digest, error_message, format_backtrace
from .store import FailureList

__all__ = [
    "BACKENDS",
    "ActionResult",
    "Chunk",
    "FailedJob",
    "FailureList",
    "Hold",
    "RedisBackend",
    "RedisMultiQueueBackend",
    "RedisRetrySuppressionBackend",
    "backend_for",
    "build_record",
    "digest",
    "error_message",
    "format_backtrace",
    "group_id",
    "normalize",
]
