"""The ``resque-web demo`` command."""

from __future__ import annotations

import click
from werkzeug.serving import make_server

from ..web import create_app
from .runner import run


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to serve on.")
@click.option("--port", default=5678, show_default=True, type=int, help="Port to serve on.")
@click.option("--poll-interval", default=2.0, show_default=True, help="Live refresh, seconds.")
def demo(host: str, port: int, poll_interval: float) -> None:
    """Start the dashboard on live demo data: a private Redis, workers and a producer."""

    def serve(redis_url: str) -> None:
        app = create_app({"REDIS_URL": redis_url, "RESQUE_WEB_POLL_INTERVAL": poll_interval})
        try:
            server = make_server(host, port, app, threaded=True)
        except OSError as exc:
            raise click.ClickException(
                f"cannot serve on {host}:{port} ({exc.strerror}); pick another with --port"
            ) from exc
        click.secho(
            f"resque-web demo: http://{host}:{server.port}/  (Ctrl-C stops it all)", bold=True
        )
        server.serve_forever()

    try:
        run(serve, say=lambda text: click.echo(f"demo: {text}"))
    except RuntimeError as exc:  # a part of the demo could not start: say which and why
        raise click.ClickException(str(exc)) from exc
