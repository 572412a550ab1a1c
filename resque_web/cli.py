"""The ``resque-web`` command: dashboard, worker, enqueue and demo in one entry point."""

from __future__ import annotations

from typing import Any

import click

from . import payload as jsonp
from .client import Resque
from .connection import DEFAULT_URL, connect, mask_url
from .demo.cli import demo
from .keys import DEFAULT_NAMESPACE
from .web.cli import serve
from .worker.cli import worker

redis_option = click.option(
    "--redis",
    "redis_url",
    envvar="REDIS_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="Redis URL (env REDIS_URL); Ruby-style host:port works too.",
)
namespace_option = click.option(
    "--namespace",
    envvar="RESQUE_NAMESPACE",
    default=DEFAULT_NAMESPACE,
    show_default=True,
    help="Key namespace (env RESQUE_NAMESPACE).",
)


@click.group(invoke_without_command=True)
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


@main.command()
@redis_option
@namespace_option
@click.option("--queue", "-q", required=True, help="Queue to put the job on.")
@click.argument("job_class")
@click.argument("args", nargs=-1)
def enqueue(
    redis_url: str, namespace: str, queue: str, job_class: str, args: tuple[str, ...]
) -> None:
    """Enqueue JOB_CLASS with ARGS (each parsed as JSON, else taken as a string)."""
    values = []
    for n, text in enumerate(args, 1):
        try:
            values.append(parse_arg(text))
        except jsonp.UnstorableJSON as exc:
            raise click.UsageError(f"argument {n} ({text[:40]!r}): {exc}") from None
    resque = Resque(connect(redis_url), namespace)
    try:
        resque.enqueue_to(queue, job_class, *values)
    except (TypeError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    except Exception as exc:  # redis errors: name the cause and the fix
        raise click.ClickException(
            f"could not enqueue on {mask_url(redis_url)}: {exc}. Is Redis running there?"
        ) from exc
    click.echo(
        f"enqueued {job_class}{tuple(values)!r} on queue {queue!r} "
        f"({resque.keys.queue(queue)} on {mask_url(redis_url)})"
    )


main.add_command(serve)
main.add_command(demo)
main.add_command(worker)
