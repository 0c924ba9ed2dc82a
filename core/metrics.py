"""What ``/metrics`` exports: django-prometheus' request, database and cache metrics, with
fewer request series than it records by default, and the product's own metrics.

Gauges read from the database at scrape time are registered here by the apps (in
``AppConfig.ready``) and added to whichever registry the scrape uses: with several
gunicorn workers (``PROMETHEUS_MULTIPROC_DIR``), a registry that adds up every
process's counters.
"""

import os

import prometheus_client
from django_prometheus import middleware as django_prometheus_middleware
from prometheus_client import multiprocess
from prometheus_client.registry import Collector

# The runbooks (api.md, slo.md) read the latency histogram by view, at 0.5 s (the
# platform's latency SLO) and for a 95th percentile. Every bucket is one series per view
# and method, summed across workers at every scrape: django-prometheus' 16 made /metrics
# several hundred kilobytes and its collection most of the scrape's time.
VIEW_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, float("inf"))
# Recorded by django-prometheus, read by no runbook, alert or dashboard: one series per
# template list rendered, mostly the admin's.
UNRECORDED = frozenset({"django_http_responses_total_by_templatename"})

_database_collectors: list[Collector] = []


def register_database_collector(collector: Collector) -> None:
    if collector not in _database_collectors:
        _database_collectors.append(collector)


def scrape() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.CollectorRegistry()
        registry.register(_DefaultRegistry())
    for collector in _database_collectors:
        registry.register(collector)
    return prometheus_client.generate_latest(registry)


class _DefaultRegistry(Collector):
    """This process's own metrics (one process: runserver, tests)."""

    def collect(self):
        yield from prometheus_client.REGISTRY.collect()


class RequestMetrics(django_prometheus_middleware.Metrics):
    """django-prometheus' request metrics, less ``UNRECORDED`` and with fewer buckets per view."""

    _instance = None  # not the base class's: one set of metrics, registered once

    def register_metric(self, metric_cls, name, documentation, labelnames=(), **kwargs):
        if name in UNRECORDED:
            # Not even an unregistered metric: with PROMETHEUS_MULTIPROC_DIR every
            # metric writes its samples to the files the scrape reads.
            return _Unrecorded()
        if name == "django_http_requests_latency_seconds_by_view_method":
            kwargs["buckets"] = VIEW_LATENCY_BUCKETS
        return super().register_metric(metric_cls, name, documentation, labelnames, **kwargs)


class _Unrecorded:
    def labels(self, *args, **kwargs):
        return self

    def inc(self, amount=1):
        pass

    def observe(self, amount):
        pass


class PrometheusBeforeMiddleware(django_prometheus_middleware.PrometheusBeforeMiddleware):
    metrics_cls = RequestMetrics


class PrometheusAfterMiddleware(django_prometheus_middleware.PrometheusAfterMiddleware):
    metrics_cls = RequestMetrics
