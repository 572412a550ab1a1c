"""The Statuses tab's data: resque-status 0.5 statuses (Ruby's or ours), a page at a time.

A page reads its own rows only: ``ZREVRANGE`` of the page's positions, then one ``MGET``
(two round trips whatever ``_statuses`` holds). Statuses are not indexed by state, so a
filtered view is a bounded search (:meth:`StatusStore.find`): newest first from a
position, at most ``FIND_BUDGET`` statuses read in one Lua call, and a link to look
further from where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..client import Resque
from ..failure import ActionResult
from ..status import CLEARABLE, Found, Status, StatusStore
from .page import Page, clamp_page, clamp_per_page

# A clear from the dashboard stops after about this long; clearing again goes on.
CLEAR_SECONDS = 2.0


@dataclass(frozen=True)
class StatusRow:
    """One position of ``_statuses``. ``status`` is None when the uuid is still listed but
    its value is gone (expired with ``expire_in``, which prunes the list only later)."""

    uuid: str
    status: Status | None


class Statuses:
    def __init__(self, resque: Resque) -> None:
        self.store = StatusStore(resque)
        self.redis = resque.redis
        self.keys = resque.keys

    def present(self) -> bool:
        """Is there any status (does the tab have anything to show)?"""
        return bool(self.redis.exists(self.keys.statuses))

    def page(self, number: int = 1, per_page: int = 50) -> Page[StatusRow]:
        """Page ``number`` of every status, newest first."""
        per_page = clamp_per_page(per_page, 50)
        start = (max(1, number) - 1) * per_page
        total, found, uuids = self.store.window(start, per_page)
        last = clamp_page(number, per_page, total)
        if last != max(1, number):
            return self.page(last, per_page)
        rows = [StatusRow(uuid, status) for uuid, status in zip(uuids, found)]
        indexes = list(range(start, start + len(rows)))
        return Page(rows, last, per_page, total, True, indexes)

    def find(self, state: str, offset: int = 0, per_page: int = 50) -> Found:
        """Up to ``per_page`` statuses in ``state`` from position ``offset``, newest first."""
        return self.store.find(state, offset, clamp_per_page(per_page, 50))

    def get(self, uuid: str) -> Status | None:
        return self.store.get(uuid)

    def kill(self, uuid: str) -> ActionResult:
        """Ask the job to stop at its next step, if it is still queued or working."""
        outcome = self.store.kill(uuid)
        if outcome == 1:
            return ActionResult(
                True, f"Asked job {uuid} to stop: it will at its next at() or tick().", 1
            )
        reason = {
            0: "it has already finished",
            -1: "there is no such status (cleared or expired)",
            -2: "its status is unreadable",
        }.get(outcome, "unknown")
        return ActionResult(False, f"Job {uuid} was not asked to stop: {reason}.", 0)

    def clear(self, which: str, seconds: float | None = None) -> ActionResult:
        """Remove the completed, failed or all statuses, in atomic chunks of 500 for at
        most about ``seconds`` (a request's work stays bounded; clearing again goes on)."""
        if which not in CLEARABLE:
            return ActionResult(False, f"Clear what? One of {', '.join(CLEARABLE)}.", 0)
        cleared = self.store.clear_for(which, CLEAR_SECONDS if seconds is None else seconds)
        kind = "" if which == "all" else f"{which} "
        message = f"Cleared {cleared.removed:,} {kind}status{'es' if cleared.removed != 1 else ''}."
        if not cleared.finished:
            message += " More remain to be looked at: clear again to go on."
        return ActionResult(True, message, cleared.removed)
