"""The slow job: "makes thumbnails" one step at a time, reporting each step."""

from __future__ import annotations

import time

import resque_web


@resque_web.job("MakeThumbnails")
class MakeThumbnails(resque_web.StatusJob):
    queue = "thumbnails"

    def perform(self) -> None:
        steps = int(self.options.get("steps", 10))
        for step in range(1, steps + 1):
            time.sleep(float(self.options.get("pause", 0.5)))
            self.at(step, steps, f"made thumbnail {step} of {steps}")
        self.completed(url=f"/thumbnails/{self.options.get('photo', 'photo')}.png")
