"""resque-scheduler's delaying API (``Resque.enqueue_at`` and friends), byte for byte.

A delayed job is stored three times, as Ruby's ``delayed_push`` stores it:

- ``delayed:<epoch>``: a list of job JSONs ``{"class":...,"args":[...],"queue":...}`` (that
  key order, compact, raw UTF-8, Ruby's floats: :mod:`resque_web.payload`);
- ``timestamps:<that JSON>``: a set of the bare names ``delayed:<epoch>`` holding the job;
- ``delayed_queue_schedule``: a sorted set of epochs (score = member = epoch).

Every function takes a :class:`resque_web.Resque` first; ``Resque`` exposes each as a
method of the same name, and ``resque_web`` as a module function (Ruby's ``Resque.enqueue_at``).
Changes that Ruby makes under WATCH/MULTI are one MULTI or one Lua script here, so a Ruby
scheduler sharing the Redis sees all of a change or none of it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .. import payload as jsonp
from ..keys import DELAYED_PREFIX
from . import scripts
from .plan import Resolver, class_queue, finish, plan, run_hooks
from .scripts import script

if TYPE_CHECKING:  # the client delegates to this module; only annotations name it here
    from ..client import Resque

# Ruby's find_delayed_selection reads 100 timestamps per pipelined round trip.
_CHUNK = 100

_NEXT_ITEM = script(scripts.NEXT_ITEM)
_REMOVE_FROM_TIMESTAMP = script(scripts.REMOVE_FROM_TIMESTAMP)
_REMOVE_JOB = script(scripts.REMOVE_JOB)
_CLEAN_UP = script(scripts.CLEAN_UP)

When = datetime | date | int | float
Selector = Callable[[Any], bool]


def epoch_of(when: When) -> int:
    """``timestamp.to_i``: a datetime (naive = local time, as Python reads it) or epoch seconds."""
    if isinstance(when, datetime):
        return math.floor(when.timestamp())
    if isinstance(when, date):
        return math.floor(datetime(when.year, when.month, when.day).timestamp())
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        raise TypeError(f"a time must be a datetime or epoch seconds, not {when!r}")
    if not math.isfinite(when):
        raise ValueError(f"a time must be finite, not {when!r}")
    return math.floor(when)


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"please supply a numeric number of seconds, not {value!r}")
    return float(value)


def encode_delayed(class_name: str, args: list | tuple, queue: str | None) -> str:
    """Ruby's ``encode(job_to_hash_with_queue(queue, klass, args))``."""
    if not isinstance(class_name, str) or not class_name:
        raise TypeError(f"the job class name must be a non-empty string, not {class_name!r}")
    return jsonp.encode({"class": class_name, "args": list(args), "queue": queue}, "job")


def _job_json(resque: Resque, job_class: Any, args: tuple, queue: str | None = None) -> str:
    """``job_to_hash``: the queue is the class's own (``null`` for a bare name), as Ruby."""
    if queue is None:
        queue = class_queue(job_class)
    return encode_delayed(resque.registry.name_for(job_class), args, queue)


# Delaying -----------------------------------------------------------------------------
def enqueue_at(resque: Resque, when: When, job_class: Any, *args: Any) -> bool:
    """Enqueue ``job_class`` on its queue at ``when`` (datetime or epoch seconds)."""
    return enqueue_at_with_queue(resque, resque.queue_for(job_class), when, job_class, *args)


def enqueue_in(resque: Resque, seconds: float, job_class: Any, *args: Any) -> bool:
    return enqueue_at(resque, time.time() + _seconds(seconds), job_class, *args)


def enqueue_in_with_queue(
    resque: Resque, queue: str, seconds: float, job_class: Any, *args: Any
) -> bool:
    return enqueue_at_with_queue(resque, queue, time.time() + _seconds(seconds), job_class, *args)


def enqueue_at_with_queue(
    resque: Resque, queue: str, when: When, job_class: Any, *args: Any
) -> bool:
    """Delay a job for ``queue``; a time already past enqueues it now, as Ruby does.

    ``before_schedule*`` hooks run first (any returning False: nothing is written, False is
    returned), ``after_schedule*`` after. A class with a ``scheduled(queue, name, *args)``
    method is handed the job when it is due now (resque-status' custom job classes).
    """
    resque._check_queue(queue)
    epoch = epoch_of(when)
    item = _job_json(resque, job_class, args, queue)  # checks the args before any hook runs
    if not run_hooks(job_class, "before_schedule", args):
        return False
    if epoch <= int(time.time()):
        scheduled = getattr(job_class, "scheduled", None)
        if callable(scheduled):
            scheduled(queue, resque.registry.name_for(job_class), *args)
        else:
            resque.enqueue_to(queue, job_class, *args)
    else:
        delayed_push(resque, epoch, item)
    run_hooks(job_class, "after_schedule", args)
    return True


def delayed_push(resque: Resque, when: When, item: str) -> None:
    """Store an encoded job at ``when``: RPUSH, SADD, ZADD in one MULTI."""
    epoch = epoch_of(when)
    keys = resque.keys
    pipe = resque.redis.pipeline(transaction=True)
    pipe.rpush(keys.delayed(epoch), item)
    pipe.sadd(keys.timestamps(item), keys.delayed_name(epoch))
    pipe.zadd(keys.delayed_schedule, {str(epoch): epoch})
    pipe.execute()


def delay_or_enqueue_at(resque: Resque, when: When, job_class: Any, *args: Any) -> int:
    """Move matching delayed jobs to ``when``, or delay one if none match. Returns the count."""
    count = remove_delayed(resque, job_class, *args) or 1
    for _ in range(count):
        enqueue_at(resque, when, job_class, *args)
    return count


def delay_or_enqueue_in(resque: Resque, seconds: float, job_class: Any, *args: Any) -> int:
    return delay_or_enqueue_at(resque, time.time() + _seconds(seconds), job_class, *args)


# Reading ------------------------------------------------------------------------------
def delayed_queue_peek(resque: Resque, start: int, count: int) -> list[int]:
    """Epochs ``start`` .. ``start + count - 1`` of the schedule, oldest first."""
    if count < 1:
        return []
    raw = resque.redis.zrange(resque.keys.delayed_schedule, start, start + count - 1)
    return [int(float(x)) for x in raw]


def delayed_queue_schedule_size(resque: Resque) -> int:
    """How many timestamps hold jobs (not how many jobs)."""
    return int(resque.redis.zcard(resque.keys.delayed_schedule))


def delayed_timestamp_size(resque: Resque, when: When) -> int:
    return int(resque.redis.llen(resque.keys.delayed(epoch_of(when))))


def delayed_timestamp_peek(resque: Resque, when: When, start: int, count: int) -> list[Any]:
    """Decoded jobs ``start`` .. of one timestamp (undecodable ones as None)."""
    key = resque.keys.delayed(epoch_of(when))
    if count == 1:
        raw = resque.redis.lindex(key, start)
        return [] if raw is None else [_decode(raw)]
    if count < 1:
        return []
    return [_decode(raw) for raw in resque.redis.lrange(key, start, start + count - 1)]


def next_delayed_timestamp(resque: Resque, at_time: When | None = None) -> int | None:
    """The oldest epoch due at ``at_time`` (default now), or None."""
    stop = epoch_of(time.time() if at_time is None else at_time)
    found = resque.redis.zrangebyscore(resque.keys.delayed_schedule, "-inf", stop, start=0, num=1)
    return int(float(found[0])) if found else None


def next_item_for_timestamp(resque: Resque, when: When) -> Any:
    """Take the first job of a timestamp (LPOP, SREM, clean-up in one step); None when empty."""
    epoch = epoch_of(when)
    keys = resque.keys
    raw = _NEXT_ITEM(
        keys=[keys.delayed(epoch), keys.delayed_schedule],
        args=[epoch, keys.timestamps_prefix, keys.delayed_name(epoch)],
        client=resque.redis,
    )
    return None if raw is None else _decode(raw)


def count_all_scheduled_jobs(resque: Resque) -> int:
    """Every delayed job: one pipelined LLEN per timestamp, in chunks."""
    total = 0
    for chunk in _epoch_chunks(resque, 1000):
        pipe = resque.redis.pipeline(transaction=False)
        for epoch in chunk:
            pipe.llen(resque.keys.delayed(epoch))
        total += sum(int(n) for n in pipe.execute())
    return total


def find_delayed_selection(resque: Resque, selector: Selector, job_class: Any = None) -> list[str]:
    """Encoded delayed jobs (of ``job_class`` when given) whose args ``selector`` accepts."""
    if not callable(selector):
        raise TypeError("please supply a selector: a callable taking a job's args")
    name = None if job_class is None else resque.registry.name_for(job_class)
    found: list[str] = []
    for chunk in _epoch_chunks(resque, _CHUNK):
        pipe = resque.redis.pipeline(transaction=False)
        for epoch in chunk:
            pipe.lrange(resque.keys.delayed(epoch), 0, -1)
        for raws in pipe.execute():
            for raw in raws:
                job = _decode(raw)
                if not isinstance(job, dict) or (name is not None and job.get("class") != name):
                    continue
                if selector(job.get("args")):
                    found.append(raw)
    return found


def scheduled_at(resque: Resque, job_class: Any, *args: Any) -> list[int]:
    """The epochs a job (class, args, class's queue) is delayed to."""
    members = resque.redis.smembers(resque.keys.timestamps(_job_json(resque, job_class, args)))
    return sorted(int(m[len(DELAYED_PREFIX) :]) for m in members if m.startswith(DELAYED_PREFIX))


def is_delayed(resque: Resque, job_class: Any, *args: Any) -> bool:
    """Ruby's ``Resque.delayed?``."""
    return bool(scheduled_at(resque, job_class, *args))


def last_enqueued_at(resque: Resque, schedule_name: str, when: str) -> None:
    resque.redis.hset(resque.keys.delayed_last_enqueued_at, schedule_name, when)


def get_last_enqueued_at(resque: Resque, schedule_name: str) -> str | None:
    return resque.redis.hget(resque.keys.delayed_last_enqueued_at, schedule_name)


# Removing -----------------------------------------------------------------------------
def remove_delayed(resque: Resque, job_class: Any, *args: Any) -> int:
    """Remove every delayed copy of the job (class, exactly these args, the class's queue)."""
    return remove_delayed_job(resque, _job_json(resque, job_class, args))


def remove_delayed_in_queue(resque: Resque, job_class: Any, queue: str, *args: Any) -> int:
    return remove_delayed_job(resque, _job_json(resque, job_class, args, queue))


def remove_delayed_job(resque: Resque, encoded_job: str) -> int:
    """Remove an encoded job from every timestamp its ``timestamps:`` set names, in one step."""
    keys = resque.keys
    return int(
        _REMOVE_JOB(
            keys=[keys.timestamps(encoded_job), keys.delayed_schedule],
            args=[encoded_job, keys.prefix, DELAYED_PREFIX],
            client=resque.redis,
        )
    )


def remove_delayed_selection(resque: Resque, selector: Selector, job_class: Any = None) -> int:
    """Remove the delayed jobs ``find_delayed_selection`` finds; returns how many."""
    found = dict.fromkeys(find_delayed_selection(resque, selector, job_class))
    return sum(remove_delayed_job(resque, raw) for raw in found)


def remove_delayed_job_from_timestamp(
    resque: Resque, when: When, job_class: Any, *args: Any
) -> int:
    """Remove the job from one timestamp only; returns how many copies went."""
    epoch = epoch_of(when)
    keys = resque.keys
    encoded = _job_json(resque, job_class, args)
    return int(
        _REMOVE_FROM_TIMESTAMP(
            keys=[keys.delayed(epoch), keys.delayed_schedule, keys.timestamps(encoded)],
            args=[encoded, epoch, keys.delayed_name(epoch)],
            client=resque.redis,
        )
    )


def clean_up_timestamp(resque: Resque, when: When) -> None:
    """Drop a timestamp whose list is empty (DEL the list, ZREM the epoch) in one step."""
    epoch = epoch_of(when)
    _CLEAN_UP(
        keys=[resque.keys.delayed(epoch), resque.keys.delayed_schedule],
        args=[epoch],
        client=resque.redis,
    )


def reset_delayed_queue(resque: Resque) -> None:
    """Delete every delayed job, its ``timestamps:`` sets and the schedule (in chunks)."""
    keys = resque.keys
    for chunk in _epoch_chunks(resque, _CHUNK):
        pipe = resque.redis.pipeline(transaction=False)
        for epoch in chunk:
            pipe.lrange(keys.delayed(epoch), 0, -1)
        lists = pipe.execute()
        pipe = resque.redis.pipeline(transaction=False)
        for epoch, raws in zip(chunk, lists):
            pipe.delete(keys.delayed(epoch), *{keys.timestamps(raw) for raw in raws})
        pipe.execute()
    resque.redis.delete(keys.delayed_schedule)


# Enqueueing now -----------------------------------------------------------------------
def enqueue_delayed(resque: Resque, job_class: Any, *args: Any) -> int:
    """Remove the delayed copies of a job and enqueue each now; returns how many."""
    hash_ = {"class": resque.registry.name_for(job_class), "args": list(args)}
    hash_["queue"] = class_queue(job_class)
    count = remove_delayed(resque, job_class, *args)
    for _ in range(count):
        enqueue_from_config(resque, hash_)
    return count


def enqueue_delayed_with_queue(resque: Resque, job_class: Any, queue: str, *args: Any) -> int:
    hash_ = {"class": resque.registry.name_for(job_class), "args": list(args), "queue": queue}
    count = remove_delayed_in_queue(resque, job_class, queue, *args)
    for _ in range(count):
        enqueue_from_config(resque, hash_)
    return count


def enqueue_from_config(resque: Resque, config: dict[str, Any]) -> bool:
    """Enqueue a job described as a schedule entry or delayed item is, as Ruby's scheduler
    does (see :mod:`.plan`). False when a hook said no; PlanError when it cannot be enqueued."""
    done = plan(config, Resolver(resque.registry))
    if done.item is not None:
        resque.push_raw(done.queue, done.item)
    finish(done)
    return done.item is not None or bool(done.after)


# Helpers ------------------------------------------------------------------------------
def _decode(raw: str) -> Any:
    try:
        return jsonp.decode(raw)
    except jsonp.PayloadError:
        return None


def _epoch_chunks(resque: Resque, size: int) -> Iterator[list[int]]:
    """The schedule's epochs, ``size`` at a time (ZRANGE by rank, never the whole set)."""
    start = 0
    while True:
        raw = resque.redis.zrange(resque.keys.delayed_schedule, start, start + size - 1)
        if not raw:
            return
        yield [int(float(x)) for x in raw]
        if len(raw) < size:
            return
        start += size
