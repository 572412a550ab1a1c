"""HTTP Basic auth for the standalone dashboard (``RESQUE_WEB_AUTH=user:password``).

Embedded in a host app, the host's own login applies and this stays off. The check runs
before anything else, assets and JSON included, and compares in constant time: both
values are hashed to equal-length digests first, so neither the length nor a matching
prefix of the secret shows in the response time. A refusal carries no dashboard data (the
layout would show the Redis URL and namespace), only the challenge.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Request, Response, jsonify

from .settings import Settings

REALM = "resque-web"
MESSAGE = "This dashboard needs a user name and password."

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>401 Authentication required</title></head>
<body><h1>401 Authentication required</h1><p>{message}</p></body></html>
"""


def _same(given: str, expected: str) -> bool:
    def digest(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()

    return hmac.compare_digest(digest(given), digest(expected))


def authenticated(settings: Settings, req: Request) -> bool:
    """Does the request carry this dashboard's credentials? True when auth is off."""
    if not settings.basic_auth:
        return True
    auth = req.authorization
    if auth is None or auth.type != "basic":
        return False
    # Both comparisons always run: a wrong user name takes as long as a wrong password.
    user_ok = _same(auth.username or "", settings.username or "")
    password_ok = _same(auth.password or "", settings.password or "")
    return user_ok and password_ok


def challenge(wants_json: bool) -> Response:
    """401 with ``WWW-Authenticate``, so a browser asks for the credentials."""
    if wants_json:
        response = jsonify({"error": "Authentication required", "message": MESSAGE, "status": 401})
    else:
        response = Response(_PAGE.format(message=MESSAGE), mimetype="text/html")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response
