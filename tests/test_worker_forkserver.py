"""The fork server (resque_web/worker/forkserver.py): each job still runs in a fresh child,
forked by a lean, single-threaded copy of the worker; the child reports its outcome before it
exits; a child killed before it reports is a DirtyExit; if the server dies, the worker forks
its children itself. And the worker's processes carry no dashboard code."""

from __future__ import annotations

import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import redis

from resque_web import Resque
from resque_web.keys import Keys
from resque_web.worker import hugepages
from resque_web.worker.forkserver import ForkServer, report, wait_status
from tests.support.worker import ROOT, RunningWorker, wait_until

K = Keys()


def failures(r: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(item) for item in r.lrange(K.failed, 0, -1)]


def children(pid: int) -> dict[int, str]:
    """pid -> command line of each live child of ``pid``."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                cmdline = (stat.parent / "cmdline").read_bytes()
                found[int(stat.parent.name)] = cmdline.replace(b"\0", b" ").decode().strip()
        except (OSError, ValueError):
            continue
    return found


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads: line")


def server_of(worker: RunningWorker) -> int:
    found = wait_until(
        lambda: [
            pid
            for pid, command in children(worker.process.pid).items()
            if command == f"resque-web fork server for {worker.id}"
        ],
        what="the fork server",
    )
    return int(found[0])


def test_a_single_threaded_server_forks_each_job_and_ruby_does_not_count_it(
    redis_url: str, r: redis.Redis, resque: Resque
) -> None:
    with RunningWorker(redis_url, "default") as worker:
        wait_until(lambda: r.sismember(K.workers, worker.id), what="registration")
        server = server_of(worker)
        # The worker beats from a thread; the server it forks from has none.
        assert threads(worker.process.pid) >= 2 and threads(server) == 1
        resque.enqueue_to("default", "Sleep", 30, "long")
        ((child, title),) = wait_until(lambda: list(children(server).items()), what="a child")
        assert re.fullmatch(r"resque-3\.0\.0: Processing default since \d+ \[Sleep\]", title)
        wait_until(
            lambda: re.fullmatch(
                rf"resque-3\.0\.0: Forked {child} at \d+", children(os.getpid())[worker.process.pid]
            ),
            what="the worker's Forked title naming the child",
        )
        # Ruby's ps check: `grep -v resque-web` drops the server; the child is seen.
        ps = subprocess.run(["ps", "-A", "-o", "pid,command"], capture_output=True, text=True)
        ruby = [
            line.split()[0]
            for line in ps.stdout.splitlines()
            if re.search(r"resque:work|resque: Starting|resque-[0-9]", line)
            and "resque-web" not in line
        ]
        assert str(child) in ruby and str(server) not in ruby
        worker.signal(signal.SIGUSR1)  # the worker signals the server's child directly
        wait_until(lambda: failures(r), what="the stopped job's failure")
        assert failures(r)[0]["exception"] == "Resque::TermException"


def test_outcomes_through_the_server_and_after_it_died(
    redis_url: str, r: redis.Redis, resque: Resque
) -> None:
    """Reported outcomes, a child killed before reporting (DirtyExit) and one that exits by
    itself; then the server is killed and the worker forks children itself, the same way."""
    with RunningWorker(redis_url, "default") as worker:
        wait_until(lambda: r.sismember(K.workers, worker.id), what="registration")
        server = server_of(worker)
        for job in (("Noop", 1), ("Boom",), ("KillSelf",), ("ExitCode", 3)):
            resque.enqueue_to("default", *job)
        wait_until(lambda: r.get(K.processed) == "4", what="the first four jobs")
        os.kill(server, signal.SIGKILL)
        for job in (("Noop", 2), ("Boom",), ("KillSelf",), ("ExitCode", 3)):
            resque.enqueue_to("default", *job)
        wait_until(lambda: r.get(K.processed) == "8", what="the next four jobs")
        log = worker.log()
        worker.signal(signal.SIGQUIT)
        assert worker.wait()[0] == 0
    kinds = [(f["exception"], f["payload"]["class"]) for f in failures(r)]
    assert kinds == [
        ("KeyError", "Boom"),
        ("Resque::DirtyExit", "KillSelf"),
        ("KeyError", "Boom"),
        ("Resque::DirtyExit", "KillSelf"),
    ]
    for failure in failures(r)[1::2]:
        assert re.fullmatch(
            r"Child process received unhandled signal pid \d+ SIGKILL \(signal 9\)",
            failure["error"],
        )
    assert r.get(K.failed_count) == "2"  # as in Ruby, a killed child is not counted
    assert log.count("exited without reporting") == 2
    assert f"The fork server (pid {server}) is gone" in log


def test_wait_status_from_waitid() -> None:
    """The server passes on waitpid's status, built from waitid's fields."""
    assert os.WEXITSTATUS(wait_status(os.CLD_EXITED, 3)) == 3
    assert os.WIFEXITED(wait_status(os.CLD_EXITED, 0))
    killed = wait_status(os.CLD_KILLED, signal.SIGKILL)
    assert os.WIFSIGNALED(killed) and os.WTERMSIG(killed) == signal.SIGKILL
    dumped = wait_status(os.CLD_DUMPED, signal.SIGSEGV)
    assert os.WTERMSIG(dumped) == signal.SIGSEGV and os.WCOREDUMP(dumped)


def test_the_worker_command_does_not_load_the_dashboard() -> None:
    """`resque-web worker` forks every job from its own memory: Flask and Jinja there would
    make each fork a third dearer (measured: 48 MB against 37 MB of memory to copy)."""
    probe = (
        "import sys\n"
        "from resque_web.cli import main\n"
        "try:\n"
        "    main(['worker', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'jinja2', 'werkzeug'})\n"
        "print('loaded:', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "Take jobs off QUEUES" in done.stdout
    assert "loaded: []" in done.stderr


def test_huge_page_regions_are_the_aligned_parts_of_anonymous_writable_memory() -> None:
    maps = (
        "55d0c0a00000-55d0c0f80000 rw-p 00000000 00:00 0                          [heap]\n"
        "7f0000100000-7f0000700000 rw-p 00000000 00:00 0 \n"
        "7f0000800000-7f0000900000 rw-p 00000000 00:00 0 \n"
        "7f0001000000-7f0001400000 rw-p 00001000 08:01 1234 /usr/lib/libpython3.11.so\n"
        "7f0002000000-7f0002400000 r--p 00000000 00:00 0 \n"
        "7f0003000000-7f0003400000 rw-s 00000000 00:01 5 /dev/zero (deleted)\n"
        "7ffc00000000-7ffc00400000 rw-p 00000000 00:00 0                          [stack]\n"
    )
    assert hugepages.regions(maps) == [
        (0x55D0C0A00000, 4 << 20),  # the heap: its 2 MiB-aligned part
        (0x7F0000200000, 4 << 20),  # an anonymous mapping, from its first 2 MiB boundary
    ]  # too small, a file, read-only, shared, the stack: none


def test_the_server_holds_its_memory_in_huge_pages_where_the_kernel_can(
    redis_url: str, r: redis.Redis
) -> None:
    """Each fork copies one page-table entry per 2 MiB there instead of 512."""
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    kernel = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
    can = thp.exists() and "[never]" not in thp.read_text() and kernel >= (6, 1)
    with RunningWorker(redis_url, "default") as worker:
        wait_until(lambda: r.sismember(K.workers, worker.id), what="registration")
        server = server_of(worker)

        def huge_kb(pid: int) -> int:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            return int(re.search(r"AnonHugePages:\s+(\d+)", rollup).group(1))  # type: ignore[union-attr]

        if can:
            wait_until(lambda: huge_kb(server) >= 2048, what="huge pages in the server")


def _report_then_linger(body: bytes, reports: int) -> NoReturn:
    report(reports, 0)
    time.sleep(0.3)  # still alive when the worker releases it
    os._exit(0)


def test_a_released_child_is_reaped_without_waking_the_worker() -> None:
    """The worker is done with a child once it reported and was released: its exit is not
    passed on (a frame the worker would wake up for, only to drop it)."""
    server = ForkServer(logging.getLogger("test"))
    server.start(
        "resque-web test fork server", lambda: None, lambda body: None, _report_then_linger
    )
    try:
        pid = server.fork(b"job")
        assert server.wait(pid) == (0, None)
        server.release(pid)
        wait_until(lambda: not Path(f"/proc/{pid}").exists(), what="the child reaped")
        assert select.select([server._replies], [], [], 0.2)[0] == []
    finally:
        server.stop()
