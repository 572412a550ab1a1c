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

# resque-scheduler's per-timestamp lists: ``delayed:<epoch>`` (bare in ``timestamps:`` sets).
DELAYED_PREFIX = "delayed:"

# resque-retry's keys: ``resque-retry:<class>:<sha1 of args>`` counts a job's attempts, and
# ``failure-<that name>`` keeps its last error while it waits (MultipleWithRetrySuppression).
RETRY_PREFIX = "resque-retry"
RETRY_FAILURE_PREFIX = "failure-"
# Ruby's ``gsub(/\s/, '')``: /\s/ is ASCII whitespace only.
_NO_WHITESPACE = str.maketrans("", "", " \t\n\v\f\r")


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

    def worker_key_parts(self) -> list[str]:
        """The text before and after the id in ``worker:<id>``, ``worker:<id>:started``,
        ``stat:processed:<id>`` and ``stat:failed:<id>`` (eight strings, in that order): Lua
        scripts passed many worker ids build each one's keys from these."""
        marker = "\x00id\x00"  # no worker id holds a NUL
        spelled = (
            self.worker(marker),
            self.worker_started(marker),
            self.worker_stat("processed", marker),
            self.worker_stat("failed", marker),
        )
        return [part for key in spelled for part in key.split(marker)]

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
    @staticmethod
    def delayed_name(epoch: int) -> str:
        """The *bare* name ``delayed:<epoch>``: what a ``timestamps:`` set holds as member."""
        return f"{DELAYED_PREFIX}{int(epoch)}"

    @property
    def delayed_prefix(self) -> str:
        """``<ns>:delayed:``, to tell a ``delayed:<epoch>`` key from the others."""
        return self.key(DELAYED_PREFIX)

    def timestamps(self, encoded_job: str) -> str:
        """The set of ``delayed:<epoch>`` names holding ``encoded_job``: ``timestamps:<json>``."""
        return self.key(f"timestamps:{encoded_job}")

    @property
    def timestamps_prefix(self) -> str:
        return self.key("timestamps:")

    @property
    def persistent_schedules(self) -> str:
        """A hash: schedule name -> its config as compact JSON (``Resque.set_schedule``)."""
        return self.key("persistent_schedules")

    @property
    def schedules_changed(self) -> str:
        """A set of schedule names a scheduler must reload (it SPOPs them)."""
        return self.key("schedules_changed")

    @property
    def delayed_last_enqueued_at(self) -> str:
        """A hash: schedule name -> Ruby ``Time#to_s`` of its last enqueue."""
        return self.key("delayed:last_enqueued_at")

    def scheduler_master_lock(self, prefix: str = "") -> str:
        """resque-scheduler's master lock. Ruby names it ``"#{Resque.redis.namespace}:..."``
        through the namespaced client, so the namespace appears twice:
        ``resque:resque:[prefix:]resque_scheduler_master_lock``
        (``prefix`` is ``$RESQUE_SCHEDULER_MASTER_LOCK_PREFIX``)."""
        middle = f"{prefix}:" if prefix else ""
        return self.key(f"{self.namespace}:{middle}resque_scheduler_master_lock")

    # resque-retry 1.8 ---------------------------------------------------------------
    # (retry keys: add below this line)
    @staticmethod
    def retry_name(class_name: str, identifier: str | None) -> str:
        """resque-retry's *bare* attempt-key name, as ``redis_retry_key`` builds it:
        ``resque-retry:<class>[:<identifier>]`` with every ASCII whitespace removed."""
        parts = [RETRY_PREFIX, class_name] + ([identifier] if identifier is not None else [])
        return ":".join(parts).translate(_NO_WHITESPACE)

    def retry_attempts(self, retry_name: str) -> str:
        """The attempt counter of one job (``SETNX -1``, then ``INCR`` per attempt)."""
        return self.key(retry_name)

    def retry_failure(self, retry_name: str) -> str:
        """The last error of a job waiting to retry: ``failure-<retry name>``, with a TTL."""
        return self.key(f"{RETRY_FAILURE_PREFIX}{retry_name}")

    @property
    def retry_scan_pattern(self) -> str:
        """A SCAN MATCH pattern for every attempt key of the namespace."""
        return self.scan_pattern[:-1] + f"{RETRY_PREFIX}:*"

    # resque-status 0.5 ----------------------------------------------------------------
    # (status keys: add below this line)
    def status(self, uuid: str) -> str:
        """One job's status, a JSON object: ``status:<uuid>``."""
        return self.key(f"status:{uuid}")

    @property
    def statuses(self) -> str:
        """A sorted set of status uuids scored by their creation time (epoch seconds)."""
        return self.key("_statuses")

    @property
    def status_kill(self) -> str:
        """The set of uuids a job should stop at its next ``at``/``tick``."""
        return self.key("_kill")

    # Operations: pause, per-queue pause, history -------------------------------------
    # (operations keys: add below this line)
    def queue_paused(self, name: str) -> str:
        """resque-pause's per-queue pause (``pause:queue:<name>``): the queue is paused while
        the key exists, whatever its value (the gem writes ``true``)."""
        return self.key(f"pause:queue:{name}")

    @property
    def queues_paused_all(self) -> str:
        """resque-pause's global pause (``pause:all``, the gem's default key): every queue
        counts as paused while it exists; per-queue pauses are kept as they are."""
        return self.key("pause:all")

    def history(self, resolution: str) -> str:
        """The dashboard's samples at one resolution (``minute`` or ``hour``): a hash of
        bucket start (epoch seconds) -> JSON of the counters, pending and the deepest
        queues, each field written once (HSETNX) by whichever dashboard sampled first."""
        return self.web(f"history:{resolution}")

    def history_index(self, resolution: str) -> str:
        """The buckets of :meth:`history` in a sorted set (score = bucket start), so the
        samples past retention are found and trimmed without reading the hash."""
        return self.web(f"history:{resolution}:index")

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

    def failure_index_build(self, list_key: str) -> str:
        """Who is building a failure list's index from scratch (a process's token, with a
        short expiry), so the other processes wait for its save instead of building too."""
        return self.web(f"failure-index-build:{self.strip(list_key)}")

    def rewrite_count(self, list_key: str) -> str:
        """How many changes were ever appended to :meth:`rewrites`."""
        return self.web(f"rewrites:{self.strip(list_key)}:count")
