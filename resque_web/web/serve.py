"""``resque-web serve``: the dashboard on a local port (production: gunicorn, see README).

Anyone who can reach the dashboard can clear queues and retry or delete failures, so it
refuses to listen beyond loopback without a password unless told that something in front
of it (a proxy with its own login, a firewall) already guards it.
"""

from __future__ import annotations

import ipaddress

import click

from ..connection import DEFAULT_URL, mask_url
from ..keys import DEFAULT_NAMESPACE
from . import DashboardBlueprint
from .hosts import LOOPBACK_NAMES
from .instances import parse_instances
from .settings import DEFAULT_HOST, DEFAULT_POLL_INTERVAL, DEFAULT_PORT, normalize_prefix


@click.command()
@click.option("--redis", "redis_urls", envvar="REDIS_URL", default=(DEFAULT_URL,),
              show_default=True, multiple=True, metavar="URL|NAME=URL",
              help="Redis URL (env REDIS_URL). Repeat as --redis prod=URL --redis staging=URL "
                   "to serve several instances, each under /NAME/ (env RESQUE_WEB_INSTANCES="
                   "prod=URL,staging=URL).")  # fmt: skip
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
@click.option("--retry-removes", envvar="RESQUE_WEB_RETRY_REMOVES", is_flag=True,
              help="Retrying a failure takes it off the failure list instead of marking it "
                   "retried (env RESQUE_WEB_RETRY_REMOVES).")  # fmt: skip
@click.option("--auth", metavar="USER:PASSWORD", envvar="RESQUE_WEB_AUTH", default=None,
              help="Require this HTTP Basic user and password (env RESQUE_WEB_AUTH, which "
                   "keeps it out of the process list).")  # fmt: skip
@click.option("--allowed-hosts", metavar="NAMES", envvar="RESQUE_WEB_ALLOWED_HOSTS", default=None,
              help="Host names the dashboard answers to, comma-separated (.example.com: "
                   "and its subdomains; *: any). Default: loopback names on a loopback "
                   "--host, any name otherwise (env RESQUE_WEB_ALLOWED_HOSTS).")  # fmt: skip
@click.option("--allow-no-auth", envvar="RESQUE_WEB_ALLOW_NO_AUTH", is_flag=True,
              help="Serve a non-loopback --host without a password, because something in "
                   "front already guards it (env RESQUE_WEB_ALLOW_NO_AUTH).")  # fmt: skip
def serve(
    redis_urls: tuple[str, ...],
    namespace: str,
    url_prefix: str,
    host: str,
    port: int,
    poll_interval: float,
    read_only: bool,
    retry_removes: bool,
    auth: str | None,
    allowed_hosts: str | None,
    allow_no_auth: bool,
) -> None:
    """Serve the dashboard (a threaded development server; use gunicorn in production)."""
    from werkzeug.serving import make_server

    from .app import create_app

    prefix = normalize_prefix(url_prefix)
    try:
        instances = parse_instances(redis_urls)
    except ValueError as exc:
        raise click.UsageError(f"--redis: {exc}") from exc
    redis_url = redis_urls[0].strip() if redis_urls and not instances else DEFAULT_URL
    config: dict[str, object] = {
        "REDIS_URL": redis_url,
        "RESQUE_NAMESPACE": namespace,
        "RESQUE_WEB_URL_PREFIX": prefix,
        "RESQUE_WEB_POLL_INTERVAL": poll_interval,
        "RESQUE_WEB_READ_ONLY": read_only,
        "RESQUE_WEB_RETRY_REMOVES": retry_removes,
    }
    if instances:
        config["RESQUE_WEB_INSTANCES"] = [f"{i.name}={i.url}" for i in instances]
    if auth:
        config["RESQUE_WEB_AUTH"] = auth
    # DNS rebinding: bound to loopback, only loopback names reach it legitimately. Beyond
    # loopback the names people use are unknown here; a password (or the proxy in front
    # that --allow-no-auth trusts) guards it, and RESQUE_WEB_ALLOWED_HOSTS narrows it.
    default_hosts = ",".join(LOOPBACK_NAMES) if is_loopback(host) else "*"
    config["RESQUE_WEB_ALLOWED_HOSTS"] = allowed_hosts or default_hosts
    try:
        app = create_app(config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    settings = next(
        bp for bp in app.blueprints.values() if isinstance(bp, DashboardBlueprint)
    ).settings
    if not settings.basic_auth and not is_loopback(host) and not allow_no_auth:
        raise click.UsageError(
            f"refusing to serve on {host} without a password: anyone who can reach that "
            "address could clear queues and retry or delete failures. Set one with "
            "--auth USER:PASSWORD (or env RESQUE_WEB_AUTH=user:password), listen on "
            "127.0.0.1, or pass --allow-no-auth if a proxy or firewall in front already "
            "guards it."
        )
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Is another process using "
            "the port? Pick another with --port."
        ) from exc
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{server.server_port}{prefix}"
    if instances:
        click.echo(f"resque-web serving {base}/ ({len(instances)} Redis instances, namespace "
                   f"{namespace}); Ctrl-C stops it")  # fmt: skip
        for instance in instances:
            click.echo(
                f"  {instance.name}: {base}/{instance.name}/ (Redis {mask_url(instance.url)})"
            )
    else:
        click.echo(
            f"resque-web serving {base}/ "
            f"(Redis {mask_url(redis_url)}, namespace {namespace}); Ctrl-C stops it"
        )
    hosts = settings.allowed_hosts or ("*",)
    if "*" in hosts:
        click.echo(
            "Answering to any Host name (set --allowed-hosts / RESQUE_WEB_ALLOWED_HOSTS to "
            "this server's names to refuse others)."
        )
    else:
        click.echo(f"Answering to Host names: {', '.join(hosts)} (others get 400).")
    if settings.basic_auth:
        click.echo(f"HTTP Basic auth on (user {settings.username}).")
        if not is_loopback(host):
            click.echo(
                "Basic auth sends the password with every request: serve it over TLS (a "
                "reverse proxy) beyond a trusted network."
            )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def is_loopback(host: str) -> bool:
    """Does ``host`` only accept connections from this machine? Names other than localhost
    may resolve anywhere, and ``0.0.0.0``/``::`` mean every interface: not loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
