"""``/workers`` (grouped by host when there are several), ``/workers/all``, and
``/workers/<target>``: a worker when ``target`` is a registered worker id
(``host:pid:queues``), else the workers of host ``target``.

Ids are tried first because a host name may itself hold ``:`` (an IPv6 literal) while an
id always does; a registered id is never also a host with workers of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import url_for

from ..exceptions import PageError
from ..paging import page_args
from ..request import dashboard, render_page
from .queues import row_links

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

PER_PAGE = 50


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/workers", "workers", workers)
    bp.add_url_rule("/workers/all", "workers_all", workers_all)
    bp.add_url_rule("/workers/<path:target>", "worker", worker, merge_slashes=False)


def workers() -> str:
    d = dashboard()
    hosts = d.workers.hosts()
    if len(hosts) > 1:
        return render_page("workers/hosts.html", title="Workers", hosts=hosts)
    return workers_page("Workers", hosts=hosts, working=d.workers.working_count())


def workers_all() -> str:
    d = dashboard()
    return workers_page("All workers", hosts=d.workers.hosts(), working=d.workers.working_count())


def workers_page(
    title: str, hosts: dict[str, int], host: str | None = None, working: int | None = None
) -> str:
    """One page of workers (of one host): a thousand workers page like ten. ``working``
    (all workers' busy count) is shown on the unfiltered list only."""
    d = dashboard()
    args = page_args(newest_first_default=False, per_page_default=PER_PAGE)
    return render_page(
        "workers/index.html",
        title=title,
        workers=d.workers.page(args.page, args.per_page, host),
        working=working,
        host=host,
        hosts=hosts,
        **row_links(),
    )


def worker(target: str) -> str:
    d = dashboard()
    found = d.workers.get(target)
    if found is not None:
        return render_page("workers/show.html", title=f"Worker {found.id}", worker=found)
    hosts = d.workers.hosts()
    if target in hosts:
        return workers_page(f"Workers on {target}", hosts=hosts, host=target)
    raise PageError(
        404,
        "No such worker or host",
        f"No worker with id {target!r} is registered, and no worker runs on a host of that "
        "name (it may have shut down).",
        back=("All workers", url_for(".workers_all")),
    )
