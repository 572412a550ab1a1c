"""``/workers`` (grouped by host when there are several), ``/workers/all``, and
``/workers/<target>``: a worker when ``target`` is a registered worker id
(``host:pid:queues``), else the workers of host ``target``.

Ids are tried first because a host name may itself hold ``:`` (an IPv6 literal) while an
id always does; a registered id is never also a host with workers of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import url_for

from ..blueprint import dashboard, render_page
from ..exceptions import PageError

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/workers", "workers", workers)
    bp.add_url_rule("/workers/all", "workers_all", workers_all)
    bp.add_url_rule("/workers/<path:target>", "worker", worker, merge_slashes=False)


def workers() -> str:
    d = dashboard()
    hosts = d.workers.hosts()
    if len(hosts) > 1:
        return render_page("workers/hosts.html", title="Workers", hosts=hosts)
    return render_page(
        "workers/index.html", title="Workers", workers=d.workers.all(), host=None, hosts=hosts
    )


def workers_all() -> str:
    d = dashboard()
    return render_page(
        "workers/index.html",
        title="All workers",
        workers=d.workers.all(),
        host=None,
        hosts=d.workers.hosts(),
    )


def worker(target: str) -> str:
    d = dashboard()
    found = d.workers.get(target)
    if found is not None:
        return render_page("workers/show.html", title=f"Worker {found.id}", worker=found)
    on_host = d.workers.on_host(target)
    if on_host:
        return render_page(
            "workers/index.html",
            title=f"Workers on {target}",
            workers=on_host,
            host=target,
            hosts=d.workers.hosts(),
        )
    raise PageError(
        404,
        "No such worker or host",
        f"No worker with id {target!r} is registered, and no worker runs on a host of that "
        "name (it may have shut down).",
        back=("All workers", url_for(".workers_all")),
    )
