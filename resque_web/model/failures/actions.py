"""Acting on failures the user saw: each names its failure by position and digest, and
:class:`resque_web.failure.FailureList` checks and applies it in one Lua step."""

from __future__ import annotations

from ...failure import ActionResult, FailedJob, Hold
from .lists import FailureLists


class FailureActions(FailureLists):
    def retry(self, list_queue: str | None, position: int, digest: str) -> ActionResult:
        return self.list(list_queue).retry(position, digest, remove=self.retry_removes)

    def remove(
        self, list_queue: str | None, position: int, digest: str, hold: Hold | None = None
    ) -> ActionResult:
        return self.list(list_queue).remove(position, digest, hold)

    def act_on(
        self,
        list_queue: str | None,
        rows: list[tuple[int, str]],
        action: str,
        hold: Hold | None = None,
    ) -> ActionResult:
        """Retry or remove exactly the selected failures, named by (position, digest)."""
        return self.list(list_queue).act_on(rows, action, self.retry_removes, hold)

    def retry_edited(
        self, list_queue: str | None, position: int, digest: str, args: list[object]
    ) -> ActionResult:
        return self.list(list_queue).retry_edited(position, digest, args)

    def get(self, list_queue: str | None, position: int, digest: str) -> FailedJob | None:
        """The failure the user saw (found again if it moved), or None when it is gone."""
        return self.list(list_queue).locate(position, digest)

    def restore(self, list_queue: str | None, hold_key: str) -> int:
        """Put held failures back at the end of their list; how many came back."""
        return self.list(list_queue).restore(hold_key)
