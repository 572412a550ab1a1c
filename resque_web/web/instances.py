"""Several Redis instances in one dashboard: ``--redis prod=redis://... --redis staging=...``.

Written ``name=url`` on the command line (``--redis``, repeatable) or, in config and the
environment, as one ``RESQUE_WEB_INSTANCES`` value of comma-separated pairs
(``prod=redis://a:6379/0,staging=redis://b:6379/0``). A single bare URL (``--redis URL``,
``REDIS_URL``) is one dashboard at today's URLs. This module only parses and builds the
header's switcher links; :mod:`.multi` mounts the blueprints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from werkzeug.routing import BuildError

# A URL path segment and part of a blueprint name: no dots, slashes or spaces.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
# Names the instance index itself uses (its blueprint, its assets).
RESERVED = frozenset({"index", "static"})
INDEX_BLUEPRINT = "resque_web_index"


@dataclass(frozen=True)
class Instance:
    name: str
    url: str

    @property
    def blueprint(self) -> str:
        return f"resque_web_{self.name}"


def split_pair(value: str) -> tuple[str | None, str]:
    """``name=url`` -> (name, url); a bare URL (its own ``=`` sit after ``://``, as in
    ``?socket_timeout=1``) -> (None, url)."""
    value = value.strip()
    head, sep, tail = value.partition("=")
    if not sep or "://" in head:
        return None, value
    return head.strip(), tail.strip()


def parse_instances(values: Iterable[str]) -> list[Instance] | None:
    """The named instances in ``values`` (each ``name=url``); None when there is a single
    bare URL (one dashboard, today's URLs). Errors name the value and the fix."""
    pairs = [split_pair(v) for v in values if v.strip()]
    if not pairs:
        return None
    bare = [url for name, url in pairs if name is None]
    if bare and len(pairs) == 1:
        return None
    if bare:
        raise ValueError(
            f"Redis URL {bare[0]!r} has no name: with several instances write each as "
            "name=url, e.g. --redis prod=redis://db1:6379/0 --redis staging=redis://db2:6379/0"
        )
    found: list[Instance] = []
    seen: set[str] = set()
    for name, url in pairs:
        assert name is not None
        if not NAME.fullmatch(name):
            raise ValueError(
                f"instance name {name!r} is not allowed: use letters, digits, '-' and '_' "
                "(it starts with a letter or digit, at most 40 characters), e.g. prod=redis://..."
            )
        if name in RESERVED:
            raise ValueError(
                f"instance name {name!r} is reserved for the dashboard's own pages: pick another"
            )
        if name in seen:
            raise ValueError(f"instance name {name!r} is given twice: give each Redis its own name")
        if not url:
            raise ValueError(
                f"instance {name!r} has no Redis URL: write {name}=redis://host:6379/0"
            )
        seen.add(name)
        found.append(Instance(name, url))
    return found


def instances_from(value: str | Sequence[str] | None) -> list[Instance] | None:
    """``RESQUE_WEB_INSTANCES`` (comma-separated pairs, or a list of them) -> instances."""
    if not value:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    found = parse_instances(items)
    if found is None:
        raise ValueError(
            "RESQUE_WEB_INSTANCES holds name=url pairs separated by commas, e.g. "
            "prod=redis://db1:6379/0,staging=redis://db2:6379/0 (one Redis: set REDIS_URL)"
        )
    return found


def switcher(
    instances: Sequence[Instance], current: str | None, tab_endpoint: str | None
) -> list[dict[str, Any]]:
    """The header's links: each instance's page for the tab being shown (its overview when
    the tab is not there), ``current`` marked."""
    endpoint = (tab_endpoint or ".overview").lstrip(".")
    links = []
    for instance in instances:
        try:
            href = url_for(f"{instance.blueprint}.{endpoint}")
        except BuildError:
            href = url_for(f"{instance.blueprint}.overview")
        links.append({"name": instance.name, "href": href, "current": instance.name == current})
    return links


def index_href() -> str:
    return url_for(f"{INDEX_BLUEPRINT}.overview")


def on_index() -> bool:
    return request.blueprint == INDEX_BLUEPRINT
