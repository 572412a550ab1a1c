"""``resque-web worker``: run a worker, configured as Ruby's ``rake resque:work``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

import click

from ..client import configure
from ..connection import mask_url
from ..options import namespace_option, redis_option
from .config import (
    DEFAULT_INTERVAL,
    FAILURE_BACKENDS,
    HEARTBEAT_INTERVAL,
    PRUNE_INTERVAL,
    TERM_TIMEOUT,
    WorkerConfig,
)
from .log import setup_logging
from .pool import PidFile, Pool, unregisterer
from .process import Worker
from .queue_spec import parse_queue_list


def load_requirement(spec: str) -> None:
    """``--require``: a module name (``myapp.jobs``) or a file (``jobs.py``), as Ruby's ``-r``."""
    if spec.endswith(".py") or os.sep in spec:
        path = Path(spec).resolve()
        if not path.is_file():
            raise click.BadParameter(f"{spec}: no such file", param_hint="--require")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise click.BadParameter(f"{spec}: cannot load it as Python", param_hint="--require")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        module_spec.loader.exec_module(module)
        return
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` would, so `-r myapp.jobs` works
    try:
        importlib.import_module(spec)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {spec}: {exc}", param_hint="--require") from exc


@click.command("worker")
@redis_option
@namespace_option
@click.option(
    "--queues",
    "--queue",
    "-q",
    "queues",
    envvar=["QUEUES", "QUEUE"],
    help="Queues in priority order, e.g. critical,default; * for all (env QUEUES or QUEUE).",
)
@click.option(
    "--interval",
    envvar="INTERVAL",
    type=click.FloatRange(min=0),
    default=DEFAULT_INTERVAL,
    show_default=True,
    help="Seconds to sleep when the queues are empty (env INTERVAL).",
)
@click.option(
    "--require",
    "-r",
    "requires",
    multiple=True,
    help="Module or .py file defining the jobs (repeatable).",
)
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@click.option(
    "--fork/--no-fork",
    "fork",
    envvar="FORK_PER_JOB",
    default=True,
    show_default=True,
    help="Run each job in a forked child (env FORK_PER_JOB=false turns it off).",
)
@click.option("-v", "--verbose", count=True, help="A line per job; -vv for debug.")
@click.option(
    "--failure-backend",
    type=click.Choice(FAILURE_BACKENDS),
    default="redis",
    show_default=True,
    help="Where failures go: the list failed, one list per queue, or failed once a "
    "resque-retry job stops retrying.",
)
@click.option(
    "--term-timeout",
    envvar="RESQUE_TERM_TIMEOUT",
    type=click.FloatRange(min=0),
    default=TERM_TIMEOUT,
    show_default=True,
    help="Seconds a TERM'd child gets before KILL (env RESQUE_TERM_TIMEOUT).",
)
@click.option(
    "--heartbeat-interval",
    type=click.FloatRange(min=0.1),
    default=HEARTBEAT_INTERVAL,
    show_default=True,
    help="Seconds between heartbeats (Ruby: Resque.heartbeat_interval).",
)
@click.option(
    "--prune-interval",
    type=click.FloatRange(min=0),
    default=PRUNE_INTERVAL,
    show_default=True,
    help="Heartbeat age after which a worker is pruned (Ruby: Resque.prune_interval).",
)
@click.option(
    "--count",
    envvar="COUNT",
    type=click.IntRange(min=1, max=512),
    default=1,
    show_default=True,
    help="Run this many workers under one supervisor (Ruby: rake resque:workers COUNT=n).",
)
@click.option(
    "--pidfile",
    envvar="PIDFILE",
    type=click.Path(dir_okay=False),
    help="Write the worker's (or the pool supervisor's) pid here (env PIDFILE).",
)
def worker(
    redis_url: str,
    namespace: str,
    queues: str | None,
    interval: float,
    requires: tuple[str, ...],
    burst: bool,
    fork: bool,
    verbose: int,
    failure_backend: str,
    term_timeout: float,
    heartbeat_interval: float,
    prune_interval: float,
    count: int,
    pidfile: str | None,
) -> None:
    """Take jobs off QUEUES and perform them, as a Ruby Resque worker does."""
    names = parse_queue_list(queues or "")
    if not names:
        raise click.UsageError(
            "give the worker its queues: --queues critical,default (or QUEUE=... in the env)"
        )
    if not hasattr(os, "fork"):
        fork = False
    if os.environ.get("VERBOSE") or os.environ.get("LOGGING"):
        verbose = max(verbose, 1)
    # The jobs it performs use the worker's Redis (StatusJob's statuses, an enqueue from a
    # job), as Ruby's jobs use Resque.redis; a --require'd module may configure its own.
    configure(redis_url, namespace)
    for spec in requires:
        load_requirement(spec)
    config = WorkerConfig(
        queues=tuple(names),
        interval=0.0 if burst else interval,
        fork=fork,
        failure_backend=failure_backend,
        term_timeout=term_timeout,
        heartbeat_interval=heartbeat_interval,
        prune_interval=prune_interval,
        verbose=verbose > 0,
    )
    log = setup_logging(verbose)
    log.info("Redis %s, namespace %s", mask_url(redis_url), namespace)

    def run_one() -> int:
        return Worker(redis_url, namespace, config, log=log).run()

    holder = PidFile(pidfile) if pidfile else None
    if holder is not None:
        try:
            holder.write()
        except (RuntimeError, OSError) as exc:
            raise click.ClickException(f"--pidfile {pidfile}: {exc}") from exc
    try:
        if count == 1:
            sys.exit(run_one())
        cleanup = unregisterer(redis_url, namespace, config.queues, failure_backend, log)
        sys.exit(Pool(count, run_one, cleanup, log, restart_clean_exits=not burst).run())
    finally:
        if holder is not None:
            holder.remove()
