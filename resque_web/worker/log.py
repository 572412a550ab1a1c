"""The worker's log: plain lines on stderr, ``*** `` first, as Ruby's verbose formatter."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "resque_web.worker"


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"*** {record.levelname}: {text}"
        return f"*** {text}"


def setup_logging(verbosity: int = 0) -> logging.Logger:
    """Start line, errors and warnings always; ``-v`` adds a line per job, ``-vv`` debug."""
    log = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PlainFormatter("%(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    return log
