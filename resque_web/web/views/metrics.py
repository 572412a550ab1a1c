"""``/metrics``: the Prometheus exposition of one Resque namespace.

A custom collector turns one :class:`~resque_web.model.metrics.MetricsSummary` (one Redis
round trip) into metric families; ``prometheus_client`` writes the text format, escaping
every label value, so any queue name Redis holds is a valid label. When Redis cannot be
read the scrape still answers 200 with ``resque_up 0``: Prometheus then records that the
target is up but Resque is not, which is what an alert wants to tell apart.

The route sits in the dashboard blueprint, behind the same login and ``authorize("view")``
as every page. :func:`metrics_view` serves the same text from a view of the host's own (the
standalone app mounts it on ``RESQUE_WEB_METRICS_PATH`` without auth, only when set).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import redis
from flask import Response, request
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from ...client import Resque
from ...model.metrics import Metrics, MetricsSummary
from ..request import dashboard

if TYPE_CHECKING:
    from ..blueprint import DashboardBlueprint

log = logging.getLogger(__name__)


def register(bp: DashboardBlueprint) -> None:
    bp.add_url_rule("/metrics", "metrics", metrics)


class ResqueCollector:
    """Reads the summary when (and only when) the registry collects."""

    def __init__(self, resque: Resque) -> None:
        self.resque = resque

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("resque_up", "1 when Redis answered this scrape, else 0.")
        try:
            summary = Metrics(self.resque).summary()
        except redis.RedisError as exc:
            log.warning("/metrics: Redis could not be read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families(summary)


def families(s: MetricsSummary) -> Iterator[Metric]:
    """The metric families of one summary, with the names the README documents."""
    queue = GaugeMetricFamily(
        "resque_queue_jobs", "Jobs pending in each registered queue.", labels=["queue"]
    )
    for name, size in sorted(s.queues.items()):
        queue.add_metric([name], size)
    yield queue
    yield CounterMetricFamily(
        "resque_jobs_processed", "Jobs processed (Resque's stat:processed).", s.processed
    )
    yield CounterMetricFamily(
        "resque_jobs_failed", "Jobs that failed (Resque's stat:failed).", s.failed
    )
    yield GaugeMetricFamily(
        "resque_failed_jobs", "Failure records stored, in every failure list.", s.failed_stored
    )
    lists = GaugeMetricFamily(
        "resque_failed_list_jobs",
        "Failure records in each multi-queue failure list (<queue>_failed).",
        labels=["list"],
    )
    for name, size in sorted(s.failed_lists.items()):
        lists.add_metric([name], size)
    yield lists
    workers = GaugeMetricFamily(
        "resque_workers", "Registered workers: busy (holding a job) or idle.", labels=["state"]
    )
    workers.add_metric(["busy"], s.busy)
    workers.add_metric(["idle"], s.idle)
    yield workers
    yield GaugeMetricFamily(
        "resque_workers_stale",
        "Registered workers Resque would prune (heartbeat older than the prune interval).",
        s.stale,
    )
    if s.delayed is not None:
        yield GaugeMetricFamily(
            "resque_delayed_jobs",
            "Delayed jobs waiting in resque-scheduler's schedule (a lower bound past "
            "10,000 timestamps).",
            s.delayed.jobs,
        )
        yield GaugeMetricFamily(
            "resque_delayed_timestamps",
            "Distinct times in resque-scheduler's delayed schedule.",
            s.delayed.timestamps,
        )
        yield GaugeMetricFamily(
            "resque_delayed_oldest_due_seconds",
            "How long the earliest delayed job has been due (0 when none is due yet).",
            s.delayed.oldest_due_seconds,
        )


def exposition(resque: Resque) -> Response:
    """One scrape: a fresh registry holding only our collector, in the format the scraper
    asks for (``Accept``: the text format, or OpenMetrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ResqueCollector(resque))  # type: ignore[arg-type]
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(registry), content_type=content_type)


def metrics() -> Response:
    return exposition(dashboard().resque)


def metrics_view(bp: DashboardBlueprint) -> Callable[[], Response]:
    """A view serving ``bp``'s metrics from any route of the host app (no dashboard login:
    the host decides who reaches it)."""

    def public_metrics() -> Response:
        return exposition(bp.resque)

    return public_metrics
