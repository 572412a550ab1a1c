"""Queue up existing data in batches of 2,000, one pipelined round trip per batch.

    python examples/batch_enqueue.py redis://127.0.0.1:6379/0

A Ruby worker (``QUEUE=file_serve rake resque:work``) or a Python one
(``resque-web worker --queues file_serve --require examples.batch_enqueue``) performs them.
"""

from __future__ import annotations

import sys
import time

import resque_web


@resque_web.job("Archive")
class Archive:
    queue = "file_serve"

    @staticmethod
    def perform(repo_id: int, branch: str = "master") -> None:
        print(f"archiving repository {repo_id} at {branch}")


def repository_ids() -> range:
    """Stands in for ``SELECT id FROM repositories``: any iterable works, it is not
    loaded whole."""
    return range(1, 100_001)


def main(url: str) -> None:
    resque = resque_web.Resque(url)
    started = time.perf_counter()
    count = resque.enqueue_many(Archive, ([i, "master"] for i in repository_ids()), batch_size=2000)
    elapsed = time.perf_counter() - started
    print(f"enqueued {count:,} Archive jobs on 'file_serve' in {elapsed:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0")
