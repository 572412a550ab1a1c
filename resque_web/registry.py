"""From a payload's ``class`` string to Python code, and back.

Ruby producers name jobs ``Archive`` or ``Billing::Charge``; Python code registers a class or
function under such a name. A name that is not registered is tried as a dotted import path
(``myapp.jobs.Archive``), which is also the name given to unregistered Python classes.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import UnknownJobClass

T = TypeVar("T")


def import_path(obj: Any) -> str:
    """``module.QualName`` of a class or function."""
    return f"{obj.__module__}.{obj.__qualname__}"


class JobRegistry:
    """Maps payload class names to job classes or callables."""

    def __init__(self) -> None:
        self._by_name: dict[str, Any] = {}

    def register(self, name: str | None = None, obj: Any = None) -> Any:
        """Register ``obj`` under ``name``; without ``obj`` this is a decorator.

        ``@registry.register("Billing::Charge")`` on a class or function, or
        ``registry.register("Archive", Archive)``. The name defaults to the import path.
        """

        def add(target: T) -> T:
            key = name or import_path(target)
            self._by_name[key] = target
            # Builtins and bound methods take no attributes; the map still has them.
            with contextlib.suppress(AttributeError, TypeError):
                target.resque_class = key  # type: ignore[attr-defined]
            return target

        return add if obj is None else add(obj)

    def name_for(self, job: Any) -> str:
        """The ``class`` string to store for ``job`` (a class, callable or name)."""
        if isinstance(job, str):
            return job
        explicit = getattr(job, "resque_class", None)
        if isinstance(explicit, str) and explicit:
            return explicit
        return import_path(job)

    def resolve(self, name: str) -> Any:
        """The job registered as ``name``, else the object at that import path."""
        if name in self._by_name:
            return self._by_name[name]
        module_name, _, attr = name.rpartition(".")
        if module_name and "::" not in name:
            try:
                target: Any = importlib.import_module(module_name)
                for part in attr.split("."):
                    target = getattr(target, part)
                return target
            except (ImportError, AttributeError, ValueError):
                pass
        raise UnknownJobClass(
            f"uninitialized constant {name}: no job is registered under this name and it is "
            "not an importable dotted path. Register it with @resque_web.job("
            f"{name!r}) in a module the worker loads with --require"
        )

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name


registry = JobRegistry()


def job(name: str | None = None) -> Callable[[T], T]:
    """Decorator registering a job class or function in the default registry."""
    return registry.register(name)
