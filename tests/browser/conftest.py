"""Headless Chromium (Debian's, never a downloaded build) driving live dashboards.

``live_server(app)`` serves a Flask app from a thread on a free loopback port and returns
its base URL; ``page`` is a fresh browser context that fails the test on any console error
(a CSP violation shows up there)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Generous: a loaded 2-core CI machine can take seconds to lay out a page; a real hang still fails.
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: run ./dev setup (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], str]]:
    servers: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def serve(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def page(browser: object, live_server: Callable[[Flask], str]) -> Iterator[object]:
    """Closed before the live servers stop, so no request is cut off mid-flight. Console
    errors fail the test, but those it takes out of ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors  # a test that expects one (a 400 page) takes it out
    yield page
    context.close()
    assert errors == [], errors
