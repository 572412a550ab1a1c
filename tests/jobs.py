"""Jobs for the worker tests, loaded by the worker with ``--require tests.jobs``.

Jobs that leave a trace append a line to the file named by ``$RESQUE_TEST_RECORD``.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from resque_web import DontPerform, job


def record(*words: object) -> None:
    path = os.environ.get("RESQUE_TEST_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(" ".join(str(w) for w in words) + "\n")


@job("Noop")
class Noop:
    @staticmethod
    def perform(*args: object) -> None:
        return None


@job("Record")
class Record:
    @staticmethod
    def perform(tag: object) -> None:
        record(tag, os.getpid())


@job("Boom")
class Boom:
    @staticmethod
    def perform(*args: object) -> None:
        raise KeyError("no such thing")


@job("Sleep")
class Sleep:
    @staticmethod
    def perform(seconds: float, tag: str = "slept") -> None:
        record("start", tag)
        time.sleep(seconds)
        record(tag)


@job("FailAfter")
class FailAfter:
    @staticmethod
    def perform(seconds: float) -> None:
        record("start", "fail-after")
        time.sleep(seconds)
        raise RuntimeError("failed after sleeping")


@job("KillSelf")
class KillSelf:
    @staticmethod
    def perform(*args: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


@job("IgnoreTerm")
class IgnoreTerm:
    @staticmethod
    def perform(seconds: float) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        record("start", "ignore-term")
        time.sleep(seconds)
        record("ignore-term finished")


@job("ExitCode")
class ExitCode:
    @staticmethod
    def perform(code: int) -> None:
        os._exit(code)


@job("SysExit")
class SysExit:
    @staticmethod
    def perform(code: int) -> None:
        sys.exit(code)


@job("Hooked")
class Hooked:
    @staticmethod
    def before_perform_audit(fail: bool) -> None:
        record("before")

    @staticmethod
    def around_perform_audit(inner, fail: bool) -> None:  # type: ignore[no-untyped-def]
        record("around-in")
        inner()
        record("around-out")

    @staticmethod
    def after_perform_audit(fail: bool) -> None:
        record("after")

    @staticmethod
    def on_failure_audit(exc: BaseException, fail: bool) -> None:
        record("on_failure", type(exc).__name__)

    @staticmethod
    def perform(fail: bool) -> None:
        record("perform")
        if fail:
            raise ValueError("hooked job failed")


@job("Skipped")
class Skipped:
    @staticmethod
    def before_perform_guard(*args: object) -> None:
        record("guard")
        raise DontPerform

    @staticmethod
    def perform(*args: object) -> None:
        record("should not run")
