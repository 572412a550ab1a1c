"""``StatusJob``: a job that reports its progress, as ``include Resque::Plugins::Status``.

::

    @resque_web.job("Thumb")
    class Thumb(resque_web.StatusJob):
        queue = "images"

        def perform(self):
            for i in range(8):
                self.at(i + 1, 8, f"resized {i + 1} of 8")
            self.completed(url=f"/thumbs/{self.options['photo']}.png")

    uuid = Thumb.create(photo=4)      # {"class":"Thumb","args":[uuid,{"photo":4}]}

As in Ruby, the worker calls the *class's* ``perform(uuid, options)``, which makes an
instance and runs its ``perform()`` between a ``working`` and a ``completed`` status; an
exception marks the status failed and goes on to the failure backend; a kill request
(``_kill``) stops the job at its next ``at``/``tick`` with the status ``killed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ..client import Resque, default
from ..errors import NoQueueError
from ..failure import error_message
from ..registry import registry
from . import store as status_store
from .record import COMPLETED, FAILED, KILLED, WORKING, Status, to_f
from .ruby import inspect, time_to_s, to_s
from .store import StatusStore

Message = str | dict[str, Any] | None


class Killed(RuntimeError):
    """Raised inside ``perform`` at the ``at``/``tick`` after a kill request."""

    ruby_name = "Resque::Plugins::Status::Killed"


class NotANumber(RuntimeError):
    """``at(num, total)`` with a total that is not a positive number."""

    ruby_name = "Resque::Plugins::Status::NotANumber"


class _Perform(classmethod):
    """``perform`` as Ruby has it twice: on the class, the worker's entry point
    ``perform(uuid, options)``; on an instance, the job's own work, ``self.perform()``.
    A classmethod to the worker, so it calls the class rather than making an instance."""

    def __init__(self, work: Callable[..., Any]) -> None:
        super().__init__(_run)
        self.work = work

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return super().__get__(obj, owner)
        return self.work.__get__(obj, owner)


def _run(cls: type[StatusJob], uuid: str | None = None, options: Any = None) -> StatusJob:
    """Ruby's ``self.perform(uuid = nil, options = {})``."""
    job = cls(uuid or status_store.generate_uuid(), {} if options is None else options)
    job.safe_perform()
    return job


def _not_written(self: StatusJob) -> None:
    raise NotImplementedError(f"{type(self).__name__} must define perform(self)")


class StatusJob:
    """Subclass it, set ``queue`` (default ``statused``, as in Ruby), write ``perform(self)``.

    ``expire_in`` (seconds) makes each status expire that long after its last update, as
    ``Status::Hash.expire_in``; ``resque`` picks the connection (default: the worker's, or
    :func:`resque_web.configure`'s)."""

    queue: ClassVar[str] = "statused"
    expire_in: ClassVar[int | None] = None
    resque: ClassVar[Resque | None] = None

    perform = _Perform(_not_written)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        work = cls.__dict__.get("perform")
        if work is None or isinstance(work, _Perform):
            return
        if isinstance(work, (staticmethod, classmethod)) or not callable(work):
            raise TypeError(f"{cls.__name__}.perform must be a plain method: def perform(self)")
        cls.perform = _Perform(work)  # type: ignore[assignment]

    def __init__(self, uuid: str, options: Any = None) -> None:
        self.uuid = uuid
        self.options: Any = {} if options is None else options
        self._store: StatusStore | None = None

    # Creating ----------------------------------------------------------------------
    @classmethod
    def status_store(cls) -> StatusStore:
        return StatusStore(cls.resque or default(), cls.expire_in)

    @classmethod
    def create(cls, options: dict[str, Any] | None = None, /, **more: Any) -> str | None:
        """Queue a job with ``options`` (a dict and/or keywords); return its uuid, or None
        when a ``before_enqueue`` hook refused it (its status is then removed again)."""
        return cls.enqueue_to(cls.queue_name(), {**(options or {}), **more})

    @classmethod
    def enqueue_to(cls, queue: str, options: dict[str, Any] | None = None) -> str | None:
        """Ruby's ``enqueue_to``: the queued status first, then ``[uuid, options]`` on
        ``queue``."""
        store = cls.status_store()
        uuid = status_store.generate_uuid()
        options = {} if options is None else options
        store.create(uuid, options)
        if store.resque.enqueue_to(queue, cls, uuid, options):
            return uuid
        store.remove(uuid)
        return None

    @classmethod
    def dequeue(cls, uuid: str) -> int:
        """Take a job that has not started off its queue (found by its stored options)."""
        store = cls.status_store()
        status = store.get(uuid)
        options = status.options if status is not None and status.readable else {}
        return store.resque.dequeue(cls, uuid, options, queue=cls.queue_name())

    @classmethod
    def queue_name(cls) -> str:
        if not isinstance(cls.queue, str) or not cls.queue:
            raise NoQueueError(f"{cls.__name__}.queue must be a queue name")
        return cls.queue

    # Inside perform ----------------------------------------------------------------
    @property
    def store(self) -> StatusStore:
        if self._store is None:
            self._store = self.status_store()
        return self._store

    @property
    def status(self) -> Status | None:
        """This job's stored status."""
        return self.store.get(self.uuid)

    @property
    def name(self) -> str:
        """``Thumb({"photo"=>4})``: the class name and the options as Ruby inspects them."""
        shown = "" if not self.options else inspect(self.options)
        return f"{registry.name_for(type(self))}({shown})"

    def at(self, num: Any, total: Any, *messages: Message, **extra: Any) -> None:
        """Progress: ``num`` of ``total`` done (and a message). Stops here if killed."""
        if to_f(total) <= 0.0:
            raise NotANumber(f"Called at() with total={to_s(total)} which is not a number")
        self.tick({"num": num, "total": total}, *messages, **extra)

    def tick(self, *messages: Message, **extra: Any) -> None:
        """A sign of life (and a message). Stops here if killed."""
        current, kill = self.store.current(self.uuid)
        if kill:
            self._set_status(
                current, {"status": KILLED, "message": f"Killed at {time_to_s(status_store.now())}"}
            )
            raise Killed(self.uuid)
        self._set_status(current, {"status": WORKING}, *messages, extra)

    def completed(self, *messages: Message, **extra: Any) -> None:
        """Done; ``extra`` keys (``url=...``) are stored for whoever polls the status."""
        done = {"status": COMPLETED, "message": f"Completed at {time_to_s(status_store.now())}"}
        self._set_status(self._current(), done, *messages, extra)

    def failed(self, *messages: Message, **extra: Any) -> None:
        """Mark the status failed without raising (the job itself counts as performed)."""
        self._set_status(self._current(), {"status": FAILED}, *messages, extra)

    # Running -----------------------------------------------------------------------
    def safe_perform(self) -> None:
        """Ruby's ``safe_perform!``: working, perform, then completed unless the job said
        otherwise. A kill ends quietly; an exception marks the status failed and goes on
        to the worker (and its failure backend)."""
        try:
            self._set_status(self._current(), {"status": WORKING})
            self.perform()
            status = self.status
            if status is not None and status.status != FAILED and status.status != COMPLETED:
                self.completed()
        except Killed:
            self.store.killed(self.uuid)
        except Exception as exc:
            self.failed(f"The task failed because of an error: {error_message(exc)}")
            raise

    def _current(self) -> dict[str, Any] | None:
        return self.store.current(self.uuid)[0]

    def _set_status(self, current: dict[str, Any] | None, *messages: Message) -> None:
        self.store.set(self.uuid, current, {"name": self.name}, *messages)
