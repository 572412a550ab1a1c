"""HTTP Basic auth for the standalone dashboard, ``serve``'s refusal to listen beyond
loopback without it, and the retry-and-remove mode."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
import redis
from click.testing import CliRunner
from flask import Flask

from resque_web.cli import main
from resque_web.failure import digest
from resque_web.web import Settings, create_app, make_blueprint
from resque_web.web.serve import is_loopback
from tests.support.serving import FakeServer, fake_make_server

AUTH_ENV = ("RESQUE_WEB_AUTH", "RESQUE_WEB_USERNAME", "RESQUE_WEB_PASSWORD")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*AUTH_ENV, "RESQUE_WEB_ALLOW_NO_AUTH", "RESQUE_WEB_RETRY_REMOVES"):
        monkeypatch.delenv(name, raising=False)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def app_with(redis_url: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "t", "REDIS_URL": redis_url, **config})


GOOD = basic("ops", "s3cret:with colon")

GUARDED = [
    "/",
    "/overview",
    "/failed",
    "/queues/default",
    "/stats/keys",
    "/stats.txt",
    "/no/such/page",
    "/static/css/resque-web.css",
    "/api/v1/stats",
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("ops", "wrong"),
        basic("nobody", "s3cret:with colon"),
        basic("ops", "s3cret"),  # a prefix of the password
        basic("OPS", "s3cret:with colon"),
        {"Authorization": "Bearer s3cret"},
        {"Authorization": "Basic !!!not-base64"},
    ],
)
def test_every_url_needs_the_credentials(
    ruby_data: redis.Redis, redis_url: str, headers: dict[str, str]
) -> None:
    client = app_with(redis_url, RESQUE_WEB_AUTH="ops:s3cret:with colon").test_client()
    for url in GUARDED:
        response = client.get(url, headers=headers)
        assert response.status_code == 401, url
        assert response.headers["WWW-Authenticate"] == 'Basic realm="resque-web", charset="UTF-8"'
        # Nothing about the deployment leaks before login: no Redis URL, namespace, data.
        assert b"redis://" not in response.data and b"default" not in response.data
        assert response.headers["Cache-Control"] == "no-store"
    api = client.get("/api/v1/stats", headers=headers)
    assert api.get_json() == {
        "error": "Authentication required",
        "message": "This dashboard needs a user name and password.",
        "status": 401,
    }
    assert client.post("/queues/mailers", data={"action": "clear"}, headers=headers).status_code
    assert ruby_data.llen("resque:queue:mailers") == 303


def test_the_right_credentials_open_everything(ruby_data: redis.Redis, redis_url: str) -> None:
    client = app_with(redis_url, RESQUE_WEB_AUTH="ops:s3cret:with colon").test_client()
    assert client.get("/", headers=GOOD).status_code == 302
    for url in GUARDED[1:6] + GUARDED[7:]:
        assert client.get(url, headers=GOOD).status_code == 200, url
    assert client.get("/no/such/page", headers=GOOD).status_code == 404
    response = client.post("/queues/mailers", data={"action": "clear"}, headers=GOOD)
    assert response.status_code == 303
    assert ruby_data.llen("resque:queue:mailers") == 0


def test_a_prefixed_app_guards_its_root_too(redis_url: str) -> None:
    client = app_with(
        redis_url, RESQUE_WEB_AUTH="ops:pw", RESQUE_WEB_URL_PREFIX="/resque"
    ).test_client()
    for url in ("/", "/elsewhere", "/resque/overview"):
        assert client.get(url).status_code == 401, url
    assert client.get("/", headers=basic("ops", "pw")).headers["Location"] == "/resque/"


def test_username_and_password_from_the_environment(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESQUE_WEB_USERNAME", "admin")
    monkeypatch.setenv("RESQUE_WEB_PASSWORD", "pässwörd")
    client = app_with(redis_url).test_client()
    assert client.get("/overview").status_code == 401
    assert client.get("/overview", headers=basic("admin", "pässwörd")).status_code == 200


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"RESQUE_WEB_USERNAME": "admin"}, "no default"),
        ({"RESQUE_WEB_PASSWORD": "pw"}, "no default"),
        ({"RESQUE_WEB_AUTH": "admin"}, "user:password"),
        ({"RESQUE_WEB_AUTH": "admin:"}, "user:password"),
        ({"RESQUE_WEB_AUTH": ":pw"}, "user:password"),
        ({"RESQUE_WEB_AUTH": "a:b", "RESQUE_WEB_USERNAME": "c"}, "not both"),
    ],
)
def test_half_configured_auth_is_an_error(
    redis_url: str, config: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        app_with(redis_url, **config)


def test_the_password_stays_out_of_reprs() -> None:
    settings = Settings(username="ops", password="hunter2")
    assert "hunter2" not in repr(settings)
    assert settings.basic_auth and not Settings().basic_auth


def test_embedded_blueprint_takes_credentials_as_options(redis_url: str) -> None:
    host = Flask("host")
    host.register_blueprint(
        make_blueprint(redis_url=redis_url, username="ops", password="pw"), url_prefix="/r"
    )
    client = host.test_client()
    assert client.get("/r/overview").status_code == 401
    assert client.get("/r/overview", headers=basic("ops", "pw")).status_code == 200


def test_the_browser_is_challenged_and_then_let_in(
    ruby_data: redis.Redis, redis_url: str, live_server_url: str
) -> None:
    """A real HTTP round trip (not the test client): the challenge and the retry."""
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(live_server_url + "/overview", timeout=5)
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"].startswith('Basic realm="resque-web"')
    request = urllib.request.Request(live_server_url + "/api/v1/stats", headers=GOOD)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["pending"] == 2024


@pytest.fixture
def live_server_url(redis_url: str) -> object:
    import threading

    from werkzeug.serving import make_server

    server = make_server(
        "127.0.0.1", 0, app_with(redis_url, RESQUE_WEB_AUTH="ops:s3cret:with colon")
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


# resque-web serve ------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    return fake_make_server(monkeypatch)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "my-box.example", ""])
def test_serve_refuses_an_open_host_without_a_password(served: type[FakeServer], host: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", host])
    assert result.exit_code == 2
    assert served.last is None  # never listened
    assert f"refusing to serve on {host} without a password" in result.output
    assert "--auth USER:PASSWORD" in result.output and "--allow-no-auth" in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_serve_on_loopback_needs_no_password(served: type[FakeServer], host: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", host])
    assert result.exit_code == 0, result.output
    assert is_loopback(host)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--auth", "ops:pw"], {}),
        ([], {"RESQUE_WEB_AUTH": "ops:pw"}),
        ([], {"RESQUE_WEB_USERNAME": "ops", "RESQUE_WEB_PASSWORD": "pw"}),
    ],
)
def test_serve_with_a_password_listens_anywhere(
    served: type[FakeServer], args: list[str], env: dict[str, str]
) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", *args], env=env)
    assert result.exit_code == 0, result.output
    assert "HTTP Basic auth on (user ops)" in result.output
    assert "over TLS" in result.output
    assert "pw" not in result.output.replace("password", "")
    client = served.last.app.test_client()  # type: ignore[union-attr]
    assert client.get("/overview").status_code == 401


@pytest.mark.parametrize(
    ("args", "env"), [(["--allow-no-auth"], {}), ([], {"RESQUE_WEB_ALLOW_NO_AUTH": "1"})]
)
def test_serve_open_host_when_explicitly_allowed(
    served: type[FakeServer], args: list[str], env: dict[str, str]
) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", *args], env=env)
    assert result.exit_code == 0, result.output
    assert served.last is not None and served.last.host == "0.0.0.0"


def test_serve_rejects_half_credentials(served: type[FakeServer]) -> None:
    result = CliRunner().invoke(main, ["serve", "--auth", "ops"])
    assert result.exit_code == 2
    assert "user:password" in result.output


def test_gunicorn_style_create_app_reads_auth_from_the_environment(redis_url: str) -> None:
    """gunicorn 'resque_web.web:create_app()' configured only by the environment."""
    code = (
        "from resque_web.web import create_app; "
        "c = create_app().test_client(); "
        "print(c.get('/overview').status_code, "
        "c.get('/overview', headers={'Authorization': 'Basic b3BzOnB3'}).status_code)"
    )
    env = {**os.environ, "REDIS_URL": redis_url, "RESQUE_WEB_AUTH": "ops:pw"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["401", "200"]


# Retry and remove ------------------------------------------------------------------------
def unretried(r: redis.Redis) -> tuple[dict[str, str], str]:
    """The form fields a failure's Retry button sends, for one not yet retried, and its queue."""
    for index, raw in enumerate(r.lrange("resque:failed", 0, -1)):
        record = json.loads(raw)
        if "retried_at" not in record and record.get("queue"):
            fields = {"action": "retry", "index": str(index), "digest": digest(raw)}
            return fields, record["queue"]
    raise AssertionError("the fixture has no unretried failure")


@pytest.mark.parametrize("source", ["config", "env", "blueprint"])
def test_retry_removes_mode(
    ruby_data: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    if source == "config":
        client = app_with(redis_url, RESQUE_WEB_RETRY_REMOVES=True).test_client()
    elif source == "env":
        monkeypatch.setenv("RESQUE_WEB_RETRY_REMOVES", "yes")
        client = app_with(redis_url).test_client()
    else:
        host = Flask("host")
        host.secret_key = "t"
        host.register_blueprint(make_blueprint(redis_url=redis_url, retry_removes=True))
        client = host.test_client()
    before = ruby_data.llen("resque:failed")
    fields, queue = unretried(ruby_data)
    queued = ruby_data.llen(f"resque:queue:{queue}")
    assert client.post("/failed", data=fields).status_code == 303
    assert ruby_data.llen("resque:failed") == before - 1  # taken off the list...
    assert ruby_data.llen(f"resque:queue:{queue}") == queued + 1  # ...and queued again
    assert fields["digest"] not in {digest(x) for x in ruby_data.lrange("resque:failed", 0, -1)}
    assert client.post("/failed", data={"action": "retry_all"}).status_code == 303
    left = [json.loads(x) for x in ruby_data.lrange("resque:failed", 0, -1)]
    # Only failures a retry cannot requeue (no payload class or queue) stay behind.
    assert len(left) < before - 1
    assert not any("retried_at" in f and f.get("queue") for f in left if isinstance(f, dict))


def test_retry_marks_by_default(ruby_data: redis.Redis, redis_url: str) -> None:
    client = app_with(redis_url).test_client()
    before = ruby_data.llen("resque:failed")
    fields, _ = unretried(ruby_data)
    assert client.post("/failed", data=fields).status_code == 303
    assert ruby_data.llen("resque:failed") == before
    assert "retried_at" in json.loads(ruby_data.lindex("resque:failed", int(fields["index"])))
