"""Exceptions the core raises, named so an operator reading a failure knows what went wrong."""

from __future__ import annotations


class ResqueError(Exception):
    """Base class for errors this package raises on purpose."""


class NoQueueError(ResqueError):
    """A job was enqueued without a queue (Ruby: ``Resque::NoQueueError``)."""


class UnknownJobClass(ResqueError, NameError):
    """A payload names a class no registered job or importable path provides."""


class BadPayload(ResqueError, ValueError):
    """A queue item that is not ``{"class": str, "args": list}`` JSON."""


class DirtyExit(ResqueError):
    """The process running a job died before it finished (Ruby: ``Resque::DirtyExit``)."""


class DontPerform(ResqueError):
    """Raised by a ``before_perform`` hook to skip the job without failing it."""


def exception_name(exc: BaseException) -> str:
    """The name stored in a failure's ``exception`` field.

    Builtins keep their bare name (``ZeroDivisionError``, as Ruby's ``ZeroDivisionError``);
    others carry their module so two ``TimeoutError`` classes stay apart. Errors of this
    package use Ruby's names where Resque has one, so Ruby and Python failures group together.
    """
    cls = type(exc)
    ruby_name = getattr(cls, "ruby_name", None)
    if ruby_name:
        return ruby_name
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


DirtyExit.ruby_name = "Resque::DirtyExit"  # type: ignore[attr-defined]
UnknownJobClass.ruby_name = "NameError"  # type: ignore[attr-defined]
