"""A stand-in for werkzeug's ``make_server``: ``serve`` commands run without listening."""

from __future__ import annotations

from typing import Any

import pytest
import werkzeug.serving


class FakeServer:
    """Records what ``serve`` would listen on; ``last`` is the latest one made."""

    server_port = 5678
    last: FakeServer | None = None

    def __init__(self, host: str, port: int, app: Any, threaded: bool) -> None:
        self.host, self.port, self.app = host, port, app
        FakeServer.last = self

    def serve_forever(self) -> None:
        pass

    def server_close(self) -> None:
        pass


def fake_make_server(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    """Patch werkzeug so the next ``serve`` builds a :class:`FakeServer`."""
    monkeypatch.setattr(werkzeug.serving, "make_server", FakeServer)
    FakeServer.last = None
    return FakeServer
