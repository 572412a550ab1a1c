"""The host app: a page to start the job, a page that shows its progress, and the
dashboard mounted at ``/resque`` (whose JSON the progress page polls)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, redirect, render_template, url_for
from werkzeug.wrappers import Response

import resque_web
from resque_web.web import make_blueprint

from .jobs import MakeThumbnails


def create_app(redis_url: str | None = None, **config: Any) -> Flask:
    redis_url = redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = Flask(__name__)
    app.config.update({"THUMBNAIL_STEPS": 10, "THUMBNAIL_PAUSE": 0.5, **config})
    resque_web.configure(redis_url)  # where MakeThumbnails.create() writes
    app.register_blueprint(make_blueprint(redis_url=redis_url), url_prefix="/resque")

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    @app.post("/thumbnails")
    def start() -> Response:
        uuid = MakeThumbnails.create(
            photo=42, steps=app.config["THUMBNAIL_STEPS"], pause=app.config["THUMBNAIL_PAUSE"]
        )
        return redirect(url_for("progress", uuid=uuid), 303)

    @app.get("/thumbnails/<uuid>")
    def progress(uuid: str) -> str:
        # The status URL the page polls: the dashboard's JSON, wherever it is mounted.
        status_url = url_for("resque_web.api_status", uuid=uuid)
        return render_template("progress.html", uuid=uuid, status_url=status_url)

    return app
