"""``resque-web serve``: the dashboard on a local port (production: gunicorn, see README)."""

from __future__ import annotations

import click

from ..connection import DEFAULT_URL, mask_url
from ..keys import DEFAULT_NAMESPACE
from .settings import DEFAULT_HOST, DEFAULT_POLL_INTERVAL, DEFAULT_PORT, normalize_prefix


@click.command()
@click.option("--redis", "redis_url", envvar="REDIS_URL", default=DEFAULT_URL, show_default=True,
              help="Redis URL (env REDIS_URL).")  # fmt: skip
@click.option("--namespace", envvar="RESQUE_NAMESPACE", default=DEFAULT_NAMESPACE,
              show_default=True, help="Key namespace (env RESQUE_NAMESPACE).")  # fmt: skip
@click.option("--url-prefix", envvar="RESQUE_WEB_URL_PREFIX", default="",
              help="Serve under this path, e.g. /resque (env RESQUE_WEB_URL_PREFIX).")  # fmt: skip
@click.option("--host", envvar="RESQUE_WEB_HOST", default=DEFAULT_HOST, show_default=True,
              help="Interface to listen on (env RESQUE_WEB_HOST).")  # fmt: skip
@click.option("--port", envvar="RESQUE_WEB_PORT", default=DEFAULT_PORT, show_default=True,
              type=click.IntRange(0, 65535), help="Port (env RESQUE_WEB_PORT).")  # fmt: skip
@click.option("--poll-interval", envvar="RESQUE_WEB_POLL_INTERVAL",
              default=DEFAULT_POLL_INTERVAL, show_default=True, type=click.FloatRange(0),
              help="Seconds between live-poll refreshes; 0 turns polling off "
                   "(env RESQUE_WEB_POLL_INTERVAL).")  # fmt: skip
@click.option("--read-only", envvar="RESQUE_WEB_READ_ONLY", is_flag=True,
              help="Hide and refuse every action (env RESQUE_WEB_READ_ONLY).")  # fmt: skip
def serve(
    redis_url: str,
    namespace: str,
    url_prefix: str,
    host: str,
    port: int,
    poll_interval: float,
    read_only: bool,
) -> None:
    """Serve the dashboard (a threaded development server; use gunicorn in production)."""
    from werkzeug.serving import make_server

    from .app import create_app

    prefix = normalize_prefix(url_prefix)
    app = create_app(
        {
            "REDIS_URL": redis_url,
            "RESQUE_NAMESPACE": namespace,
            "RESQUE_WEB_URL_PREFIX": prefix,
            "RESQUE_WEB_POLL_INTERVAL": poll_interval,
            "RESQUE_WEB_READ_ONLY": read_only,
        }
    )
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Is another process using "
            "the port? Pick another with --port."
        ) from exc
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(
        f"resque-web serving http://{shown_host}:{server.server_port}{prefix}/ "
        f"(Redis {mask_url(redis_url)}, namespace {namespace}); Ctrl-C stops it"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
