"""``resque-web scheduler``: the scheduler process, configured as Ruby's rake resque:scheduler."""

from __future__ import annotations

import logging
import os

import click
import redis

from ..client import Resque
from ..connection import connect, mask_url
from ..options import namespace_option, redis_option
from ..worker.command import load_requirement
from ..worker.log import console_logger
from .lock import DEFAULT_TIMEOUT
from .mover import DEFAULT_BATCH
from .process import DEFAULT_INTERVAL, LOGGER_NAME, Scheduler


def setup_logging(verbosity: int) -> logging.Logger:
    """Master changes, summaries and errors always; ``-v`` a line per enqueue."""
    return console_logger(LOGGER_NAME, "%(asctime)s %(message)s", verbose=verbosity > 0)


def raw_client(client: redis.Redis) -> redis.Redis:
    """A client on the same server that returns bytes: jobs are compared byte for byte."""
    kwargs = dict(client.connection_pool.connection_kwargs)
    kwargs.update(decode_responses=False, encoding_errors="strict")
    pool = client.connection_pool.__class__(
        connection_class=client.connection_pool.connection_class, **kwargs
    )
    return redis.Redis(connection_pool=pool)


@click.command("scheduler")
@redis_option
@namespace_option
@click.option(
    "--schedule",
    "schedule_file",
    envvar="RESQUE_SCHEDULE_FILE",
    type=click.Path(dir_okay=False),
    help="A resque-scheduler YAML schedule of recurring jobs (env RESQUE_SCHEDULE_FILE).",
)
@click.option(
    "--interval",
    envvar="RESQUE_SCHEDULER_INTERVAL",
    type=click.FloatRange(min=0.01),
    default=DEFAULT_INTERVAL,
    show_default=True,
    help="Seconds between polls (env RESQUE_SCHEDULER_INTERVAL, as Ruby's).",
)
@click.option(
    "--lock-prefix",
    envvar="RESQUE_SCHEDULER_MASTER_LOCK_PREFIX",
    default="",
    help="Master lock key prefix (env RESQUE_SCHEDULER_MASTER_LOCK_PREFIX, as Ruby's).",
)
@click.option(
    "--lock-timeout",
    envvar="LOCK_TIMEOUT",
    type=click.IntRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds the master lock lives unrenewed (env LOCK_TIMEOUT, as Ruby's).",
)
@click.option(
    "--batch-size",
    envvar="DELAYED_REQUEUE_BATCH_SIZE",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Delayed jobs moved per atomic step (env DELAYED_REQUEUE_BATCH_SIZE).",
)
@click.option(
    "--require",
    "-r",
    "requires",
    multiple=True,
    help="Import a module or file first, so its job classes' hooks run (repeatable).",
)
@click.option("-v", "--verbose", count=True, help="A line per enqueued job.")
def scheduler(
    redis_url: str,
    namespace: str,
    schedule_file: str | None,
    interval: float,
    lock_prefix: str,
    lock_timeout: int,
    batch_size: int,
    requires: tuple[str, ...],
    verbose: int,
) -> None:
    """Move due delayed jobs onto their queues and enqueue recurring jobs, as Ruby's
    resque-scheduler does (and beside it: one master lock for both)."""
    if schedule_file is not None and not os.path.isfile(schedule_file):
        raise click.BadParameter(
            f"{schedule_file}: no such file (give a resque-scheduler YAML schedule)",
            param_hint="--schedule",
        )
    for spec in requires:
        load_requirement(spec)
    log = setup_logging(verbose)
    client = connect(redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise click.ClickException(
            f"cannot reach Redis at {mask_url(redis_url)}: {exc}. Start it, or pass --redis URL."
        ) from exc
    resque = Resque(client, namespace)
    process = Scheduler(
        resque,
        raw_client(client),
        schedule_file,
        interval=interval,
        lock_prefix=lock_prefix,
        lock_timeout=lock_timeout,
        batch_size=batch_size,
        log=log,
    )
    log.info(
        "scheduler %s on %s (namespace %s), lock %s, polling every %ss",
        process.lock.value,
        mask_url(redis_url),
        namespace,
        process.lock.key,
        interval,
    )
    process.install_signals()
    process.run()
