"""Move due delayed jobs onto their queues: what Ruby's ``handle_delayed_items`` does.

Ruby reads up to 100 jobs of the oldest due timestamp, then under WATCH runs one MULTI that
SREMs each from its ``timestamps:`` set, enqueues it (``{"class","args"}`` on its queue) and
LTRIMs them off; a failed EXEC means someone else changed the list, so it reads again; an
emptied list is deleted with its schedule entry.

Here one round reads (one read-only script) the first jobs of the oldest due timestamps,
``batch_size`` jobs in all, works out each job's queue item in Python (Ruby's bytes, the job's
hooks), and hands everything to one Lua script (:data:`.scripts.MOVE`) that, per timestamp,
checks the list still starts with exactly the jobs read (else leaves it untouched, as a failed
EXEC does), and only while our master lock holds. Nothing is popped before it is pushed, so a
crash or a Redis outage mid-round loses and duplicates nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import redis

from .. import payload as jsonp
from ..keys import DELAYED_PREFIX, Keys
from ..registry import JobRegistry
from .plan import Plan, PlanError, Resolver, finish, plan
from .scripts import MOVE, PEEK_DUE, script

DEFAULT_BATCH = 1000
DEFAULT_TIMESTAMPS = 1000

_MOVE = script(MOVE)
_PEEK_DUE = script(PEEK_DUE)


@dataclass
class MoveResult:
    moved: int = 0  # jobs taken off delayed lists
    pushed: int = 0  # items pushed onto queues
    dropped: int = 0  # jobs that could not be enqueued (logged, as Ruby's failure handler)
    conflicts: int = 0  # timestamps changed by someone else meanwhile (read again)
    lost_master: bool = False
    idle: bool = False  # nothing was due
    plans: list[Plan] = field(default_factory=list, repr=False)

    def add(self, other: MoveResult) -> None:
        self.moved += other.moved
        self.pushed += other.pushed
        self.dropped += other.dropped
        self.conflicts += other.conflicts
        self.lost_master = self.lost_master or other.lost_master


class DelayedMover:
    """Moves due jobs in bounded rounds. ``client`` must not decode replies (the jobs' exact
    bytes are compared); ``lock_key``/``lock_value`` make every round conditional on holding
    the master lock (``lock_value=""``: no condition, for tools and tests)."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        registry: JobRegistry,
        lock_key: str,
        lock_value: str = "",
        log: logging.Logger | None = None,
        batch_size: int = DEFAULT_BATCH,
        timestamps_per_round: int = DEFAULT_TIMESTAMPS,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.resolve = Resolver(registry)
        self.lock_key = lock_key
        self.lock_value = lock_value
        self.log = log or logging.getLogger("resque_web.scheduler")
        self.batch_size = max(1, batch_size)
        self.timestamps_per_round = max(1, timestamps_per_round)

    def move_round(self, now: int) -> MoveResult:
        """One bounded round: at most ``batch_size`` jobs of the oldest due timestamps."""
        flat = _PEEK_DUE(
            keys=[self.keys.delayed_schedule],
            args=[now, self.batch_size, self.timestamps_per_round, self.keys.delayed_prefix],
            client=self.redis,
        )
        if not flat:
            return MoveResult(idle=True)
        heads: list[tuple[bytes, list[bytes]]] = []
        i = 0
        while i < len(flat):
            n = int(flat[i + 1])
            heads.append((flat[i], flat[i + 2 : i + 2 + n]))
            i += 2 + n
        result = MoveResult()
        args: list[Any] = [
            self.lock_value,
            self.keys.delayed_prefix,
            self.keys.timestamps_prefix,
            self.keys.queue(""),
            DELAYED_PREFIX,
        ]
        plans: dict[bytes, list[Plan]] = {}
        dropped: dict[bytes, int] = {}
        for epoch, head in heads:
            pushes: list[Any] = []
            plans[epoch] = []
            for raw in head:
                done = self._plan(epoch, raw)
                if done is None:
                    dropped[epoch] = dropped.get(epoch, 0) + 1
                    continue
                plans[epoch].append(done)
                if done.item is not None:
                    pushes += [done.queue, done.item, b"1"]
            args += [epoch, len(head), len(pushes) // 3, *head, *pushes]
        reply = _MOVE(
            keys=[self.keys.delayed_schedule, self.keys.queues, self.lock_key],
            args=args,
            client=self.redis,
        )
        if int(reply[0]) == -1:
            return MoveResult(lost_master=True)
        result.moved, result.pushed = int(reply[0]), int(reply[1])
        skipped = set(reply[2:])
        result.conflicts = len(skipped)
        # Jobs of a skipped timestamp stay delayed; the next round reads them again.
        result.dropped = sum(n for epoch, n in dropped.items() if epoch not in skipped)
        for epoch, done_plans in plans.items():
            if epoch in skipped:
                continue
            for done in done_plans:
                self.log.debug(
                    "queued %s [delayed] on %s (due %s)",
                    done.class_name,
                    done.queue,
                    epoch.decode(),
                )
                finish(done)
        return result

    def _plan(self, epoch: bytes, raw: bytes) -> Plan | None:
        """The job's queue item, or None (logged) when it cannot be enqueued: Ruby's failure
        handler logs such a job and drops it from the delayed list too."""
        try:
            text = raw.decode("utf-8")
            return plan(jsonp.decode(text), self.resolve)
        except (UnicodeDecodeError, jsonp.PayloadError, PlanError) as exc:
            self.log.error(
                "dropped a delayed job due %s that cannot be enqueued: %s (%r)",
                epoch.decode(),
                exc,
                raw[:300],
            )
        except Exception as exc:  # a job's own hook raised: as Ruby, log and go on
            self.log.error(
                "a hook failed for a delayed job due %s: %r (%r)", epoch.decode(), exc, raw[:300]
            )
        return None
