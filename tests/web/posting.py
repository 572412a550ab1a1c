"""What the Delayed and Retry page tests share: a dashboard with extra settings, the flash
message a page shows, a page's form picked by its action and fields, posting it back as
the browser would (or from another site), and an ``authorize`` that notes what it is asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from flask.testing import FlaskClient

from resque_web.web import create_app

from .html import forms, parse

# Two ways a browser says a POST comes from another site; each must be refused.
CROSS_SITE = [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}]


def app_with(redis_url: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "t", "REDIS_URL": redis_url, **config})


def flash(client: FlaskClient, location: str) -> str:
    return " ".join(p.text() for p in parse(client.get(location).data).find_all("p", "flash"))


def form_for(html: bytes, action: str, **match: str) -> dict[str, str]:
    """The first form posting ``action`` whose fields (``_action``: its URL) match."""
    found = [
        f
        for f in forms(html)
        if f.get("action") == action and all(f.get(k) == v for k, v in match.items())
    ]
    assert found, (action, match)
    return found[0]


def post(client: FlaskClient, form: dict[str, str], **headers: str) -> Any:
    form = dict(form)
    return client.post(form.pop("_action"), data=form, headers=headers)


def authorizer(*allowed: str) -> tuple[list[str], Callable[[str, Request], bool]]:
    """An ``authorize`` setting that allows the ``allowed`` actions, and the list of every
    action it was asked about."""
    asked: list[str] = []

    def authorize(action: str, request: Request) -> bool:
        asked.append(action)
        return action in allowed

    return asked, authorize
