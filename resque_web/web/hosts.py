"""Which ``Host`` names the dashboard answers to: the defence against DNS rebinding.

A page on ``evil.example`` whose name is re-pointed at 127.0.0.1 is, to the browser, the
same origin as its own page: its script can read the dashboard and POST actions whose
``Host`` and ``Origin`` (both ``evil.example``) agree with each other, so the cross-site
check passes. Only the Host tells that the request was not meant for this server, so it
is checked before anything else and a foreign one is refused with 400.

``allowed_hosts``: ``None`` (no check: the default when embedded, where the host app's own
``TRUSTED_HOSTS`` or proxy decides), ``("*",)`` (any), or names: ``example.com`` matches
that name, ``.example.com`` it and every subdomain; ports are ignored. Loopback addresses
(``127.0.0.1``, ``[::1]``...) are IP literals no rebinding can produce; they always pass.
"""

from __future__ import annotations

import html
import ipaddress
from collections.abc import Iterable

from flask import Request, Response, jsonify

LOOPBACK_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "[::1]")
ANY = "*"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>400 Unknown host</title></head>
<body><h1>400 Unknown host</h1><p>{message}</p></body></html>
"""


def parse_hosts(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """``"a.example, .b.example"`` (as in ``RESQUE_WEB_ALLOWED_HOSTS``) or a list -> names;
    empty or None -> None (not set)."""
    if value is None:
        return None
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    names = tuple(_bare(str(item)) if item != ANY else ANY for item in items if str(item).strip())
    return names or None


def _bare(host: str) -> str:
    """``Example.COM:8080`` -> ``example.com``; ``[::1]:5678`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        host = name
    return host.rstrip(".")


def _is_loopback_ip(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(host: str, allowed: tuple[str, ...] | None) -> bool:
    """May a request naming ``host`` (its Host header, port and all) be served?"""
    if allowed is None or ANY in allowed:
        return True
    name = _bare(host)
    if not name:
        return False
    if _is_loopback_ip(name):
        return True
    for pattern in allowed:
        if pattern.startswith("."):
            if name == pattern[1:] or name.endswith(pattern):
                return True
        elif name == pattern:
            return True
    return False


def refusal(req: Request, allowed: tuple[str, ...], wants_json: bool) -> Response:
    """400 naming the Host that was refused and how to allow it; no dashboard data."""
    names = ", ".join(allowed)
    message = (
        f"This dashboard answers only to {names}; this request was addressed to "
        f"{req.host[:200]!r}. If that is this server's name, add it to "
        "RESQUE_WEB_ALLOWED_HOSTS (comma-separated names; * allows any)."
    )
    if wants_json:
        response = jsonify({"error": "Unknown host", "message": message, "status": 400})
    else:
        response = Response(_PAGE.format(message=html.escape(message)), mimetype="text/html")
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


def check_host(req: Request, allowed: tuple[str, ...] | None, wants_json: bool) -> Response | None:
    """None when the request's Host is allowed, else the 400 to answer."""
    if host_allowed(req.host, allowed):
        return None
    return refusal(req, allowed or (), wants_json)
