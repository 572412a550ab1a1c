"""Reading ``?page=&per_page=&order=`` and building links that change one of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from flask import g, request, url_for

from ..exact import ERRORS, to_bytes
from ..model.page import Paging
from .settings import PER_PAGE_CHOICES

MAX_PER_PAGE = 100
# Far past any real list, and small enough that page * per_page stays a 64-bit offset
# Redis accepts: ?page=99999999999999999999 shows the last page instead of an error.
MAX_PAGE = 10**12


PageArgs = Paging  # the paging a request asks for


def page_args(newest_first_default: bool, per_page_default: int = PER_PAGE_CHOICES[0]) -> PageArgs:
    """The paging the request asks for; nonsense falls back to the defaults rather than
    failing, since these come from hand-edited URLs."""
    page = request.args.get("page", 1, type=int) or 1
    per_page = request.args.get("per_page", per_page_default, type=int) or per_page_default
    if not 1 <= per_page <= MAX_PER_PAGE:
        per_page = per_page_default
    order = request.args.get("order", "")
    newest_first = {"newest": True, "oldest": False}.get(order, newest_first_default)
    return PageArgs(min(max(1, page), MAX_PAGE), per_page, newest_first)


# What Werkzeug leaves unquoted in a query string (werkzeug.urls._urlencode), and in a
# ``<path:...>`` argument (BaseConverter.to_url): links built here equal url_for's.
QUERY_SAFE = "!$'()*,/:;?@"
PATH_SAFE = "!$&'()*+,/:;=@"


def query_string(args: Mapping[str, Any]) -> str:
    """``?a=1&b=2`` as url_for spells it (None drops an argument), or "" for none."""
    items = [(k, v) for k, v in args.items() if v is not None]
    # ERRORS: a value holding bytes that are not UTF-8 is put in the link as those bytes.
    return "?" + urlencode(items, safe=QUERY_SAFE, errors=ERRORS) if items else ""


def url_with(**changes: Any) -> str:
    """This page's URL with some query arguments changed (None drops one). Used by the
    pagination, page-size and order links so each keeps the others (and any filter), and
    by the filter links on every row: the page's own path is built once per request."""
    args: dict[str, Any] = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    view_args = request.view_args or {}
    if view_args.keys() & args.keys():
        return url_for(request.endpoint or "", **view_args, **args)
    base = g.get("resque_web_here")
    if base is None:
        base = g.resque_web_here = url_for(request.endpoint or "", **view_args)
    return base + query_string(args)


def path_url(endpoint: str, arg: str) -> Callable[[str], str]:
    """``url_for(endpoint, **{arg: value})`` for many values of a ``<path:...>`` argument:
    the route is built once (with a placeholder) and each value quoted as the path
    converter quotes it. A table of 50 workers links each to its page, its job and its
    queues: 200 Werkzeug builds made a third of the page's time. Links are remembered for
    the page, as the same queue names recur on many rows."""
    marker = "\x00"
    base = url_for(endpoint, **{arg: marker})
    head, _, tail = base.partition(quote(marker))
    made: dict[str, str] = {}

    def link(value: str) -> str:
        found = made.get(value)
        if found is None:
            found = made[value] = f"{head}{quote(to_bytes(value), safe=PATH_SAFE)}{tail}"
        return found

    return link


def hidden_args(*exclude: str) -> list[tuple[str, str]]:
    """Query arguments to carry as hidden fields in a GET form (the jump-to-page form)."""
    return [(k, v) for k, v in request.args.items() if k not in exclude]


def carried_args(form: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """Paging and filter fields a POST form carried, to send the user back to the same view
    (only named fields, never a free URL: no open redirect)."""
    return {name: form[name] for name in names if form.get(name)}
