"""Scheduler drain rate: a backlog of due delayed jobs moved onto their queues.

    .venv/bin/python bench/scheduler_drain.py [--jobs 100000] [--per-timestamp 10] [--batch 1000]

On a private redis-server (random loopback port): write ``--jobs`` delayed jobs, already due,
over ``jobs / per-timestamp`` timestamps (as resque-scheduler stores them), then time the
scheduler's own drain (``Scheduler.handle_delayed_items``, holding the master lock: the same
atomic, identity-checked rounds the process runs) and check nothing is left behind and every
job landed once. Baselines in the same run: plain pipelined ``RPUSH`` of the same items (the
floor any mover pays to put them on a queue), and Ruby resque-scheduler's own algorithm
replayed from Python (LRANGE 100 + WATCH + MULTI per batch, one timestamp at a time).
"""

from __future__ import annotations

import argparse
import logging
import time

import redis

from resque_web import Resque
from resque_web.connection import connect
from resque_web.redis_server import RedisServer
from resque_web.scheduler import encode_delayed
from resque_web.scheduler.command import raw_client
from resque_web.scheduler.process import Scheduler


def fill(r: redis.Redis, jobs: int, per: int, base: int) -> None:
    """Write the backlog as ``delayed_push`` does, pipelined."""
    pipe = r.pipeline(transaction=False)
    for i in range(jobs):
        epoch = base + i // per
        item = encode_delayed("Bench::Job", [i, "payload"], "bench")
        pipe.rpush(f"resque:delayed:{epoch}", item)
        pipe.sadd(f"resque:timestamps:{item}", f"delayed:{epoch}")
        pipe.zadd("resque:delayed_queue_schedule", {str(epoch): epoch})
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def rpush_baseline(r: redis.Redis, jobs: int) -> float:
    items = [f'{{"class":"Bench::Job","args":[{i},"payload"]}}' for i in range(jobs)]
    start = time.perf_counter()
    pipe = r.pipeline(transaction=False)
    for first in range(0, jobs, 1000):
        pipe.rpush("resque:queue:baseline", *items[first : first + 1000])
    pipe.execute()
    elapsed = time.perf_counter() - start
    r.delete("resque:queue:baseline")
    return jobs / elapsed


def ruby_algorithm(r: redis.Redis, now: int) -> int:
    """resque-scheduler 5.0's enqueue_items_in_batch_for_timestamp, replayed (batch 100)."""
    moved = 0
    while True:
        found = r.zrangebyscore("resque:delayed_queue_schedule", "-inf", now, start=0, num=1)
        if not found:
            return moved
        key = f"resque:delayed:{found[0]}"
        while True:
            items = r.lrange(key, 0, 99)
            with r.pipeline(transaction=True) as pipe:
                pipe.watch(key)
                pipe.multi()
                for item in items:
                    pipe.srem(f"resque:timestamps:{item}", key[len("resque:") :])
                    pipe.sadd("resque:queues", "bench")
                    pipe.rpush("resque:queue:bench", item)  # (Ruby re-encodes; same cost class)
                pipe.ltrim(key, 100, -1)
                pipe.execute()
            moved += len(items)
            if len(items) < 100:
                with r.pipeline(transaction=True) as pipe:
                    pipe.watch(key)
                    if pipe.llen(key) == 0:
                        pipe.multi()
                        pipe.delete(key)
                        pipe.zrem("resque:delayed_queue_schedule", found[0])
                        pipe.execute()
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--per-timestamp", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--ruby-jobs", type=int, default=20_000, help="0 to skip")
    options = parser.parse_args()
    with RedisServer() as server:
        r = redis.Redis(port=server.port, decode_responses=True)
        base = int(time.time()) - options.jobs // options.per_timestamp - 60  # all due
        baseline = rpush_baseline(r, options.jobs)

        fill(r, options.jobs, options.per_timestamp, base)
        client = connect(server.url)
        process = Scheduler(
            Resque(client),
            raw_client(client),
            batch_size=options.batch,
            log=logging.getLogger("bench.quiet"),
        )
        assert process.lock.master()
        start = time.perf_counter()
        result = process.handle_delayed_items()
        elapsed = time.perf_counter() - start
        left = r.zcard("resque:delayed_queue_schedule")
        residue = sum(1 for _ in r.scan_iter("resque:timestamps:*", count=10_000))
        landed = r.llen("resque:queue:bench")
        distinct = len(set(r.lrange("resque:queue:bench", 0, -1)))
        process.lock.release()
        rate = result.moved / elapsed
        print(
            f"jobs {options.jobs:,} over {options.jobs // options.per_timestamp:,} timestamps, "
            f"batch {options.batch}"
        )
        print(f"scheduler drain      {rate:10,.0f} jobs/s  ({elapsed:.2f} s)")
        print(f"plain RPUSH baseline {baseline:10,.0f} jobs/s  (drain = {rate / baseline:.2f}x)")
        print(
            f"check: landed {landed:,}, distinct {distinct:,}, timestamps left {left}, "
            f"timestamps: sets left {residue}"
        )
        if options.ruby_jobs:
            r.flushall()
            fill(r, options.ruby_jobs, options.per_timestamp, base)
            start = time.perf_counter()
            moved = ruby_algorithm(r, int(time.time()))
            ruby_rate = moved / (time.perf_counter() - start)
            print(
                f"Ruby's algorithm     {ruby_rate:10,.0f} jobs/s  ({options.ruby_jobs:,} jobs, "
                f"replayed from Python; drain = {rate / ruby_rate:.1f}x)"
            )
        r.close()


if __name__ == "__main__":
    main()
