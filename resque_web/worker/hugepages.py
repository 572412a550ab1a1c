"""Back the fork server's heap with transparent huge pages, so each fork copies less.

A fork copies one page-table entry per 4 KiB page the forking process has mapped, and each
exiting child tears as many down again: on a small VM that is most of what a fork per job
costs, and it grows with every megabyte the worker imported (about 0.25 ms per MB per job
measured here). A 2 MiB huge page is one entry instead of 512. So the fork server, once it
has loaded everything (and before its first child), asks the kernel to rebuild the 2
MiB-aligned parts of its private writable memory as huge pages (``MADV_COLLAPSE``, Linux
6.1). The memory holds the same bytes; a child that writes into a huge page gets a copy of
the 4 KiB it wrote, as before.

Best effort: where the kernel has no ``MADV_COLLAPSE`` or transparent huge pages are off
(``never``), nothing changes. Only the fork server does this; the worker never forks per job.
"""

from __future__ import annotations

import ctypes
from typing import Any

_HUGE = 1 << 21
MADV_HUGEPAGE = 14
MADV_COLLAPSE = 25


def _madvise() -> Any:
    """libc's ``madvise`` (None when it cannot be had)."""
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise  # libc, linked into Python
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


def regions(maps: str) -> list[tuple[int, int]]:
    """(start, length) of the 2 MiB-aligned ranges inside the private writable anonymous
    mappings (Python's arenas, malloc's heap) listed in ``/proc/self/maps``."""
    found = []
    for line in maps.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[1][:2] != "rw" or fields[1][3:] != "p":
            continue
        if len(fields) > 5 and fields[5] != "[heap]":  # a file, the stack, [vvar]...
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        first = (start + _HUGE - 1) & ~(_HUGE - 1)
        last = end & ~(_HUGE - 1)
        if last > first:
            found.append((first, last - first))
    return found


def collapse() -> int:
    """Make this process's private writable memory huge pages where it can: the MiB done."""
    madvise = _madvise()
    if madvise is None:
        return 0
    try:
        with open("/proc/self/maps") as maps:
            ranges = regions(maps.read())
    except OSError:
        return 0
    done = 0
    for start, length in ranges:
        madvise(start, length, MADV_HUGEPAGE)  # and khugepaged may keep it so
        if madvise(start, length, MADV_COLLAPSE) == 0:
            done += length
    return done >> 20
