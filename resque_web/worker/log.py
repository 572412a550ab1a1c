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
    return console_logger(LOGGER_NAME, "%(message)s", verbose=verbosity > 1)


def console_logger(name: str, line_format: str, verbose: bool) -> logging.Logger:
    """A command's own logger: plain lines on stderr (:class:`PlainFormatter`), not passed
    to the root logger, DEBUG when ``verbose`` else INFO. Set anew on every call."""
    log = logging.getLogger(name)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PlainFormatter(line_format))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    return log
