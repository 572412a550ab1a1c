"""The one exception views raise to show an error page.

Views raise :class:`PageError` instead of ``abort()``: the blueprint handles exactly these,
so a host app's own 401/403/404 handlers keep working for its own aborts.
"""

from __future__ import annotations


class PageError(Exception):
    """An error page: ``status``, a short ``title``, a sentence saying what happened, and
    an optional ``back`` link ``(label, url)``."""

    def __init__(
        self, status: int, title: str, message: str, back: tuple[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.back = back
