"""One failure index shared by every dashboard process: a snapshot stored in Redis.

Indexing 100,000 failures reads and decodes every record (about a second); without this,
each gunicorn worker pays that after every start. The process that built an index saves
its columns and its tail (what the prefix check compares) under ``<ns>:web:failure-index:
<list>``; a process with no index loads that instead, in one GET of a few MB, and then
treats it exactly like its own: the next look checks the prefix against the live list,
follows the change log, reads the records appended since, and rebuilds when the check
fails. A snapshot can be stale or even forged; it can never be trusted further than an
index a process built itself, because it is checked the same way. Anything unreadable in
it (another format version, a truncated value, lengths that disagree) is ignored. The
index's checkpoints (:class:`.tail.Checkpoints`) are saved with it, so a process whose
loaded snapshot fails its check re-reads only what follows the longest intact one; an
older snapshot without them loads with none.
"""

from __future__ import annotations

import base64
import json
import sys
from array import array
from collections import deque
from collections.abc import Sequence
from typing import Any

from .columns import DIMENSIONS, Columns, Dimension
from .tail import WINDOW, Tail

FORMAT = 1
# Kept this long without a save; any process saves again after its next cold build.
TTL = 7 * 24 * 3600
# Fewer new records than this since the last save or load are cheap to read again.
SAVE_AFTER = 10_000


def _pack(values: array | bytes | bytearray) -> str:
    data = values.tobytes() if isinstance(values, array) else bytes(values)
    return base64.b64encode(data).decode("ascii")


def _unpack(code: str, text: str) -> array:
    found = array(code)
    found.frombytes(base64.b64decode(text, validate=True))
    return found


def dump(
    columns: Columns, tail: Tail, rewrites: int, checkpoints: Sequence[tuple[int, Tail]] = ()
) -> str:
    """The index ``[0, n)`` as one string (JSON with base64 arrays in this machine's byte
    order, which is part of the format: a reader of another order ignores it)."""
    columns.post()
    dims = {}
    for name in DIMENSIONS:
        dim = columns.dims[name]
        flat = array("q")
        for posting in dim.postings:
            flat.extend(posting)
        dims[name] = {
            "names": dim.names,
            "column": _pack(dim.column),
            "sizes": [len(p) for p in dim.postings],
            "postings": _pack(flat),
        }
    return json.dumps(
        {
            "format": FORMAT,
            "order": sys.byteorder,
            "n": columns.n,
            "rewrites": rewrites,
            "dims": dims,
            "failed_at": _pack(columns.failed_at),
            "retried": _pack(columns.retried),
            "fingerprints": columns.fingerprints,
            "tail": _tail_data(tail),
            "checkpoints": [[n, _tail_data(kept)] for n, kept in checkpoints],
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


Loaded = tuple[Columns, Tail, int, list[tuple[int, Tail]]]


def load(text: str | None) -> Loaded | None:
    """(columns, tail, change-log counter, checkpoints) from :func:`dump`, or None when
    ``text`` is not a whole snapshot of this format."""
    if not text:
        return None
    try:
        data = json.loads(text)
        if data["format"] != FORMAT or data["order"] != sys.byteorder:
            return None
        columns = _columns(data)
        checkpoints = _checkpoints(data.get("checkpoints", []), columns.n)
        return columns, _tail(data["tail"]), int(data["rewrites"]), checkpoints
    except (ValueError, KeyError, TypeError, IndexError, OverflowError):
        return None


def _columns(data: dict[str, Any]) -> Columns:
    n = int(data["n"])
    columns = Columns()
    columns.n = n
    for name in DIMENSIONS:
        columns.dims[name] = _dimension(data["dims"][name], n)
    columns.failed_at = _unpack("d", data["failed_at"])
    columns.retried = bytearray(base64.b64decode(data["retried"], validate=True))
    fingerprints = data["fingerprints"]
    columns.fingerprints = {str(g): (str(e), str(t)) for g, (e, t) in fingerprints.items()}
    groups = columns.dims["group"].names
    if len(columns.failed_at) != n or len(columns.retried) != n:
        raise ValueError("the columns disagree on the length")
    if any(group not in columns.fingerprints for group in groups):
        raise ValueError("a group without its fingerprint")
    return columns


def _dimension(data: dict[str, Any], n: int) -> Dimension:
    dim = Dimension()
    dim.names = [str(name) for name in data["names"]]
    dim.ids = {name: i for i, name in enumerate(dim.names)}
    dim.column = _unpack("i", data["column"])
    flat = _unpack("q", data["postings"])
    sizes = [int(size) for size in data["sizes"]]
    if len(dim.ids) != len(dim.names) or len(sizes) != len(dim.names):
        raise ValueError("names and postings disagree")
    if len(dim.column) != n or len(flat) != n or sum(sizes) != n:
        raise ValueError("a column of the wrong length")
    if n and not 0 <= min(dim.column) <= max(dim.column) < len(dim.names):
        raise ValueError("a value id out of range")
    if n and not 0 <= min(flat) <= max(flat) < n:
        raise ValueError("a position out of range")
    start = 0
    for size in sizes:
        dim.postings.append(flat[start : start + size])
        start += size
    dim.posted = n
    return dim


def _checkpoints(data: list[Any], n: int) -> list[tuple[int, Tail]]:
    found = [(int(m), _tail(kept)) for m, kept in data]
    lengths = [m for m, _ in found]
    if lengths != sorted(set(lengths)) or (lengths and not 0 < lengths[0] <= lengths[-1] <= n):
        raise ValueError("checkpoints out of order or beyond the index")
    return found


def _tail_data(tail: Tail) -> dict[str, Any]:
    return {
        "window": tail.window,
        "window_start": tail.window_start,
        "last_digest": tail.last_digest,
        "recent": list(tail.recent),
    }


def _tail(data: dict[str, Any]) -> Tail:
    recent = [str(d) for d in data["recent"]]
    return Tail(
        window=[str(d) for d in data["window"]],
        window_start=int(data["window_start"]),
        last_digest=str(data["last_digest"]),
        recent=deque(recent[-WINDOW:], maxlen=WINDOW),
    )
