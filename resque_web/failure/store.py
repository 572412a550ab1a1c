"""One failure list and every operation on it: the single implementation the worker, the
dashboard and scripts share.

Reads are pipelined and proportional to the rows asked for. Writes go through the
identity-checked Lua script in :mod:`.scripts`; bulk operations walk the list in chunks,
each chunk atomic, so Redis is never blocked for long and workers keep appending meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import redis

from .. import times
from ..keys import Keys
from .record import FailedJob
from .scripts import APPLY

CHUNK = 500
# How far back a failure may have moved (others removed before it) and still be found.
SEARCH_WINDOW = 1000
_ATTEMPTS = 5

Predicate = Callable[[FailedJob], bool]


@dataclass(frozen=True)
class ActionResult:
    """What an action did, in words for the person who asked."""

    ok: bool
    message: str
    count: int = 0


@dataclass(frozen=True)
class _Op:
    failure: FailedJob
    new_value: str  # "" removes the failure
    push: str | None  # queue item to push, or None


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

    def get(self, index: int) -> FailedJob | None:
        raw = self.redis.lindex(self.key, index)
        return None if raw is None else FailedJob(index, raw, self.queue)

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

    def locate(self, index: int, digest: str) -> FailedJob | None:
        """The failure with this digest at ``index``, or where it moved to (earlier, when
        failures before it were removed), or None when it is gone."""
        low = max(0, index - SEARCH_WINDOW)
        raws = self.redis.lrange(self.key, low, index)
        # Nearest first: the failure most likely moved by a few places.
        for offset in range(len(raws) - 1, -1, -1):
            candidate = FailedJob(low + offset, raws[offset], self.queue)
            if candidate.digest == digest:
                return candidate
        return None

    # Acting on one ------------------------------------------------------------
    def retry(self, index: int, digest: str, remove: bool = False) -> ActionResult:
        """Push the failure the user saw back onto its queue and mark it ``retried_at``
        (or take it off the list when ``remove``), atomically."""
        return self._one(index, digest, lambda f: self._retry_op(f, remove), "retried")

    def remove(self, index: int, digest: str) -> ActionResult:
        return self._one(index, digest, lambda f: _Op(f, "", None), "removed")

    def _one(
        self, index: int, digest: str, make: Callable[[FailedJob], _Op | None], verb: str
    ) -> ActionResult:
        for _ in range(_ATTEMPTS):
            failure = self.locate(index, digest)
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
                    f"Failure #{failure.index} has no job payload or queue to retry; left as is.",
                    0,
                )
            if self._run([op]) >= 0:
                where = f" on queue {failure.queue!r}" if op.push is not None else ""
                moved = "" if failure.index == index else f" (it had moved to #{failure.index})"
                return ActionResult(
                    True, f"{verb.capitalize()} failure {failure.display_class}{where}{moved}.", 1
                )
        return ActionResult(
            False, "The failure list kept changing; nothing was changed. Try again."
        )

    def _retry_op(self, failure: FailedJob, remove: bool) -> _Op | None:
        item = failure.requeue_item()
        if item is None or not failure.queue:
            return None
        new_value = "" if remove else failure.with_retried_at(self._retried_stamp())
        return _Op(failure, new_value, item)

    # Acting on many -------------------------------------------------------------
    def retry_all(self, where: Predicate | None = None, remove: bool = False) -> ActionResult:
        done = self._bulk(lambda f: self._retry_op(f, remove), where)
        return ActionResult(True, f"Retried {done:,} failure{'s' if done != 1 else ''}.", done)

    def remove_all(self, where: Predicate | None = None) -> ActionResult:
        """Remove every failure matching ``where``; without a predicate, delete the list."""
        if where is None:
            pipe = self.redis.pipeline(transaction=True)
            pipe.llen(self.key)
            pipe.delete(self.key)
            count = int(pipe.execute()[0])
        else:
            count = self._bulk(lambda f: _Op(f, "", None), where)
        return ActionResult(True, f"Cleared {count:,} failure{'s' if count != 1 else ''}.", count)

    def clear_retried(self) -> ActionResult:
        count = self._bulk(lambda f: _Op(f, "", None), lambda f: f.retried)
        return ActionResult(
            True, f"Cleared {count:,} retried failure{'s' if count != 1 else ''}.", count
        )

    def _bulk(self, make: Callable[[FailedJob], _Op | None], where: Predicate | None) -> int:
        """Walk the list from the head, one atomic chunk at a time. Workers only append at
        the tail, so indices ahead of the cursor stay put; when someone else removes
        failures meanwhile, the chunk's checks fail and it is read again."""
        done = 0
        start = 0
        while True:
            for _attempt in range(_ATTEMPTS):
                raws = self.redis.lrange(self.key, start, start + CHUNK - 1)
                rows = [FailedJob(start + i, raw, self.queue) for i, raw in enumerate(raws)]
                ops = [op for f in rows if (where is None or where(f)) and (op := make(f))]
                removed = self._run(ops) if ops else 0
                if removed >= 0:
                    break
            else:
                raise RuntimeError(
                    "the failure list kept changing under a bulk action; "
                    f"{done} done so far. Try again."
                )
            done += len(ops)
            if len(raws) < CHUNK:
                return done
            start += len(raws) - removed

    def _run(self, ops: list[_Op]) -> int:
        args: list[str] = [f"__resque_web_delete__:{uuid.uuid4().hex}"]
        for op in ops:
            queue = op.failure.queue
            args += [
                str(op.failure.index),
                op.failure.digest,
                op.new_value,
                queue,
                self.keys.queue(queue),
                op.push or "",
            ]
        return int(self._apply(keys=[self.key, self.keys.queues], args=args))
