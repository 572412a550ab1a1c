"""Recording the dashboard's mutations in the audit log, with who made them.

Who: the ``audit_user(request)`` setting when set, else the HTTP Basic user name when the
dashboard itself checked it (its ``username``/``password`` setting), else the server's
``REMOTE_USER`` (set by a proxy or WSGI auth middleware), else unknown.
"""

from __future__ import annotations

import time

from flask import request

from ..failure import ActionResult, Hold
from ..model import AuditEntry, AuditLog, BulkOperations, FailureFilter
from .auth import authenticated
from .request import current_settings, dashboard


def audit_user() -> str | None:
    """Who made this request, from an identity something verified: the ``audit_user``
    hook, the dashboard's own Basic-auth user (checked before any view runs), or the
    server's ``REMOTE_USER``. An ``Authorization`` header the dashboard did not check (auth
    off, or a host app's own scheme) names nobody: anyone can send one."""
    settings = current_settings()
    if settings.audit_user is not None:
        return settings.audit_user(request)
    if settings.basic_auth and authenticated(settings, request):
        return settings.username
    return request.environ.get("REMOTE_USER") or None


def audit_log() -> AuditLog:
    """This request's audit log (with the dashboard's undo window)."""
    return dashboard().audit


def bulk_operations() -> BulkOperations:
    return dashboard().bulk


def hold() -> Hold | None:
    """A fresh holding list for one removal (None when undo is turned off)."""
    return audit_log().hold()


def record(
    action: str,
    target: str,
    result: ActionResult,
    where: FailureFilter | None = None,
    list_queue: str | None = None,
    held: Hold | None = None,
) -> None:
    """Log one mutation; a removal that held what it removed can be undone from the log."""
    log = audit_log()
    hold_id = None
    expires = None
    if held is not None and result.count:
        hold_id = held.key.rsplit(":", 1)[-1]
        expires = time.time() + held.ttl
    log.record(
        AuditEntry(
            action,
            target,
            result.count,
            result.message,
            user=audit_user(),
            filter=where.to_args() if where is not None else {},
            list_queue=list_queue,
            hold=hold_id,
            expires_at=expires,
        )
    )
