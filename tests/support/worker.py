"""Running real worker processes in tests: start, wait for Redis state, signal, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HOST = socket.gethostname()


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(0.02)


def command(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "resque_web.worker", "--redis", url, "-r", "tests.jobs", *args]


def environment(record: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QUEUE", "QUEUES", "INTERVAL")}
    if record is not None:
        env["RESQUE_TEST_RECORD"] = str(record)
    env.update(extra)
    return env


def run_burst(
    url: str, *args: str, record: Path | None = None, timeout: float = 30, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run a worker with ``--burst`` to completion."""
    return subprocess.run(
        command(url, "--burst", *args),
        cwd=ROOT,
        env=environment(record, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class RunningWorker:
    """A worker process in the background; ``id`` is its Resque id, ``log()`` its stderr so far."""

    def __init__(
        self,
        url: str,
        queues: str,
        *args: str,
        record: Path | None = None,
        argv: list[str] | None = None,
        **env: str,
    ) -> None:
        cmd = argv or command(url, "--queues", queues, "--interval", "0.05", *args)
        self._stderr = tempfile.TemporaryFile(mode="w+t")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=environment(record, **env),
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            text=True,
            start_new_session=True,  # its own process group: stop() also reaps forked children
        )
        self.id = f"{HOST}:{self.process.pid}:{queues}"

    def log(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def wait(self, timeout: float = 15) -> tuple[int, str]:
        """Exit status and stderr."""
        self.process.wait(timeout=timeout)
        return self.process.returncode, self.log()

    def stop(self) -> None:
        """KILL the worker and any child it forked, even after a failed test."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._stderr.close()

    def __enter__(self) -> RunningWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
