"""What enqueueing a scheduled or delayed job means, decided before anything is written.

Ruby's scheduler turns ``{"class":..,"args":..,"queue":..}`` into ``Resque.enqueue_to(queue,
klass, *params)`` when it can load the class (running ``before_schedule*``,
``before_delayed_enqueue*`` and the enqueue hooks), else ``Resque::Job.create`` (no hooks).
A :class:`Plan` holds the outcome (the queue and the exact item to push) so the push itself
can be one atomic script that also removes the delayed copy; :func:`finish` runs the hooks
that come after the push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import payload as jsonp
from ..job import hooks
from ..registry import JobRegistry


class PlanError(ValueError):
    """A job that cannot be enqueued (no class, no queue, args JSON cannot carry)."""


@dataclass
class Plan:
    """Push ``item`` onto ``queue`` (``item`` None: a hook refused, or ``scheduled`` takes it)."""

    queue: str
    item: str | None
    class_name: str
    params: list[Any]
    job_class: Any = None
    after: list[Callable[[], Any]] = field(default_factory=list)


def config_params(args: Any) -> list[Any]:
    """Ruby's ``args.is_a?(Hash) ? [args] : Array(args)``."""
    if isinstance(args, dict):
        return [args]
    if args is None:
        return []
    if isinstance(args, (list, tuple)):
        return list(args)
    return [args]


def class_queue(job_class: Any) -> str | None:
    """A job class's own ``queue`` (Ruby's ``queue_from_class``); None for a bare name."""
    queue = None if isinstance(job_class, str) else getattr(job_class, "queue", None)
    return queue if isinstance(queue, str) and queue else None


def run_hooks(job_class: Any, prefix: str, args: tuple) -> bool:
    """Every ``<prefix>*`` hook runs; False when any returned False (Ruby's ``run_hooks``)."""
    if job_class is None or isinstance(job_class, str):
        return True
    results = [hook(*args) for hook in hooks(job_class, prefix)]
    return all(result is not False for result in results)


class Resolver:
    """Class names to Python jobs, remembered: a drain sees the same few names 100,000 times."""

    def __init__(self, registry: JobRegistry) -> None:
        self.registry = registry
        self._seen: dict[str, Any] = {}

    def __call__(self, name: str) -> Any:
        if name not in self._seen:
            try:
                self._seen[name] = self.registry.resolve(name)
            except Exception:  # unknown names, a module that fails to import: not ours to run
                self._seen[name] = None
        return self._seen[name]


def plan(config: Any, resolve: Resolver) -> Plan:
    """Decide how to enqueue ``config`` (a decoded delayed item or schedule entry); run the
    hooks Ruby runs before the push. Raises :class:`PlanError` naming what is wrong."""
    if not isinstance(config, dict):
        raise PlanError(f"the job is not a JSON object: {config!r:.200}")
    name = config.get("class")
    if not isinstance(name, str) or not name:
        raise PlanError(f"the job has no class: {config!r:.200}")
    params = config_params(config.get("args"))
    job_class = resolve(name)
    queue = config.get("queue") or class_queue(job_class)
    if not isinstance(queue, str) or not queue:
        raise PlanError(f"{name} has no queue (none in the job, none on the class)")
    custom = config.get("custom_job_class")
    if isinstance(custom, str) and custom and custom != "Resque::Job":
        scheduled = getattr(resolve(custom), "scheduled", None)
        if callable(scheduled):
            return _handed_over(queue, name, params, scheduled)
        return Plan(queue, _encode(custom, params), custom, params)
    if job_class is None or not _has_hooks(job_class):
        return Plan(queue, _encode(name, params), name, params)
    args = tuple(params)
    if not run_hooks(job_class, "before_schedule", args):
        return Plan(queue, None, name, params, job_class)
    run_hooks(job_class, "before_delayed_enqueue", args)
    scheduled = getattr(job_class, "scheduled", None)
    if callable(scheduled):
        done = _handed_over(queue, name, params, scheduled, job_class)
        done.after.append(lambda: run_hooks(job_class, "after_schedule", args))
        return done
    item = _encode(name, params) if run_hooks(job_class, "before_enqueue", args) else None
    result = Plan(queue, item, name, params, job_class)
    if item is not None:
        result.after.append(lambda: run_hooks(job_class, "after_enqueue", args))
    result.after.append(lambda: run_hooks(job_class, "after_schedule", args))
    return result


def finish(done: Plan) -> None:
    """After the push: ``scheduled`` hand-overs, ``after_enqueue*``, ``after_schedule*``."""
    for step in done.after:
        step()


_HOOKED = (
    "before_schedule",
    "before_delayed_enqueue",
    "before_enqueue",
    "after_enqueue",
    "after_schedule",
    "scheduled",
)


def _has_hooks(job_class: Any) -> bool:
    return any(hooks(job_class, prefix) for prefix in _HOOKED)


def _handed_over(
    queue: str, name: str, params: list[Any], scheduled: Callable[..., Any], job_class: Any = None
) -> Plan:
    handed = Plan(queue, None, name, params, job_class)
    handed.after.append(lambda: scheduled(queue, name, *params))
    return handed


def _encode(name: str, params: list[Any]) -> str:
    try:
        return jsonp.encode_job(name, params)
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{name}: {exc}") from None
