"""Forged requests from another site, in a real browser, change nothing in Redis.

A page on another origin (127.0.0.2, or 127.0.0.1 on another port) auto-submits a form to
every action URL with the fields the dashboard's own buttons send (so each would succeed
if accepted), sends the same as no-cors fetches, and loads each as an ``<img>`` (a GET with
the fields in the query). The browser has just used the dashboard (with Basic auth on, it
holds the credentials). Redis is compared key by key (DUMP) before and after. A control
serves the same page from the dashboard's own origin: there the forms do change Redis, so
the attack page really fires.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from flask import Flask, Response
from werkzeug.serving import make_server

from resque_web.web import create_app
from tests.support.site import Subjects, get_urls, post_urls
from tests.support.snapshot import changed, snapshot
from tests.web.html import button_posts, forms

pytestmark = pytest.mark.browser

# Sent to action URLs no page shows a form for (bulk steps, audit restores, other lists).
ACTIONS = ["clear", "retry_all", "remove"]
USER, PASSWORD = "ops", "s3cret"


class RequestLog:
    """WSGI middleware: every request the dashboard answered, with its status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.entries: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def recording(status: str, headers: list[Any], *rest: Any) -> Any:
            with self.lock:
                self.entries.append(
                    (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), int(status[:3]))
                )
            return start_response(status, headers, *rest)

        return self.app(environ, recording)

    def posts(self) -> list[tuple[str, str, int]]:
        with self.lock:
            return [e for e in self.entries if e[0] == "POST"]


def serve(app: Flask, host: str, servers: list[Any]) -> str:
    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    servers.append((server, thread))
    return f"http://{host}:{server.server_port}"


@pytest.fixture
def servers() -> Iterator[list[Any]]:
    running: list[Any] = []
    yield running
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(5)


def forged_forms(app: Flask, auth: dict[str, str]) -> list[dict[str, str]]:
    """The dashboard's own action forms (real index, digest and raw values), one per action
    URL and action, plus a generic form for every POST URL and action name."""
    client = app.test_client()
    subjects = Subjects(queues=["mailers", "default", "critical"], keys=["queues"])
    found: dict[tuple[str, str], dict[str, str]] = {}
    for url in get_urls(app, subjects, cap=3, extra_args={"failed": ["per_page=50"]}):
        if "/export." in url:
            continue  # streamed downloads: no forms
        response = client.get(url, headers=auth)
        body = response.get_data()
        response.close()
        if response.mimetype != "text/html":
            continue
        for form in forms(body):
            found.setdefault((form["_action"], form.get("action", "")), form)
        for form in button_posts(body):  # a row's button: its own name carries the action
            verb = form.get("action") or next((k for k in ("retry", "remove") if k in form), "")
            found.setdefault((form["_action"], verb), form)
    covered = {url for url, _ in found}
    for url in post_urls(app, subjects, cap=3):
        for action in ACTIONS if url not in covered else ():
            found.setdefault((url, action), {"_action": url, "action": action, "scope": "all"})
    return list(found.values())


def attack_page(
    target: str, forged: list[dict[str, str]], script_src: str | None
) -> tuple[str, str]:
    """The page and its script: auto-submitting POST forms (each into its own frame),
    no-cors fetches, and images (GET, the form's fields as a query) at every action URL of
    ``target``. With ``script_src`` the script is external (for the same-origin control,
    whose CSP forbids inline script)."""
    parts = ["<!doctype html><title>cute cats</title>"]
    for n, form in enumerate(forged):
        url = target + form["_action"]
        fields = [(k, v) for k, v in form.items() if not k.startswith("_")]
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields
        )
        parts.append(f'<iframe name="frame{n}"></iframe>')
        parts.append(
            f'<form class="forged" method="post" action="{html.escape(url)}" '
            f'target="frame{n}">{inputs}</form>'
        )
        parts.append(f'<img src="{html.escape(url + "?" + urlencode(fields))}">')
    fetches = [
        (target + f["_action"], urlencode([(k, v) for k, v in f.items() if not k.startswith("_")]))
        for f in forged
    ]
    script = (
        "document.querySelectorAll('form.forged').forEach(function (f) { f.submit(); });\n"
        f"{json.dumps(fetches)}.forEach(function (p) {{ fetch(p[0], {{method: 'POST', "
        "mode: 'no-cors', credentials: 'include', headers: {'Content-Type': "
        "'application/x-www-form-urlencoded'}, body: p[1]}).catch(function () {}); });\n"
    )
    if script_src is None:
        parts.append(f"<script>{script}</script>")
    else:
        parts.append(f'<script src="{script_src}"></script>')
    return "\n".join(parts), script


def wait_for_posts(log: RequestLog, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(log.posts()) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # stragglers (and the frames' loads) settle


def dashboard_app(redis_url: str, with_auth: bool) -> Flask:
    config: dict[str, Any] = {"REDIS_URL": redis_url, "SECRET_KEY": "t"}
    if with_auth:
        config["RESQUE_WEB_AUTH"] = f"{USER}:{PASSWORD}"
    return create_app(config)


@pytest.mark.parametrize("with_auth", [False, True], ids=["no-auth", "basic-auth"])
@pytest.mark.parametrize("evil_host", ["127.0.0.2", "127.0.0.1"], ids=["cross-site", "same-site"])
def test_a_forged_page_changes_nothing(
    browser: Any,
    ruby_data: redis.Redis,
    redis_url: str,
    servers: list[Any],
    evil_host: str,
    with_auth: bool,
) -> None:
    app = dashboard_app(redis_url, with_auth)
    auth = {}
    if with_auth:
        import base64

        auth = {"Authorization": "Basic " + base64.b64encode(b"ops:s3cret").decode()}
    forged = forged_forms(app, auth)
    log = RequestLog(app.wsgi_app)
    app.wsgi_app = log  # type: ignore[method-assign]
    target = serve(app, "127.0.0.1", servers)
    page_html, _ = attack_page(target, forged, script_src=None)
    evil = Flask("evil")
    evil.add_url_rule("/", "index", lambda: Response(page_html, mimetype="text/html"))
    evil_url = serve(evil, evil_host, servers)
    assert evil_url.split(":")[1] != target.split(":")[1] or evil_url != target

    credentials = {"username": USER, "password": PASSWORD} if with_auth else None
    context = browser.new_context(http_credentials=credentials)
    try:
        page = context.new_page()
        page.goto(target + "/failed")  # the victim was just using the dashboard
        assert "Failed jobs" in page.content()
        before = snapshot(redis_url)
        answered = len(log.posts())
        page.goto(evil_url + "/", wait_until="commit")
        wait_for_posts(log, answered + 2 * len(forged))
    finally:
        context.close()

    assert changed(before, snapshot(redis_url)) == []
    posts = log.posts()[answered:]
    # Every forged form and fetch reached the dashboard and was refused there: 403 by the
    # cross-site check; with Basic auth Chromium does not even attach the credentials it
    # holds to another site's requests, so they stop at 401.
    assert len(posts) >= 2 * len(forged), (len(posts), len(forged))
    expected = {401, 403} if with_auth else {403}
    assert {status for _, _, status in posts} <= expected, posts
    actions = {f["_action"] for f in forged}
    assert {"/queues/mailers", "/failed"} <= actions
    assert len(actions) >= 8  # queues, failure lists, bulk, edit, audit, ...


def test_control_the_same_page_from_the_dashboards_own_origin_does_change_redis(
    browser: Any, ruby_data: redis.Redis, redis_url: str, servers: list[Any]
) -> None:
    """Proves the attack page fires real, valid actions: same-origin, they go through."""
    app = dashboard_app(redis_url, with_auth=False)
    attack: dict[str, str] = {}
    app.add_url_rule("/attack", "attack", lambda: Response(attack["html"], mimetype="text/html"))
    app.add_url_rule(
        "/attack.js", "attack_js", lambda: Response(attack["js"], mimetype="text/javascript")
    )
    forged = forged_forms(app, {})
    attack["html"], attack["js"] = attack_page("", forged, script_src="/attack.js")
    log = RequestLog(app.wsgi_app)
    app.wsgi_app = log  # type: ignore[method-assign]
    target = serve(app, "127.0.0.1", servers)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("dialog", lambda d: d.dismiss())
        before = snapshot(redis_url)
        page.goto(target + "/attack", wait_until="commit")
        wait_for_posts(log, 2 * len(forged))
    finally:
        context.close()
    assert len(changed(before, snapshot(redis_url))) > 3
    assert ruby_data.llen("resque:queue:mailers") == 0
    assert any(status == 303 for _, _, status in log.posts())
