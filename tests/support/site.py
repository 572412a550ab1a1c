"""Every URL of a dashboard app, from its url_map: pages and JSON endpoints to GET, actions
to POST. Tests that must cover "every page" or "every action" enumerate the app itself, so
a page added later is covered without editing them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from flask import Flask
from werkzeug.routing import Rule


@dataclass
class Subjects:
    """Values for URL parameters: each rule is expanded with every value of each of its
    parameters (the product, capped per rule)."""

    queues: list[str] = field(default_factory=lambda: ["default"])
    workers: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=lambda: ["queues"])
    ids: list[str] = field(default_factory=lambda: ["0" * 32])  # bulk-op and audit ids

    def values(self, name: str, rule: Rule) -> list[str]:
        if name in ("queue", "name"):
            return self.queues
        if name == "worker_id":
            return self.workers or ["nobody:1:none"]
        if name == "target":
            return (self.workers + self.hosts) or ["nobody"]
        if name == "key":
            return self.keys
        if name == "filename":
            return ["css/resque-web.css", "js/resque-web.js"]
        if name == "unknown":
            return ["no/such/page"]
        converter = rule._converters.get(name)
        choices = getattr(converter, "items", None)  # any(ndjson, csv)
        if choices:
            return sorted(choices)
        return self.ids


def _rules(app: Flask, method: str, prefix: str) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if method in (rule.methods or ()) and rule.endpoint.startswith(prefix):
            yield rule


def _expand(app: Flask, rule: Rule, subjects: Subjects, cap: int) -> Iterator[str]:
    names = sorted(rule.arguments)
    choices = [subjects.values(n, rule) for n in names]
    adapter = app.url_map.bind("localhost")
    for combo in itertools.islice(itertools.product(*choices), cap):
        yield adapter.build(rule.endpoint, dict(zip(names, combo)), method="GET")


def get_urls(
    app: Flask,
    subjects: Subjects,
    blueprint: str = "resque_web.",
    cap: int = 12,
    extra_args: Mapping[str, Iterable[str]] | None = None,
) -> list[str]:
    """Every GET URL of the dashboard blueprint with parameters filled in. ``extra_args``
    adds query strings to the listed endpoints (``{"failed": ["class=X"]}``)."""
    urls: list[str] = []
    for rule in _rules(app, "GET", blueprint):
        for url in _expand(app, rule, subjects, cap):
            urls.append(url)
            for query in (extra_args or {}).get(rule.endpoint.rpartition(".")[2], ()):
                urls.append(f"{url}{'&' if '?' in url else '?'}{query}")
    return urls


def post_urls(
    app: Flask, subjects: Subjects, blueprint: str = "resque_web.", cap: int = 12
) -> list[str]:
    """Every URL that accepts a POST (an action)."""
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in _rules(app, "POST", blueprint):
        names = sorted(rule.arguments)
        choices = [subjects.values(n, rule) for n in names]
        for combo in itertools.islice(itertools.product(*choices), cap):
            urls.append(adapter.build(rule.endpoint, dict(zip(names, combo)), method="POST"))
    return urls
