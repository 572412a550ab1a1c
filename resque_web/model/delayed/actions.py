"""The Delayed tab's actions: Queue now and Delete on one job, Queue now on a timestamp,
Clear all. A job is named by its epoch, list position and the SHA-1 of the item the user
saw, checked and changed in one Lua step (:mod:`resque_web.model.scheduler_scripts`), so a
job the scheduler moved meanwhile is never hit; the bulk ones work in bounded chunks."""

from __future__ import annotations

import time
import uuid
from typing import Any

from ...client import Resque
from ...failure import ActionResult
from ...failure.record import digest as record_digest
from ...job import Job
from ...scheduler.plan import PlanError, plan
from ..scheduler_scripts import CLEAR_CHUNK, QUEUE_CHUNK, TAKE_ONE
from .reads import DelayedReads
from .rows import DelayedJob, NotQueueable, epoch_time

# Queue now on a timestamp and Clear work in chunks of this many items (each one script
# call, so Redis is never blocked long) and stop after ACTION_BUDGET seconds, saying what
# is left.
ACTION_CHUNK = 500
ACTION_BUDGET = 10.0
STALE_RETRIES = 5


def queue_item(config: Any) -> tuple[str, str]:
    """(queue, queue item) for a delayed item or schedule entry, as resque-scheduler's
    ``enqueue_from_config`` builds it when the job's class is not loaded (the dashboard
    runs no job code, so no hooks): ``Resque::Job.create(queue, class, *params)``. Raises
    :class:`NotQueueable` when Ruby's scheduler could not enqueue it either."""
    try:
        done = plan(config, _no_code)
    except PlanError as exc:
        raise NotQueueable(str(exc)) from None
    if done.item is None:  # only a loaded class's hooks or ``scheduled`` say so
        raise NotQueueable(f"{done.class_name} is taken over by its own code")
    return done.queue, done.item


def _no_code(name: str) -> None:
    """The dashboard resolves no class name to code."""
    return None


class DelayedActions(DelayedReads):
    """Identity-checked changes to resque-scheduler's delayed queue."""

    def __init__(self, resque: Resque) -> None:
        super().__init__(resque)
        register = self.redis.register_script
        self._take_one = register(TAKE_ONE)
        self._queue_chunk = register(QUEUE_CHUNK)
        self._clear_chunk = register(CLEAR_CHUNK)

    def find(self, epoch: int, index: int, digest: str) -> DelayedJob | None:
        """The job at ``index`` of ``delayed:<epoch>`` if it is still the one with this
        SHA-1, else None."""
        raw = self.redis.lindex(self.keys.delayed(epoch), index)
        if raw is None or record_digest(raw) != digest:
            return None
        return DelayedJob(epoch, index, Job.from_raw("", raw))

    def remove_job(self, epoch: int, index: int, digest: str) -> ActionResult:
        """Delete exactly the job the user saw (Ruby's ``remove_delayed_job_from_timestamp``
        removes every copy; this removes the one clicked)."""
        found = self.find(epoch, index, digest)
        if found is None or not self._take(found, "", ""):
            return _gone()
        return ActionResult(
            True, f"Deleted one delayed {found.job.display_class} job due at {_when(epoch)}.", 1
        )

    def queue_job(self, epoch: int, index: int, digest: str) -> ActionResult:
        """Enqueue one delayed job now: take it out of its list and push it onto its queue,
        in one step, as the scheduler would when it falls due."""
        found = self.find(epoch, index, digest)
        if found is None:
            return _gone()
        try:
            queue, item = queue_item(_payload(found.job))
        except NotQueueable as exc:
            return ActionResult(False, f"This job cannot be queued: {exc}. Nothing was changed.")
        if not self._take(found, queue, item):
            return _gone()
        return ActionResult(
            True,
            f"Queued one {found.job.display_class} job on {queue} (was due {_when(epoch)}).",
            1,
        )

    def _take(self, found: DelayedJob, queue: str, item: str) -> bool:
        keys = self.keys
        done = self._take_one(
            keys=[
                keys.delayed(found.epoch),
                keys.delayed_schedule,
                keys.queues,
                keys.queue(queue) if queue else keys.queues,
            ],
            args=[
                found.index,
                found.digest,
                _tombstone(),
                keys.timestamps_prefix,
                keys.delayed_name(found.epoch),
                str(found.epoch),
                queue,
                item,
            ],
        )
        return bool(int(done))

    def queue_timestamp(self, epoch: int, budget: float = ACTION_BUDGET) -> ActionResult:
        """Enqueue every job due at ``epoch`` now, a checked chunk per step; items the
        scheduler could not enqueue either (unreadable, no queue) stay where they are."""
        keys = self.keys
        key = keys.delayed(epoch)
        skip, moved, stale, kept = 0, 0, 0, 0
        reason = ""  # why the first item that stays could not be queued
        deadline = time.monotonic() + budget
        while True:
            raws = self.redis.lrange(key, skip, skip + ACTION_CHUNK - 1)
            if not raws:
                break
            args: list[Any] = [
                _tombstone(),
                keys.timestamps_prefix,
                keys.queue(""),
                keys.delayed_name(epoch),
                str(epoch),
                skip,
            ]
            stays, why = 0, ""
            for raw in raws:
                try:
                    queue, item = queue_item(_payload(Job.from_raw("", raw)))
                except NotQueueable as exc:
                    queue, item = "", ""
                    stays, why = stays + 1, why or str(exc)
                args += [record_digest(raw), queue, item]
            done = int(self._queue_chunk(keys=[key, keys.delayed_schedule, keys.queues], args=args))
            if done < 0:
                stale += 1  # the list changed under us (the scheduler took jobs): read again
                if stale > STALE_RETRIES:
                    break
                continue
            moved += done
            skip += stays
            kept, reason = kept + stays, reason or why
            if len(raws) < ACTION_CHUNK or time.monotonic() > deadline:
                break
        if not (moved or kept or stale):
            return ActionResult(
                False, f"No jobs are delayed to {_when(epoch)} any more; nothing was changed."
            )
        left = int(self.redis.llen(key))
        return _queued_message(epoch, moved, kept, reason, left)

    def clear(self, budget: float = ACTION_BUDGET) -> ActionResult:
        """Ruby's ``reset_delayed_queue`` (every delayed job and its ``timestamps:`` set), in
        bounded chunks; after ``budget`` seconds it stops and says how many are left."""
        keys = self.keys
        jobs, left, deadline = 0, 0, time.monotonic() + budget
        while True:
            deleted, _emptied, left = self._clear_chunk(
                keys=[keys.delayed_schedule],
                args=[keys.delayed_prefix, keys.timestamps_prefix, ACTION_CHUNK * 2],
            )
            jobs += int(deleted)
            left = int(left)
            if left == 0 or time.monotonic() > deadline:
                break
        message = f"Cleared {jobs:,} delayed job{'s' if jobs != 1 else ''}."
        if left:
            message += f" {left:,} timestamps are left (it ran out of time): clear again."
        return ActionResult(True, message, jobs)


def _payload(job: Job) -> Any:
    """What the scheduler would decode; an unreadable item says why it cannot be queued."""
    if job.error and not isinstance(job.payload, dict):
        raise NotQueueable(job.error)
    return job.payload


def _tombstone() -> str:
    return f"resque-web:tombstone:{uuid.uuid4().hex}"


def _when(epoch: int) -> str:
    at = epoch_time(epoch)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else str(epoch)


def _gone() -> ActionResult:
    return ActionResult(
        False,
        "That delayed job is no longer there (the scheduler enqueued it, or it was deleted "
        "or changed); nothing was changed.",
    )


def _queued_message(epoch: int, moved: int, kept: int, reason: str, left: int) -> ActionResult:
    parts = [f"Queued {moved:,} job{'s' if moved != 1 else ''} due at {_when(epoch)}."]
    if kept:
        parts.append(f"{kept:,} could not be queued and stay delayed (the first: {reason}).")
    if left > kept:
        parts.append(f"{left - kept:,} more are still at that time: queue them again.")
    return ActionResult(moved > 0 or not kept, " ".join(parts), moved)
