"""``Retry`` and ``ExponentialBackoff``: resque-retry 1.8's job mixins, in Python.

A job class inherits one and sets resque-retry's settings as class attributes::

    @resque_web.job("DeliverWebHook")
    class DeliverWebHook(resque_web.Retry):
        queue = "web_hooks"
        retry_limit = 8
        retry_delay = 60

The hooks (``before_perform_retry``, ``after_perform_retry``, ``on_failure_retry``) join
the job's own by name, as Ruby's do, and keep exactly Ruby's Redis state: the attempt key
``resque-retry:<class>:<sha1 of args>`` (``SETNX -1``, then ``INCR`` before each attempt,
deleted on success or when giving up), a retry with delay 0 re-enqueued at once, any other
through resque-scheduler's delayed queue. So a Ruby worker retries what a Python worker
started and the other way round.

The attempt number lives on the class while a job runs (``retry_attempt``), as Ruby keeps
it in the class's ``@retry_attempt``: a worker runs one job at a time per process.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ..context import current
from ..errors import DirtyExit, ResqueError
from ..keys import Keys
from ..registry import registry
from .identifier import retry_identifier, ruby_to_s

log = logging.getLogger("resque_web.retry")

ExceptionTypes = Sequence[type[BaseException]]
Delay = float | Sequence[float]
Check = Callable[..., Any]


class AmbiguousRetryStrategy(ResqueError):
    """Both ``retry_exceptions`` and ``fatal_exceptions`` are set (Ruby:
    ``AmbiguousRetryStrategyException``): say which exceptions retry, or which do not."""


class InvalidRetryDelayMultiplicand(ResqueError):
    """``retry_delay_multiplicand_min`` is above ``retry_delay_multiplicand_max``."""


class Retry:
    """Retry a failed job up to ``retry_limit`` times, ``retry_delay`` seconds apart.

    Settings (class attributes, resque-retry's names and defaults):

    - ``retry_limit``: retries after the first attempt; 0 never retries, below 0 retries
      forever. Default 1, or the longest delay list in a ``retry_exceptions`` mapping.
    - ``retry_delay``: seconds before a retry (0: re-enqueued at once).
    - ``retry_exceptions``: only these retry; a list, or a mapping exception -> delay
      (or -> delays by attempt, the last repeating). A subclass uses its closest entry.
    - ``fatal_exceptions``: these never retry (set this or ``retry_exceptions``).
    - ``ignore_exceptions``: these retry without counting an attempt.
    - ``expire_retry_key_after``: seconds the attempt key outlives the next delay.
    - ``retry_job_delegate``: retry as another job class (or a class name).
    - ``retry_queue``: the queue to retry on (default: the retried class's ``queue``).
    - ``sleep_after_requeue``: seconds the worker sleeps after re-enqueueing.
    - ``retry_criteria_checks``, ``try_again_callbacks``, ``give_up_callbacks``:
      callables ``(exception, *args)``; a check returning true retries an exception the
      lists above would not.

    Override ``retry_args(*args)`` (or ``retry_args_for_exception``) to retry with other
    arguments, ``retry_identifier(*args)`` for a key of your own, ``retry_delay_for`` and
    ``retry_queue_for`` for delays and queues computed per failure.
    """

    retry_limit: ClassVar[int | None] = None
    retry_delay: ClassVar[float] = 0
    retry_exceptions: ClassVar[ExceptionTypes | Mapping[type[BaseException], Delay] | None] = None
    fatal_exceptions: ClassVar[ExceptionTypes | None] = None
    ignore_exceptions: ClassVar[ExceptionTypes] = ()
    expire_retry_key_after: ClassVar[float | None] = None
    retry_job_delegate: ClassVar[Any] = None
    retry_queue: ClassVar[str | None] = None
    sleep_after_requeue: ClassVar[float] = 0
    retry_criteria_checks: ClassVar[Sequence[Check]] = ()
    try_again_callbacks: ClassVar[Sequence[Check]] = ()
    give_up_callbacks: ClassVar[Sequence[Check]] = ()

    # Set by the hooks while a job runs: 0 on the first attempt, n on the n-th retry.
    retry_attempt: ClassVar[int] = 0
    _retry_failure_handled: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Fail when the class is defined, not when a job first fails (Ruby: ``extended``)."""
        super().__init_subclass__(**kwargs)
        if cls.retry_exceptions is not None and cls.fatal_exceptions is not None:
            raise AmbiguousRetryStrategy(
                f"{cls.__qualname__}: set retry_exceptions or fatal_exceptions, not both"
            )

    # Identity -----------------------------------------------------------------------
    @classmethod
    def retry_identifier(cls, *args: Any) -> str | None:
        """What tells this job's attempts from another's: by default the SHA-1 of the
        arguments joined as Ruby joins them. Override for long or unusual arguments."""
        return retry_identifier(args)

    @classmethod
    def redis_retry_key(cls, *args: Any) -> str:
        """The bare attempt-key name (``resque-retry:<class>:<identifier>``), as Ruby's."""
        identifier = cls.retry_identifier(*args)
        name = registry.name_for(cls)
        return Keys.retry_name(name, None if identifier is None else ruby_to_s(identifier))

    # Settings as resque-retry computes them ------------------------------------------
    @classmethod
    def effective_retry_limit(cls) -> int:
        if cls.retry_limit is not None:
            return cls.retry_limit
        limit = 1
        if isinstance(cls.retry_exceptions, Mapping):
            for delay in cls.retry_exceptions.values():
                if _is_sequence(delay):
                    limit = max(limit, len(delay))
        return limit

    @classmethod
    def retry_delay_for(
        cls, exception_class: type[BaseException] | None = None, *args: Any
    ) -> float:
        """Seconds to wait before retrying after ``exception_class``, at the current attempt."""
        mapping = cls.retry_exceptions
        if exception_class is None or not isinstance(mapping, Mapping):
            return cls.retry_delay
        delay: Delay = 0
        for klass in exception_class.__mro__:  # the exception's own entry, else the closest
            if klass in mapping:
                delay = mapping[klass]
                break
        if _is_sequence(delay):
            if not delay:
                return 0
            attempt = cls.retry_attempt
            return delay[attempt] if -len(delay) <= attempt < len(delay) else delay[-1]
        return delay

    @classmethod
    def retry_queue_for(cls, exception: BaseException, *args: Any) -> str | None:
        """The queue a retry goes to; None: the retried class's own ``queue``."""
        return cls.retry_queue

    @classmethod
    def retry_args(cls, *args: Any) -> list[Any]:
        """The arguments to retry with (the same ones, unless overridden)."""
        return list(args)

    @classmethod
    def retry_args_for_exception(cls, exception: BaseException, *args: Any) -> list[Any]:
        return cls.retry_args(*args)

    @classmethod
    def retry_exception(cls, exception: BaseException) -> bool:
        """May this exception be retried at all (Ruby: ``retry_exception?``)?"""
        retryable, fatal = cls.retry_exceptions, cls.fatal_exceptions
        if retryable is None and fatal is None:
            return True
        if fatal is None:
            return isinstance(exception, tuple(retryable or ()))
        return not isinstance(exception, tuple(fatal))

    @classmethod
    def retry_limit_reached(cls) -> bool:
        limit = cls.effective_retry_limit()
        if limit == 0:
            return True
        return limit > 0 and cls.retry_attempt >= limit

    @classmethod
    def retry_criteria_valid(cls, exception: BaseException, *args: Any) -> bool:
        if cls.retry_limit_reached():
            return False
        if cls.retry_exception(exception):
            return True
        return any(bool(check(exception, *args)) for check in cls.retry_criteria_checks)

    # Hooks: run by the worker with the job's own --------------------------------------
    @classmethod
    def before_perform_retry(cls, *args: Any) -> None:
        """Count this attempt: ``SETNX -1`` then ``INCR`` (0 on the first run)."""
        resque = current()
        key = resque.keys.retry_attempts(cls.redis_retry_key(*args))
        cls._retry_failure_handled = False
        pipe = resque.redis.pipeline(transaction=False)
        pipe.setnx(key, -1)
        pipe.incr(key)
        cls.retry_attempt = int(pipe.execute()[1])
        if cls.expire_retry_key_after is not None:
            ttl = cls.retry_delay_for(None, *args) + cls.expire_retry_key_after
            resque.redis.expire(key, max(1, math.ceil(ttl)))

    @classmethod
    def after_perform_retry(cls, *args: Any) -> None:
        """It worked: forget the attempts."""
        cls.clean_retry_key(*args)

    @classmethod
    def on_failure_retry(cls, exception: BaseException, *args: Any) -> None:
        """Retry or give up. A job whose process died (``DirtyExit``) is judged in the
        worker, which reads the attempt from Redis as Ruby does."""
        resque = current()
        key = resque.keys.retry_attempts(cls.redis_retry_key(*args))
        if isinstance(exception, DirtyExit):
            cls.retry_attempt = _to_i(resque.redis.get(key))
        elif cls._retry_failure_handled:
            return
        if type(exception) in tuple(cls.ignore_exceptions):
            cls.retry_attempt = int(resque.redis.decr(key))
        try:
            if cls.retry_criteria_valid(exception, *args):
                cls.try_again(exception, *args)
            else:
                cls.give_up(exception, *args)
        except Exception:
            # Without this the attempt key would stay and the failure backend would think
            # the job is being retried: it would be lost instead of recorded.
            log.exception("%s: could not retry; recording the failure", cls.__qualname__)
            cls.clean_retry_key(*args)
            raise
        finally:
            cls._retry_failure_handled = True

    # What retrying and giving up do --------------------------------------------------
    @classmethod
    def try_again(cls, exception: BaseException, *args: Any) -> None:
        """Enqueue the retry: at once when the delay is 0, else on the delayed queue."""
        for callback in cls.try_again_callbacks:
            callback(exception, *args)
        resque = current()
        delay = cls.retry_delay_for(type(exception), *args)
        job_class = cls.retry_job_delegate or cls
        queue = cls.retry_queue_for(exception, *args) or resque.queue_for(job_class)
        resque.redis.setnx(resque.keys.retry_attempts(cls.redis_retry_key(*args)), -1)
        retry_args = cls.retry_args_for_exception(exception, *args)
        if delay <= 0:
            resque.enqueue_to(queue, job_class, *retry_args)
        else:
            resque.enqueue_in_with_queue(queue, delay, job_class, *retry_args)
        if cls.retry_job_delegate:
            cls.clean_retry_key(*args)
        if cls.sleep_after_requeue > 0:
            time.sleep(cls.sleep_after_requeue)

    @classmethod
    def give_up(cls, exception: BaseException, *args: Any) -> None:
        for callback in cls.give_up_callbacks:
            callback(exception, *args)
        cls.clean_retry_key(*args)

    @classmethod
    def clean_retry_key(cls, *args: Any) -> None:
        resque = current()
        resque.redis.delete(resque.keys.retry_attempts(cls.redis_retry_key(*args)))


class ExponentialBackoff(Retry):
    """Retry with growing delays: ``backoff_strategy[n]`` seconds before the n-th retry
    (the last one repeating), each multiplied by a random factor between
    ``retry_delay_multiplicand_min`` and ``_max`` (both 1.0: no jitter). The limit
    defaults to the number of delays."""

    backoff_strategy: ClassVar[Sequence[float]] = (0, 60, 600, 3600, 10_800, 21_600)
    retry_delay_multiplicand_min: ClassVar[float] = 1.0
    retry_delay_multiplicand_max: ClassVar[float] = 1.0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.retry_delay_multiplicand_min > cls.retry_delay_multiplicand_max:
            raise InvalidRetryDelayMultiplicand(
                f"{cls.__qualname__}: retry_delay_multiplicand_min must be less than or "
                "equal to retry_delay_multiplicand_max"
            )

    @classmethod
    def effective_retry_limit(cls) -> int:
        return cls.retry_limit if cls.retry_limit is not None else len(cls.backoff_strategy)

    @classmethod
    def retry_delay_for(
        cls, exception_class: type[BaseException] | None = None, *args: Any
    ) -> float:
        strategy, attempt = cls.backoff_strategy, cls.retry_attempt
        if not strategy:
            return 0
        delay = strategy[attempt] if -len(strategy) <= attempt < len(strategy) else strategy[-1]
        low, high = cls.retry_delay_multiplicand_min, cls.retry_delay_multiplicand_max
        factor = high if low == high else random.uniform(low, high)
        return int(delay * factor)


def _is_sequence(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _to_i(value: object) -> int:
    """Ruby's ``String#to_i`` of a stored counter: leading digits, else 0."""
    text = str(value or "").strip()
    sign = -1 if text.startswith("-") else 1
    digits = ""
    for char in text.lstrip("+-"):
        if not char.isdigit():
            break
        digits += char
    return sign * int(digits) if digits else 0
