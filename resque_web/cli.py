"""The ``resque-web`` command: dashboard, worker, enqueue and demo in one entry point."""

from __future__ import annotations

import importlib
import time
from datetime import datetime
from typing import Any

import click

from . import payload as jsonp
from .client import Resque
from .connection import connect, mask_url
from .options import namespace_option, redis_option

# Each subcommand's module, imported only when that command runs (or --help lists it): a
# worker must not carry the dashboard (Flask, Jinja) in every process it forks.
COMMANDS = {
    "serve": "resque_web.web.serve:serve",
    "demo": "resque_web.demo.command:demo",
    "worker": "resque_web.worker.command:worker",
    "scheduler": "resque_web.scheduler.command:scheduler",
}


class Commands(click.Group):
    """A group whose subcommands load on first use (click's documented lazy-loading group)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, name = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=Commands, invoke_without_command=True)
@click.version_option(package_name="resque-web")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Dashboard and job core for Resque's Redis queues. Without a command: serve."""
    if ctx.invoked_subcommand is None:
        serve = main.get_command(ctx, "serve")
        if serve is None:
            click.echo(ctx.get_help())
            return
        # Parse an empty command line (not ctx.invoke) so that serve's env vars apply.
        with serve.make_context("serve", [], parent=ctx) as sub:
            serve.invoke(sub)


def parse_arg(text: str) -> Any:
    """A command-line job argument: JSON when Ruby's ``JSON.parse`` takes it (``35``,
    ``'{"k":1}'``), else the text itself (``NaN``, ``Infinity`` and ``tar`` are strings).
    JSON that cannot make a job Ruby reads (``1e400``) raises :class:`UnstorableJSON`."""
    try:
        return jsonp.parse_ruby_json(text)
    except jsonp.NotRubyJSON:
        return text


def parse_at(text: str) -> float:
    """``--at``: epoch seconds (``1900000000``) or ISO 8601 (``2030-03-17T17:46:40+00:00``;
    without a zone, local time)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither epoch seconds nor an ISO 8601 time like 2030-03-17T17:46:40Z",
            param_hint="--at",
        ) from None


@main.command()
@redis_option
@namespace_option
@click.option("--queue", "-q", required=True, help="Queue to put the job on.")
@click.option(
    "--in",
    "delay",
    type=click.FloatRange(min=0),
    help="Delay the job this many seconds (resque-scheduler's enqueue_in).",
)
@click.option(
    "--at", "at", help="Delay the job until EPOCH or ISO 8601 time (resque-scheduler's enqueue_at)."
)
@click.argument("job_class")
@click.argument("args", nargs=-1)
def enqueue(
    redis_url: str,
    namespace: str,
    queue: str,
    delay: float | None,
    at: str | None,
    job_class: str,
    args: tuple[str, ...],
) -> None:
    """Enqueue JOB_CLASS with ARGS (each parsed as JSON, else taken as a string); with --in or
    --at, delay it for a scheduler (Ruby's resque-scheduler or `resque-web scheduler`)."""
    if delay is not None and at is not None:
        raise click.UsageError("give --in SECONDS or --at TIME, not both")
    when = parse_at(at) if at is not None else None
    if delay is not None:
        when = time.time() + delay
    values = []
    for n, text in enumerate(args, 1):
        try:
            values.append(parse_arg(text))
        except jsonp.UnstorableJSON as exc:
            raise click.UsageError(f"argument {n} ({text[:40]!r}): {exc}") from None
    resque = Resque(connect(redis_url), namespace)
    try:
        if when is None:
            resque.enqueue_to(queue, job_class, *values)
        else:
            resque.enqueue_at_with_queue(queue, when, job_class, *values)
    except (TypeError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    except Exception as exc:  # redis errors: name the cause and the fix
        raise click.ClickException(
            f"could not enqueue on {mask_url(redis_url)}: {exc}. Is Redis running there?"
        ) from exc
    where = f"{mask_url(redis_url)}"
    if when is None or int(when) <= int(time.time()):
        click.echo(
            f"enqueued {job_class}{tuple(values)!r} on queue {queue!r} "
            f"({resque.keys.queue(queue)} on {where})"
        )
    else:
        stamp = datetime.fromtimestamp(int(when)).astimezone().isoformat()
        click.echo(
            f"delayed {job_class}{tuple(values)!r} for queue {queue!r} until {stamp} "
            f"({resque.keys.delayed(int(when))} on {where}); a scheduler moves it when due"
        )
