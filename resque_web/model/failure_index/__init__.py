"""The failure index: counts and filters over a failure list of any length, in milliseconds.

Five minutes for a newcomer
---------------------------
**Why.** ``/failed`` shows, for 100,000 failures, how many there are per job class,
exception, queue and message group, and pages through any filter of them. Reading and
decoding 100,000 records per view is what makes Ruby's resque-web take seconds. So each
dashboard process keeps, per failure list, an index of the records it has read.

**What it holds** (:mod:`.columns`). For the list's first ``n`` records (the *prefix*):
per record a small integer per dimension (class, exception, queue, group), the failed-at
epoch and a retried flag; per value the ascending positions that hold it. A filter starts
from its rarest value's positions and checks the other columns; counts are list lengths;
the Groups page sums columns (:mod:`.groups`). Pages then read only their rows, and check
each row against the filter again: the index decides *where* to look, never *what* is
shown or acted on (actions are identity-checked in Lua anyway).

**How it stays right** (:mod:`.index`, :mod:`.tail`, :mod:`.prefix`). Nobody tells the index about
changes: Ruby and Python workers ``RPUSH`` failures, and any dashboard (Ruby's included)
removes or rewrites them. Before answering, the index takes one *look*, one MULTI: the
list's length, the change log's counter, the records its prefix check compares, and the
records appended after the prefix.

* Appends leave the prefix alone: the new records are read and added.
* A removal shifts every later record one place left, so the record at the prefix's last
  *change point* (where two neighbouring records differ) or in the run of identical
  records after it is no longer the one remembered: the check fails.
* The dashboard's own removals and retries are written to a *change log* by the Lua script
  that makes them (``<ns>:web:rewrites:<list>``, with a counter). The index applies them
  (drops the positions, marks them retried) instead of failing the check.
* Anything else (Ruby's resque-web removed a failure, the list was cleared) fails the
  check. The index then keeps the longest shorter prefix still intact: it remembers the
  tail of a prefix every CHUNK records or so (at most 64 *checkpoints*, thinned as the
  list grows), checks them like its own prefix (a binary search, one look each, in the
  background thread, never on a request's time) and reads only the records after the
  one that holds. A removal among the newest failures costs a
  chunk; one before every checkpoint, or a cleared list, costs every record.

**Never waiting for it** (:mod:`resque_web.model.failures`). Indexing 100,000 records
takes a second or two, so it happens in a background thread, started by a process's first
look at a Redis. A page waits at most ``INDEX_WAIT`` (0.15 s); until the index is current
the page shows rows found by reading the list from the end it starts at, with no counts,
and refreshes itself. Answers only ever come from a caught-up state.

**Shared between processes** (:mod:`.snapshot`). The process that builds an index saves
it in Redis (``<ns>:web:failure-index:<list>``); the others, and restarts within a week,
load it in one GET and check it exactly like their own: no process trusts it further.

**One build per deployment** (:mod:`.lease`). At a deployment's start (gunicorn -w 4), or
when nothing is saved, every process would build the same index at once: N times the
CPU, each build slower for it. So a process about to build a list worth saving from an
empty prefix takes a lease (``<ns>:web:failure-index-build:<list>``, its own token, a
12 s expiry it renews every second while it works) and gives it back once its index is
saved. The others wait for it in their background thread (a page never does), polling
the lease's expiry, then load the save; a builder that died stops renewing, its lease
expires, and a waiter builds instead.

**Reading records fast** (:mod:`.looks`, :mod:`.reading`, :class:`.columns.Memo`). A cold
build reads 130 MB for 100,000 records. Each look is a raw MULTI whose replies stay bytes,
and the next look is sent before the current chunk is indexed (Redis serializes it
meanwhile). msgspec decodes only the six fields the index needs (anything it refuses, or
reads differently from Python's json, is read by ``FailedJob`` itself), and a chunk's
columns are taken in C-level passes: a message is fingerprinted once per *shape* (digits
2-9 read as 1), a failed-at in UTC or at a numeric offset is its day's midnight plus its
clock, any other is parsed once per minute; the positions of each value are filed once
per catch-up, not per chunk. A waiting page gets its answer as soon as the index is
caught up; the snapshot is saved after.

**What following the change log buys** (``bench/cold_index.py``, bench/RESULTS.md): a
dashboard removal in the middle of 100,000 failures costs each process tens of
milliseconds with the counts kept; the same removal unlogged costs each process a rebuild
(seconds of CPU, counts withheld meanwhile). Kept for that.

Entry points: ``indexes.get(...)`` (one index per list and Redis in a process) and, on an
index, ``current(wait)``, ``counts()``, ``facets()``, ``select(filter)``, ``groups()``.
"""

from ..failure_filter import NONE
from .columns import DIMENSIONS, Columns
from .groups import GroupSummary
from .index import CHUNK, WINDOW, FailureIndex
from .registry import IndexRegistry, indexes

__all__ = [
    "CHUNK",
    "DIMENSIONS",
    "NONE",
    "WINDOW",
    "Columns",
    "FailureIndex",
    "GroupSummary",
    "IndexRegistry",
    "indexes",
]
