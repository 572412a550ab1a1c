"""Finding delayed jobs by class and arguments text: Redis reads the delayed items oldest
first, a chunk per script call, and answers likely matches only; each is checked here on
the decoded job. Bounded by the rows asked for and a time budget (then "partial")."""

from __future__ import annotations

import time
from collections.abc import Callable

from ... import payload as jsonp
from ...client import Resque
from ...job import Job
from ..scheduler_scripts import SEARCH
from .reads import DelayedReads
from .rows import DelayedJob, DelayedSearch, epoch_of

# A search reads this many items per script call (a couple of ms of Redis), until it has
# the rows the page shows or runs out of time; it then says the result is partial.
SEARCH_CHUNK = 2000
SEARCH_BUDGET = 2.0


class DelayedSearching(DelayedReads):
    """The Delayed tab's search (``?class=&args=``)."""

    def __init__(self, resque: Resque) -> None:
        super().__init__(resque)
        self._search = self.redis.register_script(SEARCH)

    def search(
        self,
        class_text: str = "",
        args_text: str = "",
        want: int = 100,
        budget: float = SEARCH_BUDGET,
    ) -> DelayedSearch:
        """Delayed jobs whose class holds ``class_text`` (ignoring ASCII case) and whose
        arguments, as stored JSON, hold ``args_text``; oldest first, the first ``want`` of
        them. Redis reads the items (a chunk per call) and returns likely matches only;
        each is checked here on the decoded job."""
        class_needle = _ascii_lower(_json_text(class_text)) if class_text else ""
        keys = self.keys
        rank, position, read = 0, 0, 0
        rows: list[DelayedJob] = []
        deadline = time.monotonic() + budget
        matches = _matcher(class_text, args_text)
        while len(rows) < want:
            rank, position, got, found = self._search(
                keys=[keys.delayed_schedule],
                args=[
                    keys.delayed_prefix,
                    rank,
                    position,
                    SEARCH_CHUNK,
                    class_needle,
                    args_text,
                    want - len(rows),
                ],
            )
            rank, position, read = int(rank), int(position), read + int(got)
            for i in range(0, len(found), 3):
                epoch = epoch_of(found[i])
                job = Job.from_raw("", found[i + 2])
                if epoch is not None and matches(job):
                    rows.append(DelayedJob(epoch, int(found[i + 1]), job))
            if rank < 0:
                return DelayedSearch(rows[:want], True, read)
            if len(rows) < want and time.monotonic() > deadline:
                return DelayedSearch(rows, False, read)
        return DelayedSearch(rows[:want], True, read, more=True)


def _ascii_lower(text: str) -> str:
    """Lowercase ASCII only, as Lua's ``string.lower`` does in the C locale."""
    return text.translate({c: c + 32 for c in range(65, 91)})


def _json_text(text: str) -> str:
    """How ``text`` appears inside a JSON string as Ruby writes it (quotes and backslashes
    escaped, unicode raw)."""
    return jsonp.encode(text)[1:-1]


def _matcher(class_text: str, args_text: str) -> Callable[[Job], bool]:
    needle = _ascii_lower(class_text)

    def matches(job: Job) -> bool:
        if needle:
            names = {job.class_name or "", job.display_class}
            if not any(needle in _ascii_lower(n) for n in names):
                return False
        if args_text:
            text = job.raw if job.error else jsonp.encode(job.args)
            return args_text in text
        return True

    return matches
