"""How the Delayed and Retry tab benches time and report: a row per page or call (median
and p95 in ms, Redis round trips), the options both take, one Markdown table of a small
and a big state side by side."""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    """One timed line: median and p95 in ms, Redis round trips per request (-1: not a
    request), and a note ("partial")."""

    median: float
    p95: float
    round_trips: int
    note: str = ""

    @classmethod
    def of(cls, laps: list[float], round_trips: int = -1, note: str = "") -> Row:
        laps = sorted(laps)
        p95 = laps[max(0, int(len(laps) * 0.95) - 1)]
        return cls(statistics.median(laps), p95, round_trips, note)


def lap(run: Callable[[], Any]) -> float:
    """How long ``run()`` took, in ms."""
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def laps_of(run: Callable[[], Any], repeat: int) -> list[float]:
    """``run`` timed ``repeat`` times, in ms."""
    return [lap(run) for _ in range(repeat)]


def options(doc: str) -> argparse.ArgumentParser:
    """The options both benches take: ``--repeat`` (timed requests per row) and ``--jobs``
    (delayed jobs in the big state; the small one has a thousandth)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    return parser


def print_table(small: dict[str, Row], big: dict[str, Row]) -> None:
    """The rows as one Markdown table: each state's median (p95), big / small, round trips
    (small / big); a note seen at big only says so."""
    print()
    print("| what | small median (p95) ms | big median (p95) ms | big / small | round trips |")
    print("| --- | ---: | ---: | ---: | --- |")
    for label, s in small.items():
        b = big[label]
        trips = "" if s.round_trips < 0 else f"{s.round_trips} / {b.round_trips}"
        note = f" ({b.note}{'' if s.note else ' at big'})" if b.note else ""
        print(
            f"| {label}{note} | {s.median:.1f} ({s.p95:.1f}) | {b.median:.1f} ({b.p95:.1f}) "
            f"| {b.median / s.median:.2f} | {trips} |"
        )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        redis_version = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=False
        ).stdout.split()[2]
    except (OSError, IndexError):
        redis_version = "?"
    return f"Python {platform.python_version()}, {cpu}, redis-server {redis_version}"
