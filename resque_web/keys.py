"""Every Redis key Resque uses, in one place.

Ruby Resque reaches Redis through redis-namespace, so each key is ``<namespace>:<name>``.
No other module in this project spells a key: they all ask a :class:`Keys`.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "resque"

# The multi-queue failure backend names a queue's failure list "<queue>_failed"
# (no "queue:" prefix), and lists those names in the set "failed_queues".
FAILED_QUEUE_SUFFIX = "_failed"

# The dashboard's own keys live under "<namespace>:web:", a prefix Resque never uses.
WEB_PREFIX = "web:"


@dataclass(frozen=True)
class Keys:
    """Key names under one namespace (``resque`` unless configured otherwise)."""

    namespace: str = DEFAULT_NAMESPACE

    def key(self, name: str) -> str:
        """Namespace a bare name, as redis-namespace does."""
        return f"{self.namespace}:{name}" if self.namespace else name

    def strip(self, key: str) -> str:
        """The bare name of a namespaced key (the key itself if it is outside the namespace)."""
        prefix = self.prefix
        return key[len(prefix) :] if prefix and key.startswith(prefix) else key

    @property
    def prefix(self) -> str:
        return f"{self.namespace}:" if self.namespace else ""

    @property
    def scan_pattern(self) -> str:
        """A SCAN MATCH pattern for every key in the namespace (glob characters escaped)."""
        escaped = "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix)
        return escaped + "*"

    # Queues -----------------------------------------------------------------
    @property
    def queues(self) -> str:
        return self.key("queues")

    def queue(self, name: str) -> str:
        return self.key(f"queue:{name}")

    # Failures ---------------------------------------------------------------
    @property
    def failed(self) -> str:
        return self.key("failed")

    def failed_queue_name(self, queue: str) -> str:
        """The bare list name the multi-queue backend uses, as stored in ``failed_queues``."""
        return f"{queue}{FAILED_QUEUE_SUFFIX}"

    def failed_queue(self, queue: str) -> str:
        return self.key(self.failed_queue_name(queue))

    def failed_list(self, list_name: str) -> str:
        """The key of a failure list named as in ``failed_queues`` (e.g. ``critical_failed``)."""
        return self.key(list_name)

    @staticmethod
    def queue_of_failed_list(list_name: str) -> str:
        """``critical_failed`` -> ``critical``."""
        if list_name.endswith(FAILED_QUEUE_SUFFIX):
            return list_name[: -len(FAILED_QUEUE_SUFFIX)]
        return list_name

    @property
    def failed_queues(self) -> str:
        return self.key("failed_queues")

    # Workers ----------------------------------------------------------------
    @property
    def workers(self) -> str:
        return self.key("workers")

    def worker(self, worker_id: str) -> str:
        return self.key(f"worker:{worker_id}")

    def worker_started(self, worker_id: str) -> str:
        return self.key(f"worker:{worker_id}:started")

    @property
    def heartbeats(self) -> str:
        return self.key("workers:heartbeat")

    @property
    def prune_lock(self) -> str:
        return self.key("pruning_dead_workers_in_progress")

    @property
    def pause_all_workers(self) -> str:
        """Resque 3.0 workers take no job while this holds ``true`` (any case, padded)."""
        return self.key("pause-all-workers")

    # Stats ------------------------------------------------------------------
    def stat(self, name: str) -> str:
        """Global counters: ``stat:processed``, ``stat:failed``."""
        return self.key(f"stat:{name}")

    def worker_stat(self, name: str, worker_id: str) -> str:
        """Per-worker counters: ``stat:processed:<id>``, ``stat:failed:<id>``."""
        return self.key(f"stat:{name}:{worker_id}")

    @property
    def processed(self) -> str:
        return self.stat("processed")

    @property
    def failed_count(self) -> str:
        return self.stat("failed")

    # resque-scheduler 5.0 ---------------------------------------------------------
    @property
    def delayed_schedule(self) -> str:
        """A sorted set of epoch seconds that hold delayed jobs (score = member = epoch)."""
        return self.key("delayed_queue_schedule")

    def delayed(self, epoch: int) -> str:
        """The list of jobs due at ``epoch``: ``delayed:<epoch>``."""
        return self.key(f"delayed:{int(epoch)}")

    # (scheduler keys: add below this line)

    # resque-retry 1.8 ---------------------------------------------------------------
    # (retry keys: add below this line)

    # resque-status 0.5 ----------------------------------------------------------------
    # (status keys: add below this line)

    # Operations: pause, per-queue pause, history -------------------------------------
    # (operations keys: add below this line)

    # The dashboard's own keys (never read by Resque) ----------------------------
    def web(self, name: str) -> str:
        """A key of the dashboard's own: ``<namespace>:web:<name>``."""
        return self.key(f"{WEB_PREFIX}{name}")

    @property
    def audit(self) -> str:
        """The audit log: newest entry first, capped."""
        return self.web("audit")

    def holding(self, op_id: str) -> str:
        """Failures an action removed, kept (with a TTL) so it can be undone."""
        return self.web(f"holding:{op_id}")

    @property
    def bulk_ops(self) -> str:
        """A sorted set of bulk-operation ids by creation time."""
        return self.web("bulk")

    def bulk_op(self, op_id: str) -> str:
        """A bulk operation's state (a hash): filter, cursor, counts, status."""
        return self.web(f"bulk:{op_id}")

    def bulk_lock(self, op_id: str) -> str:
        """Held while one request runs a chunk of the operation."""
        return self.web(f"bulk:{op_id}:lock")

    def rewrites(self, list_key: str) -> str:
        """The dashboard's changes to a failure list, newest last and capped: a position
        rewritten in place (retried), or ``-1 - position`` for a removal, so every
        process's failure index can follow them. (Named before removals were logged too.)"""
        return self.web(f"rewrites:{self.strip(list_key)}")

    def failure_index(self, list_key: str) -> str:
        """A failure list's index, saved by the process that built it for the others."""
        return self.web(f"failure-index:{self.strip(list_key)}")

    def rewrite_count(self, list_key: str) -> str:
        """How many changes were ever appended to :meth:`rewrites`."""
        return self.web(f"rewrites:{self.strip(list_key)}:count")
