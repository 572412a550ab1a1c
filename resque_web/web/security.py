"""Who may do what, and the headers every response carries.

With HTTP Basic auth configured (:mod:`.auth`), nothing is served without the credentials.
Mutations are POST only, refused when they come from another site (a forged form on some
other page), refused in read-only mode, and each one is put to the ``authorize`` hook.
Cross-site detection uses ``Sec-Fetch-Site`` (every current browser sends it), then
``Origin``; a request with neither comes from a script such as curl, which a forged form
cannot be, so it is allowed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request, Response, request

from .auth import authenticated, challenge
from .exceptions import PageError
from .hosts import check_host
from .settings import Settings

READ_ONLY = "This dashboard is read-only; actions are turned off."
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    )
)


def cross_site_reason(req: Request) -> str | None:
    """Why this request looks cross-site, or None when it may proceed."""
    fetch_site = req.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        if fetch_site in ("same-origin", "none"):
            return None
        return f"the browser marked it Sec-Fetch-Site: {fetch_site}"
    origin = req.headers.get("Origin")
    if origin is None:
        return None
    if origin == "null" or urlsplit(origin).netloc != req.host:
        return f"its Origin {origin} is not this site ({req.host})"
    return None


def is_api_request(req: Request) -> bool:
    """JSON endpoints are named ``api_*``: their errors are JSON too."""
    return (req.endpoint or "").rpartition(".")[2].startswith("api_")


def check_request(settings: Settings) -> Response | None:
    """Blueprint ``before_request``: gate every request before its view runs. The Host
    first (DNS rebinding, see hosts.py), then the credentials, then the method."""
    refused = check_host(request, settings.allowed_hosts, is_api_request(request))
    if refused is not None:
        return refused
    if not authenticated(settings, request):
        return challenge(is_api_request(request))
    if request.method in SAFE_METHODS:
        if not allowed(settings, "view"):
            raise PageError(403, "Not allowed", "You are not allowed to view this dashboard.")
        return None
    reason = cross_site_reason(request)
    if reason:
        raise PageError(
            403,
            "Cross-site request refused",
            f"This action was refused because {reason}. Actions must be submitted from this "
            "dashboard's own pages.",
        )
    if settings.read_only:
        raise PageError(403, "Read-only", READ_ONLY)
    return None


def allowed(settings: Settings, action: str) -> bool:
    """May the current request do ``action``? Read-only mode forbids every mutation."""
    if action != "view" and settings.read_only:
        return False
    if settings.authorize is None:
        return True
    return bool(settings.authorize(action, request))


def require(settings: Settings, action: str) -> None:
    """Abort with 403 unless the current request may do ``action``."""
    if settings.read_only:
        raise PageError(403, "Read-only", READ_ONLY)
    if not allowed(settings, action):
        raise PageError(403, "Not allowed", f"You are not allowed to do this ({action}).")


def add_headers(response: Response) -> Response:
    """Security headers on every response; pages, JSON and refusals are never cached (they
    are live data, or depend on who asks), static assets keep their normal caching."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    endpoint = request.endpoint or ""
    if not endpoint.endswith("static") or response.status_code >= 400:
        headers["Cache-Control"] = "no-store"
    return response
