"""Pause and prune: ``POST /workers`` (``action`` = ``pause_all``, ``resume_all``, ``prune``,
``prune_stale``), ``POST /queue-pause/<name>`` (``action`` = ``pause`` or ``resume``), and
the banner every page shows while Resque's workers are paused.

The banner reads Redis in a background thread at most every :data:`BANNER_TTL` seconds per
dashboard process, so it costs a page no round trip; the process that pauses or resumes
knows at once, others within that many seconds.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import redis
from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ...failure import ActionResult
from ...model import QueueSummary
from ...model.operations import PauseState, Pausing, PruneResult, Pruning
from ..exceptions import PageError
from ..recording import record
from ..request import current_blueprint, current_settings, dashboard, notify
from ..security import require

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

log = logging.getLogger(__name__)

BANNER_TTL = 5.0
# The workers pages read the state on every view (a host's page, at its limit of 3 round
# trips, shows its buttons from the banner's reading, at most BANNER_TTL old).
FRESH_ON = frozenset({"workers", "workers_all"})
LEFT_ALONE = {
    "alive": "it sent a heartbeat since, so it is alive",
    "changed": "it took or finished a job since",
    "gone": "it is no longer registered",
}


def register(bp: DashboardBlueprint) -> None:
    _banners[bp] = PauseBanner(bp)
    bp.add_url_rule("/workers", "workers_action", workers_action, methods=["POST"])
    bp.add_url_rule(
        "/queue-pause/<path:name>",
        "queue_pause",
        queue_pause,
        methods=["POST"],
        merge_slashes=False,
    )
    bp.context_processor(banner_context)


class PauseBanner:
    """The pause state a page shows, refreshed off the request thread."""

    def __init__(self, bp: DashboardBlueprint) -> None:
        self.bp = bp
        self.state: PauseState | None = None
        self.read_at = 0.0
        self.ttl = BANNER_TTL
        self._lock = threading.Lock()
        self._reading = False

    def current(self) -> PauseState | None:
        """The last state read; starts a background read when it is older than ``ttl``."""
        with self._lock:
            due = not self._reading and time.monotonic() - self.read_at >= self.ttl
            if due:
                self._reading = True
        if due:
            threading.Thread(target=self.refresh, name="resque-web-pause", daemon=True).start()
        return self.state

    def refresh(self) -> None:
        try:
            state = Pausing(self.bp.resque).state()
        except redis.RedisError as exc:
            log.debug("pause state not read: %s", exc)
            state = self.state
        with self._lock:
            self.state, self.read_at, self._reading = state, time.monotonic(), False

    def read_now(self) -> PauseState:
        state = Pausing(self.bp.resque).state()
        self.know(state)
        return state

    def know(self, state: PauseState) -> None:
        """This process just changed the state: show it without waiting for a read."""
        with self._lock:
            self.state, self.read_at = state, time.monotonic()


_banners: weakref.WeakKeyDictionary[DashboardBlueprint, PauseBanner] = weakref.WeakKeyDictionary()


def pause_banner(bp: DashboardBlueprint) -> PauseBanner:
    return _banners[bp]


def banner_context() -> dict[str, Any]:
    """``pause_state`` for the layout: read now on the pages with the pause buttons (they
    must say the truth), else the banner's last reading."""
    banner = _banners.get(current_blueprint())
    if banner is None:
        return {"pause_state": None}
    endpoint = (request.endpoint or "").rpartition(".")[2]
    if endpoint in FRESH_ON:
        try:
            return {"pause_state": banner.read_now()}
        except redis.RedisError:
            return {"pause_state": None}  # the page itself reports the outage
    return {"pause_state": banner.current()}


def queue_pauses(queues: Iterable[QueueSummary]) -> dict[str, Any]:
    """What the queue table needs for its pause column: which of these queues are paused
    (one MGET; the URL builder is in ``row_links``)."""
    names = [q.name for q in queues]
    return {"paused_queues": Pausing(dashboard().resque).paused_queues(names)}


def workers_action() -> Response:
    action = request.form.get("action", "")
    d = dashboard()
    settings = current_settings()
    back = _back(url_for(".workers"))
    if action in ("pause_all", "resume_all"):
        require(settings, "workers.pause")
        pausing = Pausing(d.resque)
        if action == "pause_all":
            changed = pausing.pause_all()
            message = "Paused every worker: they finish their current job and take no other."
            if not changed:
                message = "Every worker was already paused."
        else:
            changed = pausing.resume_all()
            message = "Resumed every worker." if changed else "The workers were not paused."
        pause_banner(current_blueprint()).know(pausing.state())
        record(f"workers.{action}", "pause-all-workers", ActionResult(True, message, int(changed)))
        notify(True, message)
        return redirect(back, 303)
    if action in ("prune", "prune_stale"):
        require(settings, "workers.prune")
        pruning = Pruning(d.resque)
        if action == "prune":
            worker_id = request.form.get("worker", "")
            beat = request.form.get("heartbeat", "")
            if not worker_id or not beat:
                raise PageError(400, "Bad request", "Which worker? The form named none.")
            result = pruning.remove(worker_id, beat)
            target = worker_id
        else:
            result = pruning.remove_all_stale()
            target = "stale workers"
        ok, message = prune_message(result)
        if result.removed:
            record("workers.prune", target, ActionResult(True, message, len(result.removed)))
        notify(ok, message)
        return redirect(back, 303)
    raise PageError(400, "Bad request", f"Unknown workers action {action!r}.")


def prune_message(result: PruneResult) -> tuple[bool, str]:
    """What the flash says: who went, whose job became a failure, who was left and why."""
    parts = []
    if result.removed:
        n = len(result.removed)
        names = ", ".join(result.removed[:3]) + (f" and {n - 3:,} more" if n > 3 else "")
        parts.append(f"Removed {n:,} stale worker{'s' if n != 1 else ''} ({names}).")
        if result.jobs_failed:
            j = result.jobs_failed
            parts.append(
                f"{j:,} job{'s' if j != 1 else ''} in flight {'were' if j != 1 else 'was'} "
                "recorded as Resque::DirtyExit failures."
            )
    for wid, why in sorted(result.left.items())[:3]:
        parts.append(f"Left {wid} alone: {LEFT_ALONE.get(why, why)}.")
    if not parts:
        parts.append("No worker is stale: nothing was removed.")
    return bool(result.removed) or not result.left, " ".join(parts)


def queue_pause(name: str) -> Response:
    action = request.form.get("action", "")
    require(current_settings(), "queue.pause")
    pausing = Pausing(dashboard().resque)
    if action == "pause":
        changed = pausing.pause_queue(name)
        message = f"Paused queue {name}." if changed else f"Queue {name} was already paused."
    elif action == "resume":
        changed = pausing.resume_queue(name)
        message = f"Resumed queue {name}." if changed else f"Queue {name} was not paused."
    else:
        raise PageError(400, "Bad request", f"Unknown queue pause action {action!r}.")
    record(f"queue.{action}", name, ActionResult(True, message, int(changed)))
    notify(True, message)
    return redirect(_back(url_for(".queues")), 303)


def _back(default: str) -> str:
    """The page the form was on (``next``, a path on this site only), else ``default``."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
