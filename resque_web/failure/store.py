"""One failure list and every operation on it: the single implementation the worker, the
dashboard and scripts share.

Reads are pipelined and proportional to the rows asked for. Writes go through the
identity-checked Lua script in :mod:`.scripts`; bulk operations walk the list in chunks,
each chunk atomic, so Redis is never blocked for long and workers keep appending meanwhile.
A removal given a :class:`Hold` keeps what it removed in a holding list for an undo window.
A failure that moved meanwhile is found by :mod:`.locate`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import redis

from .. import payload as jsonp
from .. import times
from ..keys import Keys
from ..shorten import shorten
from .actions import ActionResult, Chunk, Hold
from .locate import locate, locate_many, resume_point
from .record import FailedJob
from .scripts import APPLY, CLEAR_HOLD, RESTORE

CHUNK = 500
# Digests a resumable bulk action keeps of the records just before its cursor.
ANCHORS = 4
_ATTEMPTS = 5
# Changes (removals, in-place rewrites) the change log keeps for failure indexes to follow.
REWRITE_LOG_CAP = 10_000

Predicate = Callable[[FailedJob], bool]


@dataclass(frozen=True)
class _Op:
    failure: FailedJob
    new_value: str  # "" removes the failure
    push: str | None  # queue item to push, or None
    edited: bool = False  # the new value changes more than the retried flag


class FailureList:
    """A Redis list of failure records: ``failed`` or a multi-queue ``<queue>_failed``."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        key: str,
        queue: str | None = None,
        retried_stamp: Callable[[], str] = times.failed_at,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.key = key
        self.queue = queue  # None for the single `failed` list
        self._retried_stamp = retried_stamp
        self._apply = client.register_script(APPLY)
        self._clear_hold = client.register_script(CLEAR_HOLD)
        self._restore = client.register_script(RESTORE)

    # Reading ----------------------------------------------------------------
    def count(self) -> int:
        return int(self.redis.llen(self.key))

    def slice(
        self, start: int, count: int, newest_first: bool = True
    ) -> tuple[int, list[FailedJob]]:
        """``count`` failures from offset ``start`` in the chosen order, and the list's length,
        read consistently in one round trip (MULTI: LLEN + LRANGE)."""
        if count <= 0 or start < 0:
            return self.count(), []
        pipe = self.redis.pipeline(transaction=True)
        pipe.llen(self.key)
        if newest_first:
            pipe.lrange(self.key, -(start + count), -(start + 1))
        else:
            pipe.lrange(self.key, start, start + count - 1)
        total, raws = pipe.execute()
        total = int(total)
        if newest_first:
            # LRANGE clamps at the head: the last item read sits at total - 1 - start.
            top = total - 1 - start
            rows = [FailedJob(top - i, raw, self.queue) for i, raw in enumerate(reversed(raws))]
        else:
            rows = [FailedJob(start + i, raw, self.queue) for i, raw in enumerate(raws)]
        return total, rows

    def get(self, position: int) -> FailedJob | None:
        raw = self.redis.lindex(self.key, position)
        return None if raw is None else FailedJob(position, raw, self.queue)

    def scan(self, newest_first: bool = False, chunk: int = 1000) -> Iterator[FailedJob]:
        """Every failure, in chunks of ``chunk`` per round trip (never one huge LRANGE)."""
        total = self.count()
        if newest_first:
            end = total
            while end > 0:
                begin = max(0, end - chunk)
                raws = self.redis.lrange(self.key, begin, end - 1)
                for offset in range(len(raws) - 1, -1, -1):
                    yield FailedJob(begin + offset, raws[offset], self.queue)
                end = begin
        else:
            start = 0
            while True:
                raws = self.redis.lrange(self.key, start, start + chunk - 1)
                for offset, raw in enumerate(raws):
                    yield FailedJob(start + offset, raw, self.queue)
                if len(raws) < chunk:
                    return
                start += chunk

    def locate(self, position: int, digest: str) -> FailedJob | None:
        """The failure with this digest at ``position``, or where it moved to (earlier, when
        failures before it were removed), or None when it is gone (:mod:`.locate`)."""
        return locate(self.redis, self.key, self.queue, position, digest)

    # Acting on one ------------------------------------------------------------
    def retry(self, position: int, digest: str, remove: bool = False) -> ActionResult:
        """Push the failure the user saw back onto its queue and mark it ``retried_at``
        (or take it off the list when ``remove``), atomically."""
        return self._one(position, digest, lambda f: self._retry_op(f, remove), "retried")

    def remove(self, position: int, digest: str, hold: Hold | None = None) -> ActionResult:
        return self._one(position, digest, lambda f: _Op(f, "", None), "removed", hold)

    def retry_edited(self, position: int, digest: str, args: list[object]) -> ActionResult:
        """Push the job with new ``args`` and mark the failure retried (its payload now
        carries those args), in one identity-checked step."""
        return self._one(position, digest, lambda f: self._edited_op(f, args), "retried")

    def _one(
        self,
        position: int,
        digest: str,
        make: Callable[[FailedJob], _Op | None],
        verb: str,
        hold: Hold | None = None,
    ) -> ActionResult:
        for _ in range(_ATTEMPTS):
            failure = self.locate(position, digest)
            if failure is None:
                return ActionResult(
                    False,
                    "That failure is no longer in the list (already retried, removed or "
                    "cleared by someone else); nothing was changed.",
                    0,
                )
            op = make(failure)
            if op is None:
                return ActionResult(
                    False,
                    f"Failure #{failure.position} has no job payload or queue to retry, or one "
                    "Resque's JSON cannot carry; left as is.",
                    0,
                )
            if self._run([op], hold) >= 0:
                queue = shorten(failure.queue)
                where = f" on queue {queue!r}" if op.push is not None else ""
                moved = (
                    ""
                    if failure.position == position
                    else f" (it had moved to #{failure.position})"
                )
                name = shorten(failure.display_class)
                return ActionResult(True, f"{verb.capitalize()} failure {name}{where}{moved}.", 1)
        return ActionResult(
            False, "The failure list kept changing; nothing was changed. Try again."
        )

    def _retry_op(self, failure: FailedJob, remove: bool) -> _Op | None:
        """None when there is nothing Resque could run: no job or queue, or a payload Ruby's
        JSON cannot carry (nested deeper than it reads, NaN): left as is, never a crash."""
        try:
            item = failure.requeue_item()
            if item is None or not failure.queue:
                return None
            new_value = "" if remove else failure.with_retried_at(self._retried_stamp())
        except (TypeError, ValueError):
            return None
        return _Op(failure, new_value, item)

    def _edited_op(self, failure: FailedJob, args: list[object]) -> _Op | None:
        value = failure.payload
        if not isinstance(value, dict) or not isinstance(value.get("class"), str):
            return None
        if not failure.queue:
            return None
        edited = FailedJob(failure.position, failure.raw, failure.list_queue)
        edited.data = {**failure.data, "payload": {**value, "args": args}}
        try:
            item = jsonp.encode_job(value["class"], args)
            new_value = edited.with_retried_at(self._retried_stamp())
        except (TypeError, ValueError):
            return None
        return _Op(failure, new_value, item, edited=True)

    # Acting on a selection ------------------------------------------------------
    def act_on(
        self,
        rows: list[tuple[int, str]],
        action: str,
        remove: bool = False,
        hold: Hold | None = None,
    ) -> ActionResult:
        """Retry or remove exactly the failures named by (position, digest), in one atomic
        step: each is found where it is now (it may have moved up), or reported gone."""
        make = self.operation(action, remove)
        for _ in range(_ATTEMPTS):
            found = locate_many(self.redis, self.key, self.queue, rows)
            ops = [op for f in found if (op := make(f))]
            if not ops:
                break
            if self._run(ops, hold if action == "remove" else None) >= 0:
                break
        else:
            return ActionResult(
                False, "The failure list kept changing; nothing was changed. Try again."
            )
        done = len(ops) if found else 0
        missing = len(rows) - len(found)
        verb = "Removed" if action == "remove" else "Retried"
        message = f"{verb} {done:,} selected failure{'s' if done != 1 else ''}."
        if missing:
            message += f" {missing:,} were no longer in the list and were left alone."
        if len(found) > done:
            message += f" {len(found) - done:,} had no job to retry."
        return ActionResult(done > 0, message, done)

    def operation(self, action: str, remove: bool = False) -> Callable[[FailedJob], _Op | None]:
        """What :meth:`chunk` does to each matching failure: ``retry`` (push it back and mark
        it, or take it off when ``remove``) or ``remove``."""
        if action == "remove":
            return lambda f: _Op(f, "", None)
        return lambda f: self._retry_op(f, remove)

    # Acting on many (the bulk engine, resque_web.model.bulk, runs these) ---------------
    def remove_all(self, hold: Hold | None = None) -> ActionResult:
        """Remove every failure at once: delete the list, or (with ``hold``) make it the
        holding list, atomically."""
        if hold is not None:
            count = int(self._clear_hold(keys=[self.key, hold.key], args=[hold.ttl]))
        else:
            pipe = self.redis.pipeline(transaction=True)
            pipe.llen(self.key)
            pipe.delete(self.key)
            count = int(pipe.execute()[0])
        return ActionResult(True, f"Cleared {count:,} failure{'s' if count != 1 else ''}.", count)

    def chunk(
        self,
        start: int,
        make: Callable[[FailedJob], _Op | None],
        where: Predicate | None,
        hold: Hold | None = None,
        size: int = CHUNK,
    ) -> Chunk:
        """Act on the matching failures among the ``size`` records from ``start``, atomically
        (one step of a bulk operation).

        Workers only append at the tail, so positions ahead of the cursor stay put; when
        someone else removes failures meanwhile, the chunk's checks fail and it is read
        again. A caller that keeps the cursor between requests keeps ``anchors`` too, and
        :meth:`resume_at` finds the cursor again if the list moved under it."""
        for _attempt in range(_ATTEMPTS):
            raws = self.redis.lrange(self.key, start, start + size - 1)
            rows = [FailedJob(start + i, raw, self.queue) for i, raw in enumerate(raws)]
            ops = [op for f in rows if (where is None or where(f)) and (op := make(f))]
            removed = self._run(ops, hold) if ops else 0
            if removed >= 0:
                break
        else:
            raise RuntimeError("the failure list kept changing under a bulk action. Try again.")
        gone = {op.failure.position for op in ops if op.new_value == ""}
        kept = [f for f in rows if f.position not in gone]
        # What now sits just before the cursor: kept records, rewritten ones as rewritten.
        rewritten = {op.failure.position: op.new_value for op in ops if op.new_value}
        anchors = [FailedJob(0, rewritten.get(f.position, f.raw)).digest for f in kept[-ANCHORS:]]
        return Chunk(
            done=len(ops),
            scanned=len(raws),
            next_start=start + len(kept),
            anchors=anchors,
            finished=len(raws) < size,
        )

    def resume_at(self, cursor: int, anchors: list[str]) -> int | None:
        """Where a cursor saved with ``anchors`` is now: the same place when nothing before
        it was removed, earlier when something was, None when none of them can be found."""
        return resume_point(self.redis, self.key, cursor, anchors)

    # Undo ---------------------------------------------------------------------
    def restore(self, hold_key: str, size: int = CHUNK) -> int:
        """Move held failures back to the end of this list, ``size`` per atomic step;
        returns how many came back."""
        moved = 0
        while True:
            count = int(self._restore(keys=[hold_key, self.key], args=[size]))
            moved += count
            if count < size:
                return moved

    def _run(self, ops: list[_Op], hold: Hold | None = None) -> int:
        args: list[str] = [
            f"__resque_web_delete__:{uuid.uuid4().hex}",
            str(hold.ttl if hold else 0),
            str(REWRITE_LOG_CAP),
            "edit" if any(op.edited for op in ops) else "",
        ]
        for op in ops:
            queue = op.failure.queue
            args += [
                str(op.failure.position),
                op.failure.digest,
                op.new_value,
                queue,
                self.keys.queue(queue),
                op.push or "",
            ]
        keys = [
            self.key,
            self.keys.queues,
            hold.key if hold else self.keys.holding("none"),
            self.keys.rewrites(self.key),
            self.keys.rewrite_count(self.key),
        ]
        return int(self._apply(keys=keys, args=args))
