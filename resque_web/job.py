"""A job: one queue item, its code, and Resque's perform hooks.

The same object serves the worker (``perform``) and the dashboard (``display_class``,
``display_args``), so both read a payload the same way, including broken ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import payload as jsonp
from .errors import BadPayload, DontPerform
from .registry import JobRegistry
from .registry import registry as default_registry

# Rails' ActiveJob enqueues every job under this wrapper; resque-web shows the wrapped class.
ACTIVE_JOB_WRAPPER = "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"

HOOK_PREFIXES = ("before_perform", "after_perform", "around_perform", "on_failure")


def display_class_of(payload: Any) -> str:
    """The class a person thinks of for a decoded payload: ActiveJob's wrapped class, as
    resque-web shows it. A function as well as :attr:`Job.display_class`, so the failure
    index can read it from 100,000 records without building a Job for each."""
    if not isinstance(payload, dict):
        return "(unknown)"
    name = payload.get("class")
    if name == ACTIVE_JOB_WRAPPER:
        args = payload.get("args")
        first = args[0] if isinstance(args, list) and args else None
        if isinstance(first, dict) and isinstance(first.get("job_class"), str):
            return first["job_class"]
    return name if isinstance(name, str) and name else "(unknown)"


def hooks(target: Any, prefix: str) -> list[Callable[..., Any]]:
    """Every method named ``<prefix>*`` on the job, sorted by name, as Resque's plugins do."""
    if isinstance(target, type):
        names = _class_hook_names(target, prefix)
    else:
        names = _hook_names(target, prefix)
    return [getattr(target, n) for n in names]


def _hook_names(target: Any, prefix: str) -> tuple[str, ...]:
    return tuple(n for n in sorted(dir(target)) if n.startswith(prefix))


# What a job class needs to be performed, found once per class: ``dir()`` on every job costs
# more than a small job. Plain dicts rather than ``lru_cache``, whose every hit rewrites its
# links: in a forked child each page written is a copy (see worker/forkserver.py).
_CACHE_LIMIT = 1024
_class_hooks: dict[type, dict[str, tuple[str, ...]]] = {}
_perform_is_method: dict[type, bool] = {}


def _class_hook_names(cls: type, prefix: str) -> tuple[str, ...]:
    found = _class_hooks.get(cls)
    if found is None:
        if len(_class_hooks) >= _CACHE_LIMIT:
            _class_hooks.clear()
        found = _class_hooks[cls] = {}
    names = found.get(prefix)
    if names is None:
        names = found[prefix] = _hook_names(cls, prefix)
    return names


def warm(target: Any) -> None:
    """Look up and cache what performing ``target`` needs (its hooks; whether it is
    instantiated): a forking worker does it once per class, so that no child does it again."""
    for prefix in HOOK_PREFIXES:
        hooks(target, prefix)
    _needs_instance(target)


def _needs_instance(target: Any) -> bool:
    """A class whose ``perform`` is a plain method is instantiated once per job."""
    if not isinstance(target, type):
        return False
    found = _perform_is_method.get(target)
    if found is None:
        if len(_perform_is_method) >= _CACHE_LIMIT:
            _perform_is_method.clear()
        static = inspect.getattr_static(target, "perform", None)
        found = static is not None and not isinstance(static, (staticmethod, classmethod))
        _perform_is_method[target] = found
    return found


class Job:
    """One queue item. ``payload`` is the decoded JSON; ``raw`` the exact stored string."""

    __slots__ = ("_args", "_class_name", "_raw", "error", "payload", "queue")

    def __init__(self, queue: str, payload: Any, raw: str | None = None) -> None:
        self.queue = queue
        self.payload = payload
        self._raw = raw  # encoded on first use: most readers only want class and args
        self.error: str | None = None
        self._class_name: str | None = None
        self._args: list[Any] = []
        if not isinstance(payload, dict):
            self.error = f"the payload is a JSON {type(payload).__name__}, not an object"
            return
        name, args = payload.get("class"), payload.get("args", [])
        if not isinstance(name, str) or not name:
            self.error = 'the payload has no "class" string'
        elif not isinstance(args, list):
            self.error = f'the payload\'s "args" is a {type(args).__name__}, not a list'
        self._class_name = name if isinstance(name, str) else None
        self._args = args if isinstance(args, list) else []

    @classmethod
    def from_raw(cls, queue: str, raw: str | bytes) -> Job:
        """Wrap a stored item; never raises, so one bad item cannot break a page or a worker."""
        text = jsonp.to_text(raw)
        try:
            decoded = jsonp.decode(raw)
        except jsonp.PayloadError as exc:
            job = cls(queue, None, text)
            job.error = str(exc)
            return job
        return cls(queue, decoded, text)

    # What it is -------------------------------------------------------------
    @property
    def raw(self) -> str:
        """The exact stored string (for a payload built in Python, Ruby's encoding of it)."""
        if self._raw is None:
            self._raw = jsonp.encode(self.payload, "payload")
        return self._raw

    @property
    def class_name(self) -> str | None:
        return self._class_name

    @property
    def args(self) -> list[Any]:
        return self._args

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def display_class(self) -> str:
        """The class a person thinks of: ActiveJob's wrapped class, as resque-web shows it."""
        return display_class_of(self.payload)

    @property
    def display_args(self) -> list[Any]:
        wrapped = self._active_job()
        if wrapped and isinstance(wrapped.get("arguments"), list):
            return wrapped["arguments"]
        return self._args

    def _active_job(self) -> dict[str, Any] | None:
        if self._class_name != ACTIVE_JOB_WRAPPER or not self._args:
            return None
        first = self._args[0]
        return first if isinstance(first, dict) else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and (self.queue, self.raw) == (other.queue, other.raw)

    def __hash__(self) -> int:
        return hash((self.queue, self.raw))

    def __repr__(self) -> str:
        return f"Job(queue={self.queue!r}, raw={self.raw[:80]!r})"

    # Running it -------------------------------------------------------------
    def resolve(self, registry: JobRegistry | None = None) -> Any:
        """The code behind this job; raises BadPayload or UnknownJobClass with a clear reason."""
        if self.error:
            raise BadPayload(f"cannot perform {self.raw[:200]!r}: {self.error}")
        return (registry or default_registry).resolve(self._class_name or "")

    def perform(self, registry: JobRegistry | None = None) -> bool:
        """Run the job with its hooks. False when a ``before_perform`` hook skipped it.

        Order as in Resque: before hooks, around hooks wrapping perform, after hooks. An
        exception runs the ``on_failure`` hooks and propagates to the worker.
        """
        target = self.resolve(registry)
        if _needs_instance(target):
            target = target()
        args = list(self._args)
        try:
            for hook in hooks(target, "before_perform"):
                hook(*args)
        except DontPerform:
            return False
        run: Callable[..., Any] = getattr(target, "perform", None) or target
        around = hooks(target, "around_perform")
        try:
            if around:
                call: Callable[[], Any] = lambda: run(*args)  # noqa: E731
                for hook in reversed(around):
                    call = (lambda h, inner: lambda: h(inner, *args))(hook, call)
                call()
            else:  # no closures to build: most jobs, and each object is a page in a child
                run(*args)
            for hook in hooks(target, "after_perform"):
                hook(*args)
        except DontPerform:
            return False
        except BaseException as exc:
            self.run_failure_hooks(exc, target)
            raise
        return True

    def run_failure_hooks(self, exc: BaseException, target: Any = None) -> None:
        """Call ``on_failure*`` hooks; a hook that raises must not hide the job's own error."""
        if target is None:
            try:
                target = self.resolve()
            except Exception:
                return
        for hook in hooks(target, "on_failure"):
            try:
                hook(exc, *self._args)
            except Exception:
                continue
