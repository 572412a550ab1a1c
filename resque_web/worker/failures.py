"""Recording a failed job so that it is never lost: through the configured failure backend,
retrying while Redis is down."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from .. import payload as jsonp
from ..client import Resque
from ..failure import backend_for
from .retry import GaveUp, until_redis


def job_label(queue: str, payload: Any) -> str:
    """Ruby's ``Job#inspect``: ``(Job{queue} | Class | args)``."""
    if isinstance(payload, dict):
        name = payload.get("class")
        args = payload.get("args")
        return f"(Job{{{queue}}} | {name} | {_short(args)})"
    return f"(Job{{{queue}}} | {_short(payload)})"


def _short(value: Any, limit: int = 300) -> str:
    try:
        text = value if isinstance(value, str) else jsonp.encode(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class FailureRecorder:
    """Writes failure records; a Redis outage delays the record, it does not drop it."""

    def __init__(
        self,
        resque: Resque,
        kind: str,
        log: logging.Logger,
        sleep: Callable[[float], None] = time.sleep,
        give_up: Callable[[], bool] | None = None,
    ) -> None:
        self.backend = backend_for(resque, kind)
        self.log = log
        self.sleep = sleep
        self.give_up = give_up

    def record(
        self,
        exc: BaseException,
        worker_id: str,
        queue: str,
        payload: Any,
        backtrace: list[str] | None = None,
    ) -> bool:
        """Save one failure; False (and the payload in the log) only if it could not be."""
        label = job_label(queue, payload)
        try:
            until_redis(
                lambda: self.backend.save(exc, worker_id, queue, payload, backtrace),
                f"recording the failure of {label}",
                self.log,
                self.sleep,
                self.give_up,
            )
        except GaveUp:
            self.log.error("Gave up recording the failure of %s; the job is lost", label)
            return False
        except Exception as err:  # a backend bug must not kill the worker; say what was lost
            self.log.error("Could not record the failure of %s: %r", label, err)
            return False
        return True
