"""StatusJob classes for the status tests, loaded by workers with ``-r tests.status_jobs``.

``Thumb`` does what the Ruby job that produced the pinned bytes did (see test_status_ruby),
one branch per option ``mode`` (none: every kind of update in turn). ``Steps`` reports
``options["steps"]`` steps, sleeping ``options["pause"]`` seconds before each, and appends
each step to ``$RESQUE_TEST_RECORD``.
"""

from __future__ import annotations

import time

from resque_web import StatusJob, job, status
from tests.jobs import record


@job("Thumb")
class Thumb(StatusJob):
    queue = "images"

    def perform(self) -> None:
        mode = self.options.get("mode")
        if mode == "done":
            self.at(1, 4, "resized 1 of 4")
            self.tick("halfway")
            self.at(4, 4)
            self.completed(url="/thumbs/1.png", sizes=[1, 2.5])
        elif mode == "fail":
            self.at(2, 10)
            raise RuntimeError("disk full")
        elif mode == "noname":
            raise RuntimeError
        elif mode == "kill":
            status.kill(self.uuid, resque=self.store.resque)
            self.at(1, 5, "before kill")
        elif mode == "nan":
            self.at(1, 0)
        elif mode is None:
            self.at(1, 4, "resized 1 of 4")
            self.tick("halfway")
            self.tick()
            self.tick({"step": "crop"}, "cropping")
            self.at(2.5, 4.0)
            self.at(3, "4")
            self.completed("all done", url="/thumbs/1.png")
        # "plain": nothing, so the status is made completed after perform


@job("Steps")
class Steps(StatusJob):
    queue = "statused"

    def perform(self) -> None:
        steps = int(self.options.get("steps", 5))
        for i in range(steps):
            time.sleep(float(self.options.get("pause", 0.1)))
            self.at(i + 1, steps, f"step {i + 1} of {steps}")
            record("step", self.uuid, i + 1)
