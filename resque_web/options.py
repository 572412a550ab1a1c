"""Command-line options every ``resque-web`` command that talks to Resque takes, spelled
once: the Redis URL and the namespace, with Ruby Resque's environment variables."""

from __future__ import annotations

import click

from .connection import DEFAULT_URL
from .keys import DEFAULT_NAMESPACE

redis_option = click.option(
    "--redis",
    "redis_url",
    envvar="REDIS_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="Redis URL (env REDIS_URL); Ruby-style host:port and redis+sentinel:// work too.",
)
namespace_option = click.option(
    "--namespace",
    envvar="RESQUE_NAMESPACE",
    default=DEFAULT_NAMESPACE,
    show_default=True,
    help="Key namespace (env RESQUE_NAMESPACE).",
)
