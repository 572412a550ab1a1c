"""``resque-web serve`` (and plain ``resque-web``): options, env vars, the printed URL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from resque_web.cli import main
from tests.support.serving import FakeServer, fake_make_server


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    fake_make_server(monkeypatch)
    for name in (
        "REDIS_URL",
        "RESQUE_NAMESPACE",
        "RESQUE_WEB_URL_PREFIX",
        "RESQUE_WEB_HOST",
        "RESQUE_WEB_PORT",
        "RESQUE_WEB_POLL_INTERVAL",
        "RESQUE_WEB_READ_ONLY",
        "RESQUE_WEB_AUTH",
        "RESQUE_WEB_USERNAME",
        "RESQUE_WEB_PASSWORD",
        "RESQUE_WEB_ALLOW_NO_AUTH",
        "RESQUE_WEB_ALLOWED_HOSTS",
    ):
        monkeypatch.delenv(name, raising=False)
    return FakeServer


def test_serve_defaults(served: type[FakeServer]) -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    server = served.last  # type: ignore[attr-defined]
    assert (server.host, server.port) == ("127.0.0.1", 5678)
    assert (
        "serving http://127.0.0.1:5678/ (Redis redis://127.0.0.1:6379/0, namespace resque)"
        in result.output
    )
    settings = server.app.blueprints["resque_web"].settings
    assert settings.poll_interval == 5.0


def test_serve_options(served: type[FakeServer]) -> None:
    args = [
        "serve",
        "--redis",
        "redis://:pw@db:6380/2",
        "--namespace",
        "jobs",
        "--url-prefix",
        "resque",
        "--host",
        "0.0.0.0",
        "--port",
        "9000",
        "--poll-interval",
        "2.5",
        "--read-only",
        "--allow-no-auth",  # 0.0.0.0 without a password (see test_auth.py)
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    server = served.last  # type: ignore[attr-defined]
    assert (server.host, server.port) == ("0.0.0.0", 9000)
    assert "http://0.0.0.0:5678/resque/" in result.output
    assert "redis://:***@db:6380/2" in result.output and ":pw@" not in result.output
    settings = server.app.blueprints["resque_web"].settings
    assert (settings.namespace, settings.poll_interval, settings.read_only) == ("jobs", 2.5, True)
    assert server.app.test_client().get("/").headers["Location"] == "/resque/"


def test_plain_resque_web_serves_with_env_vars(
    served: type[FakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "REDIS_URL": "redis://db:6379/1",
        "RESQUE_NAMESPACE": "ns",
        "RESQUE_WEB_URL_PREFIX": "/q",
        "RESQUE_WEB_HOST": "::1",
        "RESQUE_WEB_PORT": "7000",
        "RESQUE_WEB_POLL_INTERVAL": "0",
    }
    result = CliRunner().invoke(main, [], env=env)
    assert result.exit_code == 0, result.output
    server = served.last  # type: ignore[attr-defined]
    assert (server.host, server.port) == ("::1", 7000)
    assert "http://[::1]:5678/q/ (Redis redis://db:6379/1, namespace ns)" in result.output
    assert server.app.blueprints["resque_web"].settings.poll_interval == 0


def test_port_in_use_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import werkzeug.serving

    def busy(*args: object, **kwargs: object) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(werkzeug.serving, "make_server", busy)
    result = CliRunner().invoke(main, ["serve", "--port", "5678"])
    assert result.exit_code == 1
    assert "cannot listen on 127.0.0.1:5678: Address already in use" in result.output


def test_serve_picks_the_host_names_it_answers_to(served: type[FakeServer]) -> None:
    """DNS rebinding (issue 10): loopback names on loopback, any name beyond (a password
    or --allow-no-auth's proxy guards it), or exactly --allowed-hosts."""
    cases = [
        (["serve"], ("localhost", "127.0.0.1", "::1")),
        (["serve", "--host", "0.0.0.0", "--auth", "ops:pw"], ("*",)),
        (["serve", "--host", "0.0.0.0", "--allow-no-auth"], ("*",)),
        (["serve", "--allowed-hosts", "Dash.example:5678, .corp"], ("dash.example", ".corp")),
    ]
    for args, hosts in cases:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        server = served.last  # type: ignore[attr-defined]
        assert server.app.blueprints["resque_web"].settings.allowed_hosts == hosts, args
        assert ("Answering to any Host" in result.output) == (hosts == ("*",))
