"""What the Delayed and Retry tabs' pages share. Both list delayed jobs and have a page per
time, ``/<tab>/<epoch>``, whose forms act on one job named by its list ``index`` and the
``digest`` of the item the user saw; after an action the user goes back to the page the
form was on (the list, when that time has no jobs left)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ....model import ActionResult, Page, TimestampNotFound
from ... import inputs
from ...exceptions import PageError
from ...paging import carried_args, page_args
from ...recording import record
from ...request import dashboard, notify

Row = TypeVar("Row")
_EPOCH = re.compile(r"-?[0-9]{1,15}")


@dataclass(frozen=True)
class TimePages:
    """One tab's list and per-time pages: ``title`` names the list in a 404's way back,
    ``fields`` are what a form carries back to the page it was on, and a form whose
    ``from`` is ``origin`` was on the list (a search or a page of it), not on a time."""

    title: str
    endpoint: str
    time_endpoint: str
    fields: tuple[str, ...]
    origin: str

    def epoch_from(self, text: str) -> int:
        """The epoch seconds a URL names; anything else is no page of ours (404)."""
        if not _EPOCH.fullmatch(text):
            raise PageError(
                404,
                "No such time",
                f"{text[:40]!r} is not a time in epoch seconds.",
                back=(self.title, url_for(self.endpoint)),
            )
        return int(text)

    def jobs_at(
        self, read: Callable[[int, int, int], Page[Row]], epoch: int, page: bool = True
    ) -> Page[Row]:
        """The ``?page=&per_page=`` page ``read`` gives of the jobs due at ``epoch``; a time
        without jobs is a 404 (on a ``page``, with a way back to the list)."""
        args = page_args(newest_first_default=False)
        try:
            return read(epoch, args.page, args.per_page)
        except TimestampNotFound:
            if not page:
                message = f"No jobs are delayed to {epoch}."
                raise PageError(404, "No delayed jobs at that time", message) from None
            raise PageError(
                404,
                "No delayed jobs at that time",
                f"No jobs are delayed to {epoch} (the scheduler may have enqueued them already).",
                back=(self.title, url_for(self.endpoint)),
            ) from None

    def acted(self, audited: str, epoch: int, result: ActionResult) -> Response:
        """After an action on ``delayed:<epoch>``: audit what changed, say what happened,
        and go back where the form was (303)."""
        if result.count:
            record(audited, dashboard().resque.keys.delayed_name(epoch), result)
        notify(result.ok, result.message)
        return redirect(self.back_url(epoch), 303)

    def back_url(self, epoch: int) -> str:
        """Back to the list or the time the form was on (the list when that time is gone)."""
        carried = carried_args(request.form, self.fields)
        if request.form.get("from") == self.origin:
            return url_for(self.endpoint, **carried)
        try:
            dashboard().delayed.timestamp(epoch, 1, 1)
        except TimestampNotFound:
            return url_for(self.endpoint)
        return url_for(self.time_endpoint, timestamp=epoch, **carried)


def job_ref() -> tuple[int, str]:
    """The job a form names: its list index and the SHA-1 of the item the user saw
    (a forged or missing one is a 400)."""
    return inputs.failure_ref(request.form.get("index", ""), request.form.get("digest", ""))
