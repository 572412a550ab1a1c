"""Links built without url_for (per request, for the rows of a table) equal url_for's."""

from __future__ import annotations

from flask import Flask, request, url_for

from resque_web.web.paging import url_with
from resque_web.web.values import value_url

ODD = ["plain", "a b", "ünïcode-队列", "a/b?c#d", "100%&x=y+z", "Billing::Charge", "", "'\"<>"]


def test_row_links_equal_url_for(app: Flask) -> None:
    for here in ("/failed?page=2&q=a+b", "/failed/a%20b?order=oldest", "/queues"):
        with app.test_request_context(here):
            app.preprocess_request()
            endpoint, view_args = request.endpoint or "", request.view_args or {}
            for value in ODD:
                args = {**request.args.to_dict(), "class": value}
                args.pop("page", None)
                want = url_for(endpoint, **view_args, **args)
                assert url_with(**{"class": value, "page": None}) == want
                for index, digest in ((None, None), (3, "ab" * 20)):
                    extra = {"index": index, "digest": digest}
                    extra = {k: v for k, v in extra.items() if v is not None}
                    want = url_for(".stats_key", key=value or "x", raw=1, **extra)
                    assert value_url(value or "x", index=index, digest=digest) == want
