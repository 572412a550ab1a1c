"""Bulk retry or remove over exactly a filter, in chunks, resumable from Redis.

An operation is a record under our namespace (``web:bulk:<id>``): the list, the filter,
the cursor (with digests of the records just before it), counts and a status. Nothing runs
in the background: each :meth:`BulkOperations.step` (a POST the progress page makes, or
any client) runs chunks for a short time under a lock, so a closed browser leaves the
operation paused where it was, any process can resume it, and two tabs never run it at
once. Every chunk is one atomic, identity-checked Lua call on records checked against the
whole filter, so nothing outside the filter is touched while workers keep appending.
Removing everything (no filter) is one atomic clear instead, held for the undo window.
The failure page's "retry all", "clear" and "clear retried" (of one list or of every
list) are operations too: the one engine for acting on many failures.

    pending --step--> running --step...--> done
                         |  \\--cancel--> cancelled
                         \\--the list moved beyond finding the cursor--> interrupted
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..client import Resque
from ..failure import FailedJob, Hold
from .audit import AuditEntry, AuditLog, new_id
from .failure_filter import FailureFilter
from .failures import Failures

ACTIONS = ("retry", "remove")
FINAL = ("done", "cancelled", "interrupted")
STEP_BUDGET = 0.5  # seconds of chunks per step
CHUNK = 500
LOCK_MS = 30_000
KEEP_SECONDS = 7 * 86400
KEEP_OPERATIONS = 200
# How the failure page's actions word what they did.
PAGE_ACTIONS = {
    "failed.retry_all": "Retried {n:,} failure{s}.",
    "failed.clear": "Cleared {n:,} failure{s}.",
    "failed.clear_retried": "Cleared {n:,} retried failure{s}.",
}


@dataclass(frozen=True)
class BulkOperation:
    action: str  # retry | remove
    list_queue: str | None  # the failure list (None: `failed`)
    filter: dict[str, str]  # the filter's query arguments
    expected: int  # how many matched when it was previewed
    user: str | None = None
    id: str = field(default_factory=new_id)
    status: str = "pending"
    cursor: int = 0
    anchors: list[str] = field(default_factory=list)
    done: int = 0  # failures acted on
    scanned: int = 0  # records read
    length: int = 0  # the list's length at the last step
    hold: str | None = None  # holding list id for removed failures (undo)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    message: str = ""
    # The failure page's own actions (failed.retry_all, failed.clear, failed.clear_retried)
    # run as operations too; they keep their name in the audit log and their wording.
    audit_action: str = ""

    @property
    def where(self) -> FailureFilter:
        return FailureFilter.from_args(self.filter)

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @property
    def progress(self) -> float:
        """0..1, by how far the cursor is through the list."""
        if self.finished:
            return 1.0
        return min(1.0, self.cursor / self.length) if self.length else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["progress"] = round(self.progress, 4)
        data["finished"] = self.finished
        data["describe"] = self.where.describe()
        return data


class BulkOperations:
    def __init__(self, resque: Resque, audit: AuditLog, retry_removes: bool = False) -> None:
        self.resque = resque
        self.redis = resque.redis
        self.keys = resque.keys
        self.audit = audit
        self.failures = Failures(resque, retry_removes=retry_removes)

    def create(
        self,
        action: str,
        list_queue: str | None,
        where: FailureFilter,
        user: str | None,
        audit_action: str = "",
    ) -> BulkOperation:
        if action not in ACTIONS:
            raise ValueError(f"unknown bulk action {action!r}")
        if where.active:
            expected = self.failures.select(list_queue, where).total
        else:
            expected = self.failures.count(list_queue)
        op = BulkOperation(
            action, list_queue, where.to_args(), expected, user=user, audit_action=audit_action
        )
        if action == "remove" and self.audit.undo_ttl > 0:
            op = replace(op, hold=op.id)
        self._save(op, new=True)
        return op

    def get(self, op_id: str) -> BulkOperation | None:
        raw = self.redis.get(self.keys.bulk_op(op_id))
        if raw is None:
            return None
        data = json.loads(raw)
        fields = BulkOperation.__dataclass_fields__
        return BulkOperation(**{k: v for k, v in data.items() if k in fields})

    def recent(self, limit: int = 20) -> list[BulkOperation]:
        ids = self.redis.zrevrange(self.keys.bulk_ops, 0, limit - 1)
        pipe = self.redis.pipeline(transaction=False)
        for op_id in ids:
            pipe.get(self.keys.bulk_op(op_id))
        out = []
        for raw in pipe.execute() if ids else []:
            if raw is not None:
                data = json.loads(raw)
                fields = BulkOperation.__dataclass_fields__
                out.append(BulkOperation(**{k: v for k, v in data.items() if k in fields}))
        return out

    def step(self, op_id: str, budget: float = STEP_BUDGET) -> BulkOperation | None:
        """Run chunks for up to ``budget`` seconds; returns the operation as it now stands
        (unchanged when another request holds it, or when it is finished)."""
        token = uuid.uuid4().hex
        lock = self.keys.bulk_lock(op_id)
        if not self.redis.set(lock, token, nx=True, px=LOCK_MS):
            return self.get(op_id)
        try:
            op = self.get(op_id)
            if op is None or op.finished:
                return op
            return self._run(op, budget)
        finally:
            if self.redis.get(lock) == token:
                self.redis.delete(lock)

    def run(self, ops: list[BulkOperation], budget: float = STEP_BUDGET) -> list[BulkOperation]:
        """Step each operation in turn, for up to ``budget`` seconds in all (each gets at
        least one step); the operations as they then stand."""
        deadline = time.monotonic() + budget
        out = []
        for op in ops:
            left = max(0.0, deadline - time.monotonic())
            out.append(self.step(op.id, left) or op)
        return out

    def cancel(self, op_id: str) -> BulkOperation | None:
        op = self.get(op_id)
        if op is None or op.finished:
            return op
        op = replace(op, status="cancelled", message=self._summary(op, "Cancelled after"))
        self._save(op)
        self._log(op)
        return op

    # Running --------------------------------------------------------------------
    def _run(self, op: BulkOperation, budget: float) -> BulkOperation:
        failures = self.failures.list(op.list_queue)
        where = op.where
        predicate = where if op.action == "remove" else self._not_retried_since(where, op)
        hold = Hold(self.keys.holding(op.hold), self.audit.undo_ttl) if op.hold else None
        make = failures.operation(op.action, self.failures.retry_removes)
        cursor = failures.resume_at(op.cursor, op.anchors)
        if cursor is None:
            op = replace(
                op,
                status="interrupted",
                message=self._summary(op, "The list changed too much under the operation after"),
            )
            self._save(op)
            self._log(op)
            return op
        deadline = time.monotonic() + budget
        done, scanned, anchors = op.done, op.scanned, op.anchors
        finished = False
        if op.action == "remove" and not where.active and op.cursor == 0 and not op.done:
            # Everything: one atomic clear (the list becomes the holding list: O(1)).
            done, finished = failures.remove_all(hold).count, True
        while not finished:
            chunk = failures.chunk(cursor, make, predicate, hold, CHUNK)
            done += chunk.done
            scanned += chunk.scanned
            cursor = chunk.next_start
            anchors = chunk.anchors or anchors
            if chunk.finished:
                finished = True
                break
            if time.monotonic() > deadline:
                break
        op = replace(
            op,
            status="done" if finished else "running",
            cursor=cursor,
            anchors=anchors,
            done=done,
            scanned=scanned,
            length=max(failures.count(), cursor),
            updated_at=time.time(),
        )
        if finished:
            op = replace(op, message=self._summary(op, "Finished:"))
            self._save(op)
            self._log(op)
        else:
            self._save(op)
        return op

    @staticmethod
    def _not_retried_since(where: FailureFilter, op: BulkOperation) -> Callable[[FailedJob], bool]:
        """A retry operation never retries a failure twice: one retried since it began (by
        it, before a crash lost its cursor, or by anyone else) is left alone."""
        since = int(op.created_at)

        def predicate(failure: FailedJob) -> bool:
            if not where(failure):
                return False
            at = failure.retried_at
            return at is None or at.timestamp() < since

        return predicate

    def _summary(self, op: BulkOperation, lead: str) -> str:
        verb = "retried" if op.action == "retry" else "removed"
        plural = "s" if op.done != 1 else ""
        if op.audit_action in PAGE_ACTIONS and lead == "Finished:":
            return PAGE_ACTIONS[op.audit_action].format(n=op.done, s=plural)
        return f"{lead} {op.done:,} failure{plural} {verb} matching {op.where.describe()}."

    def _log(self, op: BulkOperation) -> None:
        name = self.keys.failed_queue_name(op.list_queue) if op.list_queue else "failed"
        expires = time.time() + self.audit.undo_ttl if op.hold and op.done else None
        self.audit.record(
            AuditEntry(
                op.audit_action or f"failed.bulk_{op.action}",
                name,
                op.done,
                op.message,
                user=op.user,
                filter=op.filter,
                list_queue=op.list_queue,
                hold=op.hold if op.done else None,
                expires_at=expires,
                operation=op.id,
            )
        )

    def _save(self, op: BulkOperation, new: bool = False) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.keys.bulk_op(op.id), json.dumps(asdict(op)), ex=KEEP_SECONDS)
        if new:
            pipe.zadd(self.keys.bulk_ops, {op.id: op.created_at})
            pipe.zremrangebyrank(self.keys.bulk_ops, 0, -KEEP_OPERATIONS - 1)
        pipe.execute()
