"""The Resque connection a running job belongs to: Ruby's ``Resque.redis`` for plugins.

Ruby plugins (resque-retry, resque-status) reach Redis through the global ``Resque``. A
Python hook has no global to use: the worker binds its own connection here for as long as
it runs (a forked child binds a fresh one on first use), and plugins ask :func:`current`.
Outside a worker, :func:`using` binds one for a block; with nothing bound it is
:func:`resque_web.default` (``$REDIS_URL``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from .client import Resque, default

_provider: ContextVar[Callable[[], Resque] | None] = ContextVar("resque_web_current", default=None)


def current() -> Resque:
    """The connection of the job running in this process (or the default one)."""
    provider = _provider.get()
    return provider() if provider is not None else default()


def bind(resque: Resque | Callable[[], Resque]) -> None:
    """Make ``resque`` (or what the callable returns on each ask) :func:`current` from now on."""
    _provider.set(resque if callable(resque) else (lambda: resque))


@contextlib.contextmanager
def using(resque: Resque | Callable[[], Resque]) -> Iterator[Resque]:
    """Bind ``resque`` for the duration of a block (tests, scripts, a thread of one's own)."""
    token = _provider.set(resque if callable(resque) else (lambda: resque))
    try:
        yield current()
    finally:
        _provider.reset(token)
