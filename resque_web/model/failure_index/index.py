"""An index of a failure list by job class, exception, queue, fingerprint group, failed-at
time and retried flag, kept correct while the list changes underneath.

Failures are appended by Ruby and Python workers that know nothing of this index, and
removed or rewritten by any dashboard (Ruby's resque-web included). Reading 100,000
records on every view to count classes is what makes resque-web take seconds, so each
process keeps an index of the list's *prefix* ``[0, n)`` and, before trusting it, checks
that the prefix is still the same sequence:

* Workers only ``RPUSH``. Appends leave the prefix alone; the index reads just the new tail.
* Removals (``LSET`` a tombstone + ``LREM``, or ``LREM`` by value) shift every later item
  one place left. The index remembers the last *change point* ``b`` of its prefix (the last
  position whose record differs from the next one) with the records around it, and the
  prefix's last record (:mod:`.tail`). A removal at or before ``b`` moves a different
  record onto ``b``; a removal after ``b`` falls in the final run of identical records, so
  the prefix keeps the same records unless a different one slid into that run, which is
  compared whole (its last RUN_CHECK records: only a burst of more byte-identical failures
  than that, then removals and appends among them, could hide a change).
* The dashboard's own changes are logged (:mod:`resque_web.failure.scripts`): removals and
  in-place rewrites (a retry's ``retried_at``), by position. The check reads the log's
  counter in the same round trip; when it moved, the index applies the entries (drops the
  removed positions, marks the rewritten ones retried) and checks again, so removing a
  failure costs milliseconds instead of a rebuild. Another dashboard's changes (Ruby's
  resque-web) are not logged: its removals fail the check and rebuild the index (from a
  checkpoint, below); its retries show their true state on the row, and counts by
  retried catch up when the records are read again.
  Knowing sooner would mean re-reading every record, so those counts are labelled
  "about" wherever they can be short (``Selection.approximate``,
  ``GroupSummary.retried_approximate``).
* Anything else (a clear, a shorter list, a mismatch) rebuilds the index from the longest
  prefix one of its checkpoints (:class:`.tail.Checkpoints`) still vouches for, checked
  the same way; with none, from scratch. What a kept prefix cannot know is what it never
  knew: Ruby's retries in it, as above.

Every look is one MULTI: the list's length, the log's counter, the checked records and
the next CHUNK records after the prefix, so records are only ever added behind a prefix
checked in the same snapshot, and the log is read together with its counter. A change
landing between two reads is seen by the next look, never half-applied. When nothing
changed, a look is one round trip. Rows shown from the index are re-read and
re-checked against the filter, so a change between the check and the read cannot put a
wrong row on the page; bulk actions check every record they touch against the filter.

A rebuild of 100,000 records takes seconds, so pages ask with a budget
(:meth:`FailureIndex.current`): the work runs in a background thread and a page that
cannot wait shows what it can without counts (see :mod:`resque_web.model.failures`).
"""

from __future__ import annotations

import contextlib
import threading

import redis

from ...connection import WRITES_REFUSED
from ...failure.store import REWRITE_LOG_CAP
from ...keys import Keys
from ..failure_filter import FailureFilter
from . import snapshot
from .background import Build
from .columns import Memo
from .groups import GroupSummary, summarize
from .lease import Lease
from .looks import AHEAD_CHECK, Looker
from .prefix import Prefix, apply_log
from .tail import WINDOW, Checkpoints

CHUNK = 2000
# How many steps a page takes itself before it leaves the rest to a background thread.
_INLINE_STEPS = 3

__all__ = ["CHUNK", "WINDOW", "FailureIndex"]


class FailureIndex:
    """Positions of each job class and exception in one failure list, for one process."""

    def __init__(
        self, client: redis.Redis, key: str, queue: str | None = None, keys: Keys | None = None
    ) -> None:
        self.redis = client
        self.key = key
        self.queue = queue
        keys = keys or Keys(key.rsplit(":", 1)[0] if ":" in key else "")
        self._log = keys.rewrites(key)
        self._log_count = keys.rewrite_count(key)
        self._snapshot = keys.failure_index(key)
        self._snapshot_tried = False  # since the last reset
        self._snapshot_seen = 0  # hash() of the last snapshot loaded: never load it twice
        self._unsaved = 0  # records read since the last save or load
        self.save_after = snapshot.SAVE_AFTER
        self.lease = Lease(client, keys.failure_index_build(key))  # one build per deployment
        self.records_indexed = 0  # ever, in this process (for tests and benchmarks)
        self._state = Prefix()  # what is being brought up to date
        self._shown = Prefix()  # what answers: the last state that was caught up
        self._memo = Memo()
        self._lock = threading.Lock()
        self._build: Build | None = None
        self._build_lock = threading.Lock()
        self._groups_cache: tuple[object, list[GroupSummary]] | None = None
        self._groups_lock = threading.Lock()  # and the facets'
        self._facets_cache: tuple[object, dict[str, list[tuple[str, int]]]] | None = None
        self.rebuilds = 0  # how often the prefix check failed (for tests and benchmarks)
        self._check_failed = False  # by a request's own look: resumed in the background

    @property
    def n(self) -> int:
        return self._state.columns.n

    @property
    def version(self) -> tuple[int, int, int]:
        """Changes whenever what the index says may have changed."""
        return (self.rebuilds, self._shown.columns.n, self._shown.rewrites)

    # Keeping it current --------------------------------------------------------
    def current(self, wait: float | None) -> bool:
        """Bring the index up to date, waiting at most ``wait`` seconds (None: as long as it
        takes; 0: start catching up in the background, as a process's first request does).
        False while it is still catching up; a Redis error in the background is raised
        here."""
        if wait is None:
            self._refresh()
            return True
        return self._refresh_within(wait) is not None

    def _refresh(self) -> int:
        """Bring the index up to date (and save it when due); returns the list's length.
        One round trip when nothing changed, plus one per CHUNK new failures."""
        with self._lock:
            try:
                total = self._catch_up()
                self._save_due()
            finally:
                self.lease.release()  # once saved: the processes waiting for it load it
            return total

    def _catch_up_locked(self) -> int:
        with self._lock:
            return self._catch_up()

    def _catch_up(self) -> int:
        """Look and index until caught up, each look sent before the chunk of the one
        before is indexed (:class:`.looks.Looker`); a build from an empty prefix under the
        build lease (:meth:`_claim`), renewed as it goes. The caller holds the lock, and
        releases the lease once the index is saved (here, if the build fails)."""
        self._check_failed = False  # checked again by the first look here
        try:
            with Looker(self.redis, self.key, self._log_count) as looker:
                while True:
                    if not self.n and not self._snapshot_tried:
                        self._claim()
                    total = self._step(looker)
                    if total is not None:
                        return total
                    self.lease.renew_due()
        except BaseException:
            with contextlib.suppress(redis.RedisError):  # the build's own error names it
                self.lease.release()
            raise

    def _claim(self) -> None:
        """Before building from an empty prefix: start from the index another process
        saved; else, for a list worth saving, build under the lease, or wait while another
        process holds it and start from what it saves (build when it died without saving).
        A list too short to save is read by every process itself, without a lease."""
        while not self._load():  # a save is checked by the next look like any prefix
            if self.redis.llen(self.key) < self.save_after:
                break
            try:
                taken = self.lease.take()
            except WRITES_REFUSED:
                break  # a replica: every process builds its own, as nothing can be saved
            if taken:
                if self._load():  # saved between the first look for it and the take
                    self.lease.release()
                break
            if not self.lease.wait():
                break  # held for good by no builder of ours: build without it
        self._snapshot_tried = True  # not when interrupted: the next catch-up claims again

    def _save_due(self) -> None:
        """Save the index for the other processes once enough was read since the last
        save or load; the caller holds the lock."""
        if self._unsaved >= self.save_after:
            self._save(self._state)

    def _save_later(self) -> None:
        with self._lock:
            try:
                self._save_due()
            finally:
                self.lease.release()

    def _refresh_within(self, seconds: float) -> int | None:
        """:meth:`_refresh`, waited for at most ``seconds``: the list's length, or None
        while it still runs. A few steps (at most a CHUNK of new records) are taken here;
        the rest, or a rebuild, in a background thread (a Redis error in it is raised
        here)."""
        if self._lock.acquire(blocking=False):
            total = None
            try:
                before = self.n
                for _ in range(_INLINE_STEPS):
                    if self._background_only():
                        break
                    total = self._step(inline=True)
                    if total is not None:
                        break
                    if self.n - before >= CHUNK:
                        break  # a long read ahead: not on this request's time
                save = total is not None and self._unsaved >= self.save_after
            finally:
                self._lock.release()
            if total is not None:
                if save:
                    self._start()  # saved in the background, not on this request's time
                return total
        return self._start().wait(seconds)

    def _background_only(self) -> bool:
        """What is never done on a request's time: a first build (it may wait for another
        process's, under the lease) and a prefix that failed its check (resuming from a
        checkpoint takes several looks; rebuilding, every record)."""
        return (not self.n and not self._snapshot_tried) or self._check_failed

    def _start(self) -> Build:
        """Begin bringing the index up to date in the background (a process's warm-up,
        or a rebuild a page cannot wait for), unless that is under way already."""
        with self._build_lock:
            if self._build is None or not self._build.running:
                self._build = Build(self._catch_up_locked, self._save_later)
            return self._build

    def _step(self, looker: Looker | None = None, inline: bool = False) -> int | None:
        """One consistent look, in one MULTI: the list's length, the change log's counter,
        the records the prefix check compares, and up to CHUNK records after the prefix.
        New records are added only when the prefix they follow checked out in that same
        snapshot, so no change can slip between a check and a read. Returns the list's
        length once the index is caught up, None while there is more to do. With a
        ``looker`` (kept from step to step), the next look is sent before this one's
        records are indexed. ``inline`` (a request's own step) leaves a failed prefix
        check to the background (:meth:`_background_only`)."""
        state = self._state
        if not state.columns.n and not self._snapshot_tried:
            self._snapshot_tried = True
            if self._load():
                return None  # check what was loaded like any other prefix
        if looker is None:
            with Looker(self.redis, self.key, self._log_count) as own:
                return self._look_and_extend(state, own, ahead=False, inline=inline)
        return self._look_and_extend(state, looker, ahead=True)

    def _look_and_extend(
        self, state: Prefix, looker: Looker, ahead: bool, inline: bool = False
    ) -> int | None:
        n, tail = state.columns.n, state.tail
        checks = tail.checks(n)
        look = None
        if looker.pending() == (n, (id(state), state.rewrites)):
            look = looker.receive()
            if look is not None and any(look.records(a, b) is None for a, b in checks):
                look = None  # sent ahead, but its records cannot check this prefix
        if look is None:
            look = looker.look(n, CHUNK, checks)
        total, count, raws = look.total, look.rewrites, look.raws
        if count != state.rewrites:
            followed = self._follow(count)
            if followed is False:
                self._reset(count)
            return None  # look again, from what the index now holds
        if n and not tail.holds(n, look):
            if inline:
                self._check_failed = True
            else:
                self._resume(count, looker)
            return None
        following = n + len(raws)
        if ahead and raws and following < total:  # Redis prepares it while we index
            ahead_checks = [(max(0, following - AHEAD_CHECK), following - 1)]
            looker.send(following, CHUNK, ahead_checks, (id(state), state.rewrites))
        state.columns.extend(raws, self.queue, self._memo)
        state.tail.extend(n, raws)
        if raws:
            state.checkpoints.add(state.columns.n, state.tail)
        self._unsaved += len(raws)
        self.records_indexed += len(raws)
        if state.columns.n < total:
            if state is self._shown:
                state.columns.post()  # requests read this state meanwhile
            return None
        state.columns.post()
        # Answers come from here on: a rebuild under way never shows its partial counts
        # to a request that found the index caught up a moment before.
        self._shown = state
        return total

    def _resume(self, count: int, looker: Looker) -> None:
        """The prefix failed its check through a change nobody logged (Ruby's resque-web
        removed a failure, another tool trimmed the list): keep the longest prefix one of
        its checkpoints still vouches for, checked like any prefix (one look each, a
        binary search), and read only what follows it. A removal among the newest
        failures then costs a few looks and a chunk, not every record."""
        state = self._state
        kept = [(m, tail) for m, tail in state.checkpoints.kept if m < state.columns.n]
        found = -1
        low, high = 0, len(kept) - 1
        while low <= high:
            middle = (low + high) // 2
            m, tail = kept[middle]
            look = looker.look(m, 1, tail.checks(m))
            if look.rewrites != count:
                break  # the dashboard changed the list meanwhile: keep what was checked
            if tail.holds(m, look):
                found, low = middle, middle + 1
            else:
                high = middle - 1
        if found < 0:
            self._reset(count)
            return
        m, tail = kept[found]
        self.rebuilds += 1
        self._state = Prefix(
            columns=state.columns.truncated(m),
            rewrites=count,
            tail=tail.copy(),
            checkpoints=state.checkpoints.within(m),
        )

    def _reset(self, count: int) -> None:
        self.rebuilds += 1
        self._state = Prefix(rewrites=count)
        self._snapshot_tried = False  # another process may have saved a newer one
        self._unsaved = 0

    def _load(self) -> bool:
        """Start from the index another process saved (:mod:`.snapshot`), unless it is the
        one loaded last time (that one failed its check since)."""
        text = self.redis.get(self._snapshot)
        if not text or hash(text) == self._snapshot_seen:
            return False
        self._snapshot_seen = hash(text)
        found = snapshot.load(text)
        if found is None:
            return False
        columns, tail, rewrites, checkpoints = found
        self._state = Prefix(columns, rewrites, tail, Checkpoints(checkpoints))
        self._unsaved = 0
        return True

    def _save(self, state: Prefix) -> None:
        """Save a caught-up index for the other processes (kept a week). A Redis that
        takes no writes (a replica) shares nothing: the index goes on unsaved."""
        text = snapshot.dump(state.columns, state.tail, state.rewrites, state.checkpoints.kept)
        self._unsaved = 0
        try:
            self.redis.set(self._snapshot, text, ex=snapshot.TTL)
        except WRITES_REFUSED:
            return
        self._snapshot_seen = hash(text)

    def _follow(self, count: int) -> bool | None:
        """Apply the change log's entries since the last look: removals drop positions,
        rewrites mark them retried. False when the log no longer holds them all (or they
        do not fit what the index holds): rebuild then; None when more were logged
        meanwhile: look again."""
        state = self._state
        missed = count - state.rewrites
        if missed < 0 or missed > REWRITE_LOG_CAP:
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(self._log_count)
        pipe.lrange(self._log, -missed, -1)
        now, entries = pipe.execute()
        if int(now or 0) != count:
            return None  # the newest `missed` entries are not the ones we missed
        if len(entries) != missed:
            return False
        followed = apply_log(state, entries, count)
        if followed is None:
            return False
        self._state = followed
        return True

    # Asking it ----------------------------------------------------------------
    def counts(self) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(class, count) and (exception, count), commonest first, over the whole list."""
        self._refresh()
        dims = self._shown.columns.dims
        return dims["class"].counts(), dims["exception"].counts()

    def facets(self, refresh: bool = True) -> dict[str, list[tuple[str, int]]]:
        """(value, count) of every dimension, commonest first, over the whole list."""
        if refresh:
            self._refresh()
        with self._groups_lock:
            version = self.version
            if self._facets_cache is None or self._facets_cache[0] != version:
                dims = self._shown.columns.dims
                found = {name: dim.counts() for name, dim in dims.items()}
                self._facets_cache = (version, found)
            return self._facets_cache[1]

    def select(self, where: FailureFilter, refresh: bool = True) -> list[int]:
        """Ascending positions of the failures matching ``where`` (its text aside)."""
        if refresh:
            self._refresh()
        return self._shown.columns.select(where)

    def groups(
        self, where: FailureFilter | None = None, refresh: bool = True
    ) -> list[GroupSummary]:
        """Failures by (exception, fingerprint), largest group first, within ``where``."""
        if refresh:
            self._refresh()
        with self._groups_lock:
            key = (self.version, where.indexed if where else None)
            if self._groups_cache is not None and self._groups_cache[0] == key:
                return self._groups_cache[1]
            columns = self._shown.columns
            positions = self.select(where, refresh=False) if where else range(columns.n)
            found = summarize(columns, positions)
            self._groups_cache = (key, found)
            return found

    def group(self, group: str) -> tuple[str, str] | None:
        """(exception, fingerprint text) of a group id, if the list holds it."""
        return self._shown.columns.fingerprints.get(group)
